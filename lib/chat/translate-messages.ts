import type { ChatMessage, ContentPart } from '../../schemas/chat-completion.js'
import { isReasoningBlock, type AnthropicMessage, type CacheControl, type ContentBlock, type DocumentBlock, type ImageBlock, type TextBlock, type ToolResultBlock, type ToolUseBlock } from '../anthropic/types.js'
import { documentBlock, imageBlock, textBlock } from '../core/content-parts.js'
import { invalidRequest } from '../errors.js'
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../json-depth.js'
import type { ThinkingStore } from '../core/thinking-store.js'

export interface ConvertedConversation {
  system: TextBlock[]
  messages: AnthropicMessage[]
  /** Names of tools called in the history (needed when the request defines no tools). */
  historyToolNames: Set<string>
}

/** Tool names Anthropic accepts. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

interface ConvertContext { store: ThinkingStore | undefined; historyToolNames: Set<string> }

export function convertConversation (messages: ChatMessage[], store?: ThinkingStore): ConvertedConversation {
  const system: TextBlock[] = []
  const turns: AnthropicMessage[] = []
  const context: ConvertContext = { store, historyToolNames: new Set() }
  messages.forEach((message, index) => {
    const param = `messages[${index}]`
    if (message.role === 'system' || message.role === 'developer') {
      system.push(...systemBlocks(message, param))
      return
    }
    const turn = convertTurn(message, param, context)
    if (turn.content.length > 0) appendTurn(turns, turn)
  })
  if (turns.length === 0) throw invalidRequest('messages must hold at least one non-empty user or assistant message', 'messages')
  return { system, messages: turns, historyToolNames: context.historyToolNames }
}

/**
 * Consecutive turns of one role are merged, which is what the upstream does with them too. Tool
 * results must lead a user turn and thinking must lead an assistant turn, so those go first.
 */
function appendTurn (turns: AnthropicMessage[], turn: AnthropicMessage): void {
  const last = turns.at(-1)
  if (last && last.role === turn.role) {
    const merged = [...last.content, ...turn.content]
    last.content = turn.role === 'user' ? leading(merged, (block) => block.type === 'tool_result') : leading(merged, isReasoningBlock)
  } else {
    turns.push(turn)
  }
}

/** The blocks that match first, each group keeping its order. */
function leading (blocks: ContentBlock[], first: (block: ContentBlock) => boolean): ContentBlock[] {
  const front = blocks.filter(first)
  if (front.length === 0 || front.length === blocks.length) return blocks
  return [...front, ...blocks.filter((block) => !first(block))]
}

/**
 * Every tool call must be answered in the very next user turn, and every tool result must answer
 * a call of the turn just before it (Anthropic refuses anything else, as OpenAI does).
 */
export function checkToolPairing (messages: AnthropicMessage[]): void {
  messages.forEach((turn, position) => {
    if (turn.role === 'assistant') {
      const next = messages[position + 1]
      const answered = new Set(next?.role === 'user' ? next.content.flatMap((block) => block.type === 'tool_result' ? [block.tool_use_id] : []) : [])
      const unanswered = turn.content.find((block) => block.type === 'tool_use' && !answered.has(block.id))
      if (unanswered?.type === 'tool_use') {
        throw invalidRequest(`messages: the tool call '${unanswered.id}' has no tool message answering it right after the assistant message that made it`, 'messages', 'tool_call_unanswered')
      }
      return
    }
    const previous = messages[position - 1]
    const called = new Set(previous?.role === 'assistant' ? previous.content.flatMap((block) => block.type === 'tool_use' ? [block.id] : []) : [])
    const stray = turn.content.find((block) => block.type === 'tool_result' && !called.has(block.tool_use_id))
    if (stray?.type === 'tool_result') {
      throw invalidRequest(`messages: the tool message for '${stray.tool_use_id}' does not answer a tool call of the assistant message right before it`, 'messages', 'tool_result_without_call')
    }
  })
}

