import type { ChatCompletion, Choice, Usage } from '../../schemas/chat-completion.js'
import type { AnthropicResponse, AnthropicUsage, ReasoningBlock } from '../anthropic/types.js'

export type ThinkingFormat = 'reasoning_content' | 'think-tags'
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  // The upstream paused a long turn; the answer is incomplete, which `length` tells the client.
  pause_turn: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter'
}

/** Unknown stop reasons (from newer API versions) read as a normal stop. */
export function mapStopReason (reason: string | null | undefined): FinishReason {
  return FINISH_REASONS[reason ?? 'end_turn'] ?? 'stop'
}

/** A turn that stopped for tool use but called none of the client's tools (only the answer tool) simply stopped. */
export function finishReasonOf (reason: string | null | undefined, clientToolCalls: number): FinishReason {
  const mapped = mapStopReason(reason)
  return mapped === 'tool_calls' && clientToolCalls === 0 ? 'stop' : mapped
}

export function emptyUsage (): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }
}

/** prompt = input + cache read + cache creation, since Anthropic's input_tokens excludes both. */
export function mapUsage (usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0
  const prompt = (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0)
  const completion = usage.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.thinking_tokens ?? 0 }
  }
}

export function addUsage (into: Usage, more: Usage): Usage {
  return {
    prompt_tokens: into.prompt_tokens + more.prompt_tokens,
    completion_tokens: into.completion_tokens + more.completion_tokens,
    total_tokens: into.total_tokens + more.total_tokens,
    prompt_tokens_details: { cached_tokens: into.prompt_tokens_details.cached_tokens + more.prompt_tokens_details.cached_tokens },
    completion_tokens_details: { reasoning_tokens: into.completion_tokens_details.reasoning_tokens + more.completion_tokens_details.reasoning_tokens }
  }
}

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
  thoughts: string[]
  reasoningBlocks: ReasoningBlock[]
  toolCalls: NonNullable<Choice['message']['tool_calls']>
}

/** Walks the blocks in order; with think-tags, each thinking block is wrapped where it stands. */
function collectBlocks (message: AnthropicResponse, jsonTool: string | null, thinkingFormat: ThinkingFormat): CollectedTurn {
  const turn: CollectedTurn = { content: [], thoughts: [], reasoningBlocks: [], toolCalls: [] }
  for (const block of message.content) {
    switch (block.type) {
      case 'text': turn.content.push(block.text); break
      case 'thinking':
        turn.reasoningBlocks.push(block)
        if (block.thinking === '') break
        turn.thoughts.push(block.thinking)
        if (thinkingFormat === 'think-tags') turn.content.push(wrapThinking(block.thinking))
        break
      case 'redacted_thinking': turn.reasoningBlocks.push(block); break
      case 'tool_use':
        if (block.name === jsonTool) turn.content.push(JSON.stringify(block.input ?? {}))
        else turn.toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })
        break
    }
  }
  return turn
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
