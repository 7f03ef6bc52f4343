import type { ChatMessage, ContentPart } from '../../schemas/chat-completion.js'
import { isReasoningBlock, type AnthropicMessage, type CacheControl, type ContentBlock, type DocumentBlock, type ImageBlock, type TextBlock, type ToolResultBlock, type ToolUseBlock } from '../anthropic/types.js'
import { documentBlock, imageBlock, textBlock } from '../core/content-parts.js'
import { clientText, invalidRequest } from '../errors.js'
import { appendTurn, parseToolArguments, toolId } from '../core/conversation.js'
import { TOOL_NAME } from '../core/tools.js'
import type { ThinkingLookup } from '../core/thinking-store.js'

export interface ConvertedConversation {
  system: TextBlock[]
  messages: AnthropicMessage[]
  /** Names of tools called in the history (needed when the request defines no tools). */
  historyToolNames: Set<string>
}

interface ConvertContext { store: ThinkingLookup | undefined; historyToolNames: Set<string> }

export function convertConversation (messages: ChatMessage[], store?: ThinkingLookup): ConvertedConversation {
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

/** The tool-call ids of each assistant turn that made tool calls, as the translation will send them (for the thinking store). */
export function toolCallTurns (messages: ChatMessage[]): string[][] {
  const turns: string[][] = []
  for (const message of messages) {
    if (message.role !== 'assistant' || !message.tool_calls) continue
    const ids = message.tool_calls.map((call) => call.id).filter((id) => id !== '').map((id) => toolId(id, 'id'))
    if (ids.length > 0) turns.push(ids)
  }
  return turns
}

function toolUseBlock (call: NonNullable<ChatMessage['tool_calls']>[number], param: string): ToolUseBlock {
  const input = parseToolArguments(call.function.arguments, `${param}.function.arguments`)
  const name = call.function.name
  if (!TOOL_NAME.test(name)) throw invalidRequest(`${param}.function.name '${clientText(name)}' must match ^[a-zA-Z0-9_-]{1,64}$`, `${param}.function.name`)
  return { type: 'tool_use', id: toolId(call.id, `${param}.id`), name, input }
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