/**
 * True when the request continues a tool-use turn (the last assistant turn called tools and
 * the next turn answers them) whose thinking blocks are not there to send back.
 */
export function lastToolTurnLacksThinking (messages: AnthropicMessage[]): boolean {
  const position = messages.findLastIndex((message) => message.role === 'assistant')
  if (position < 0) return false
  const assistant = messages[position]
  const next = messages[position + 1]
  const continuesToolTurn = assistant.content.some((block) => block.type === 'tool_use') &&
    next?.role === 'user' && next.content.some((block) => block.type === 'tool_result')
  return continuesToolTurn && !isReasoningBlock(assistant.content[0])
}

/** Rewrites the last tool call and its results as plain text, for models that cannot skip thinking. */
export function foldLastToolExchange (messages: AnthropicMessage[]): void {
  const position = messages.findLastIndex((message) => message.role === 'assistant')
  const assistant = messages[position]
  const results = messages[position + 1]
  const names = new Map<string, string>()
  assistant.content = assistant.content.map((block) => {
    if (block.type !== 'tool_use') return block
    names.set(block.id, block.name)
    return { type: 'text', text: `[called tool ${block.name} (${block.id}) with ${JSON.stringify(block.input)}]` }
  })
  results.content = results.content.flatMap((block) => block.type === 'tool_result' ? toolResultAsText(block, names.get(block.tool_use_id) ?? 'tool') : [block])
}

function toolResultAsText (block: ToolResultBlock, name: string): ContentBlock[] {
  const head = `[result of tool ${name} (${block.tool_use_id})${block.is_error ? ', an error' : ''}]`
  if (typeof block.content === 'string') return [{ type: 'text', text: block.content.trim() === '' ? head : `${head}\n${block.content}` }]
  return [{ type: 'text', text: head }, ...block.content]
}

function systemBlocks (message: ChatMessage, param: string): TextBlock[] {
  const blocks = textOnlyBlocks(message.content, param)
  return withMessageCacheControl(blocks, message.cache_control)
}

function convertTurn (message: ChatMessage, param: string, context: ConvertContext): AnthropicMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: withMessageCacheControl(userBlocks(message.content, param), message.cache_control) }
    case 'assistant':
      return { role: 'assistant', content: withMessageCacheControl(assistantBlocks(message, param, context), message.cache_control) }
    case 'tool':
      return { role: 'user', content: [toolResultBlock(message, param)] }
    default:
      throw invalidRequest(`${param}: role '${message.role}' is not supported; use 'tool' messages with tool_calls instead of the deprecated functions API`, `${param}.role`)
  }
}

/** A cache_control on a whole message means: cache up to the end of this message. */
function withMessageCacheControl<T extends ContentBlock> (blocks: T[], cacheControl: CacheControl | undefined): T[] {
  const last = blocks.at(-1)
  if (cacheControl && last && !isReasoningBlock(last)) {
    (last as { cache_control?: CacheControl }).cache_control = cacheControl
  }
  return blocks
}

function partsOf (content: ChatMessage['content']): ContentPart[] {
  if (content === undefined || content === null) return []
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return content
}

function textOnlyBlocks (content: ChatMessage['content'], param: string): TextBlock[] {
  const blocks: TextBlock[] = []
  partsOf(content).forEach((part, index) => {
    if (part.type !== 'text') throw invalidRequest(`${param}.content[${index}]: only text parts are allowed here, got '${part.type}'`, `${param}.content[${index}].type`)
    const block = textBlock(textOf(part, `${param}.content[${index}]`), part)
    if (block) blocks.push(block)
  })
  return blocks
}

function textOf (part: ContentPart, param: string): string {
  if (typeof part.text !== 'string') throw invalidRequest(`${param}.text must be a string`, `${param}.text`)
  return part.text
}

function userBlocks (content: ChatMessage['content'], param: string): Array<TextBlock | ImageBlock | DocumentBlock> {
  const blocks: Array<TextBlock | ImageBlock | DocumentBlock> = []
  partsOf(content).forEach((part, index) => {
    const block = userBlock(part, `${param}.content[${index}]`)
    if (block) blocks.push(block)
  })
  return blocks
}

