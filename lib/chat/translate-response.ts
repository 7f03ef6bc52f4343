import type { ChatCompletion, Choice, UrlCitation, Usage } from '../../schemas/chat-completion.js'
import type { AnthropicResponse, ReasoningBlock } from '../anthropic/types.js'
import { addUsage, emptyUsage, finishReasonOf, mapUsage } from '../core/usage.js'
import { citedPage, type CitedPage } from '../core/web-search.js'

export type ThinkingFormat = 'reasoning_content' | 'think-tags'
export const THINK_OPEN = '<think>\n'
export const THINK_CLOSE = '\n</think>\n\n'
/** Between two thinking blocks of one turn in `reasoning_content`. */
export const REASONING_SEPARATOR = '\n\n'

export function wrapThinking (reasoning: string): string {
  return THINK_OPEN + reasoning + THINK_CLOSE
}

export interface TranslatedChoice {
  choice: Choice
  usage: Usage
  /** Thinking blocks of a turn that made tool calls, to keep for the next request. */
  reasoning: { toolCallIds: string[]; blocks: ReasoningBlock[] } | null
}

interface CollectedTurn {
  content: string[]
  /** The length of the content so far: where the next piece starts, for citations. */
  contentLength: number
  thoughts: string[]
  reasoningBlocks: ReasoningBlock[]
  toolCalls: NonNullable<Choice['message']['tool_calls']>
  annotations: UrlCitation[]
}

/** Walks the blocks in order; with think-tags, each thinking block is wrapped where it stands. */
function collectBlocks (message: AnthropicResponse, jsonTool: string | null, thinkingFormat: ThinkingFormat): CollectedTurn {
  const turn: CollectedTurn = { content: [], contentLength: 0, thoughts: [], reasoningBlocks: [], toolCalls: [], annotations: [] }
  for (const block of message.content) {
    switch (block.type) {
      case 'text':
        for (const page of (block.citations ?? []).flatMap(citedPage)) turn.annotations.push(urlCitation(turn.contentLength, turn.contentLength + block.text.length, page))
        addContent(turn, block.text)
        break
      case 'thinking':
        turn.reasoningBlocks.push(block)
        if (block.thinking === '') break
        turn.thoughts.push(block.thinking)
        if (thinkingFormat === 'think-tags') addContent(turn, wrapThinking(block.thinking))
        break
      case 'redacted_thinking': turn.reasoningBlocks.push(block); break
      case 'tool_use':
        if (block.name === jsonTool) addContent(turn, JSON.stringify(block.input ?? {}))
        else turn.toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })
        break
    }
  }
  return turn
}

function addContent (turn: CollectedTurn, text: string): void {
  turn.content.push(text)
  turn.contentLength += text.length
}

/** A citation of a web page over content[start, end): Claude cites a whole text block. */
export function urlCitation (start: number, end: number, page: CitedPage): UrlCitation {
  return { type: 'url_citation', url_citation: { start_index: start, end_index: end, url: page.url, title: page.title } }
}

export function translateMessage (message: AnthropicResponse, index: number, jsonTool: string | null, thinkingFormat: ThinkingFormat): TranslatedChoice {
  const turn = collectBlocks(message, jsonTool, thinkingFormat)
  const content = turn.content.join('')
  const choice: Choice = {
    index,
    message: { role: 'assistant', content: content === '' && turn.toolCalls.length > 0 ? null : content, refusal: null },
    logprobs: null,
    finish_reason: finishReasonOf(message.stop_reason, turn.toolCalls.length)
  }
  if (thinkingFormat === 'reasoning_content' && turn.thoughts.length > 0) choice.message.reasoning_content = turn.thoughts.join(REASONING_SEPARATOR)
  if (turn.toolCalls.length > 0) choice.message.tool_calls = turn.toolCalls
  if (turn.annotations.length > 0) choice.message.annotations = turn.annotations
  const keep = turn.toolCalls.length > 0 && turn.reasoningBlocks.length > 0
  return {
    choice,
    usage: mapUsage(message.usage),
    reasoning: keep ? { toolCallIds: turn.toolCalls.map((call) => call.id), blocks: turn.reasoningBlocks } : null
  }
}

export function buildCompletion (id: string, created: number, model: string, choices: TranslatedChoice[]): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: choices.map((item) => item.choice),
    usage: choices.map((item) => item.usage).reduce(addUsage, emptyUsage()),
    system_fingerprint: null
  }
}