function userBlock (part: ContentPart, param: string): TextBlock | ImageBlock | DocumentBlock | undefined {
  switch (part.type) {
    case 'text': return textBlock(textOf(part, param), part)
    case 'image_url': return imageBlock(part, param)
    case 'file': return documentBlock(part, param)
    case 'input_audio': throw invalidRequest(`${param}: audio input is not supported by Claude`, `${param}.type`, 'unsupported_content_type')
    default: throw invalidRequest(`${param}: unknown content part type '${part.type}'`, `${param}.type`, 'unsupported_content_type')
  }
}

function assistantBlocks (message: ChatMessage, param: string, context: ConvertContext): ContentBlock[] {
  const blocks: ContentBlock[] = []
  partsOf(message.content).forEach((part, index) => {
    const partParam = `${param}.content[${index}]`
    if (part.type !== 'text' && part.type !== 'refusal') throw invalidRequest(`${partParam}: assistant content parts must be text or refusal, got '${part.type}'`, `${partParam}.type`)
    const block = textBlock(part.type === 'refusal' ? part.refusal ?? '' : textOf(part, partParam), part)
    if (block) blocks.push(block)
  })
  const toolUses = (message.tool_calls ?? []).map((call, index) => toolUseBlock(call, `${param}.tool_calls[${index}]`))
  if (toolUses.length === 0) return blocks
  for (const use of toolUses) context.historyToolNames.add(use.name)
  // OpenAI clients never send thinking back; the store gives this turn's blocks back unchanged.
  const thinking = context.store?.load(toolUses.map((use) => use.id))
  return [...(thinking ?? []), ...blocks, ...toolUses]
}

/** Claude's tool ids match ^[a-zA-Z0-9_-]+$; other characters some clients use become '_' (the same way on both sides). */
function toolId (id: string, param: string): string {
  if (id === '') throw invalidRequest(`${param} must not be empty`, param)
  return id.replace(/[^a-zA-Z0-9_-]/g, '_')
}

function toolUseBlock (call: NonNullable<ChatMessage['tool_calls']>[number], param: string): ToolUseBlock {
  let input: unknown
  const raw = call.function.arguments
  if (exceedsJsonDepth(raw, MAX_JSON_DEPTH)) {
    throw invalidRequest(`${param}.function.arguments nests deeper than ${MAX_JSON_DEPTH} levels`, `${param}.function.arguments`, 'invalid_tool_arguments')
  }
  try {
    input = raw.trim() === '' ? {} : JSON.parse(raw)
  } catch {
    throw invalidRequest(`${param}.function.arguments is not valid JSON`, `${param}.function.arguments`, 'invalid_tool_arguments')
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidRequest(`${param}.function.arguments must encode a JSON object`, `${param}.function.arguments`, 'invalid_tool_arguments')
  }
  const name = call.function.name
  if (!TOOL_NAME.test(name)) throw invalidRequest(`${param}.function.name '${name.slice(0, 80)}' must match ^[a-zA-Z0-9_-]{1,64}$`, `${param}.function.name`)
  return { type: 'tool_use', id: toolId(call.id, `${param}.id`), name, input: input as Record<string, unknown> }
}

function toolResultBlock (message: ChatMessage, param: string): ToolResultBlock {
  if (!message.tool_call_id) throw invalidRequest(`${param}.tool_call_id is required for tool messages`, `${param}.tool_call_id`)
  const content = typeof message.content === 'string'
    ? message.content
    : userBlocks(message.content, param)
  const block: ToolResultBlock = { type: 'tool_result', tool_use_id: toolId(message.tool_call_id, `${param}.tool_call_id`), content }
  if (typeof content === 'string' && content.trim() === '') block.content = []
  if (message.cache_control) block.cache_control = message.cache_control
  return block
}
