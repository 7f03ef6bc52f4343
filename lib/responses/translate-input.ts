import { isReasoningBlock, type AnthropicMessage, type ContentBlock, type DocumentBlock, type ImageBlock, type ReasoningBlock, type TextBlock, type ToolResultBlock } from '../anthropic/types.js'
import { appendTurn, parseToolArguments, toolId } from '../core/conversation.js'
import { documentFromDataUrl, documentFromUrl, imageFromUrl, textBlock } from '../core/content-parts.js'
import type { ThinkingLookup } from '../core/thinking-store.js'
import { clientText, invalidRequest } from '../errors.js'
import { upstreamName } from './tool-names.js'

/** An input item as the client sent it (shapes are checked here, field by field). */
export type InputItem = Record<string, unknown>

export interface InputContext {
  /** Opens a reasoning item's encrypted_content (throws a 400 for a blob that is not ours). */
  unseal: (blob: string, param: string) => ReasoningBlock[]
  /** Thinking blocks of stored reasoning items, by item id. */
  thinkingById: Map<string, ReasoningBlock[]>
  /** Stored items an `item_reference` may name, by id. */
  references: Map<string, InputItem>
  /** Thinking of tool turns from the thinking store, looked up beforehand (see toolCallIdsOf). */
  thinkingStore?: ThinkingLookup
  /** Opens a compaction item's encrypted_content: the summary of the conversation it replaces. */
  uncompact?: (blob: string, param: string) => string
}

export interface ConvertedInput {
  system: TextBlock[]
  messages: AnthropicMessage[]
  /** Upstream names of tools called in the input (declared when the request offers none). */
  historyToolNames: Set<string>
}

/** The text of an input given as a string: one user message. */
export function inputItems (input: string | InputItem[] | undefined): InputItem[] {
  if (input === undefined) return []
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }]
  return input
}

/**
 * Turns the conversation (replayed history first, then this request's input) into Claude's
 * system blocks and alternating turns. `params[i]` names item i in the client's request.
 */
export function convertInput (items: InputItem[], params: string[], context: InputContext): ConvertedInput {
  const converted: ConvertedInput = { system: [], messages: [], historyToolNames: new Set() }
  items.forEach((item, index) => convertItem(resolveReference(item, params[index], context), params[index], context, converted))
  if (converted.messages.length === 0) throw invalidRequest('input must hold at least one non-empty user message or item', 'input')
  restoreStoredThinking(converted.messages, context.thinkingStore)
  return converted
}

function resolveReference (item: InputItem, param: string, context: InputContext): InputItem {
  if (item.type !== 'item_reference') return item
  const id = stringField(item, 'id', param)
  const found = context.references.get(id)
  if (!found) throw invalidRequest(`${param}: item_reference '${clientText(id)}' names no stored item`, `${param}.id`, 'item_not_found')
  return found
}

function convertItem (item: InputItem, param: string, context: InputContext, into: ConvertedInput): void {
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined)
  switch (type) {
    case 'message': return convertMessage(item, param, into)
    case 'function_call': return addTurn(into, 'assistant', [functionCallBlock(item, param, into)])
    case 'custom_tool_call': return addTurn(into, 'assistant', [customCallBlock(item, param, into)])
    case 'function_call_output':
    case 'custom_tool_call_output':
      return addTurn(into, 'user', [toolResultBlock(item, param)])
    case 'reasoning': return addTurn(into, 'assistant', reasoningBlocks(item, param, context))
    // A past search holds no results Claude could be given again; the answer built on it follows as text.
    case 'web_search_call': return
    // Its tools were added to the request's tools (see additionalTools); nothing to say in the conversation.
    case 'additional_tools': return
    case 'compaction': return addTurn(into, 'user', [{ type: 'text', text: compactionText(item, param, context) }])
    case 'tool_search_call':
    case 'tool_search_output':
      throw invalidRequest(`${param}: '${type}' items are not supported: this gateway does not run tool search; send the tools in the request's tools instead`, `${param}.type`, 'unsupported_item_type')
    case 'compaction_trigger':
      throw invalidRequest(`${param}: 'compaction_trigger' is not supported; compact a conversation with POST /v1/responses/compact`, `${param}.type`, 'unsupported_item_type')
    default:
      throw invalidRequest(`${param}: input item type '${clientText(type)}' is not supported`, `${param}.type`, 'unsupported_item_type')
  }
}

function compactionText (item: InputItem, param: string, context: InputContext): string {
  const blob = stringField(item, 'encrypted_content', param)
  if (!context.uncompact) throw invalidRequest(`${param}: compaction items are not accepted here`, `${param}.type`, 'unsupported_item_type')
  return `Summary of the earlier conversation, which it replaces:\n\n${context.uncompact(blob, `${param}.encrypted_content`)}`
}

/** Tools that Codex declares inside the input (`additional_tools` items), in order, each with the param naming it. */
export function additionalTools (items: InputItem[], params: string[]): Array<{ tool: Record<string, unknown>; param: string }> {
  return items.flatMap((item, index) => {
    if (item.type !== 'additional_tools') return []
    if (!Array.isArray(item.tools)) throw invalidRequest(`${params[index]}.tools must be a list of tools`, `${params[index]}.tools`)
    return (item.tools as unknown[]).map((tool, inner) => {
      if (tool === null || typeof tool !== 'object') throw invalidRequest(`${params[index]}.tools[${inner}] must be an object`, `${params[index]}.tools[${inner}]`)
      return { tool: tool as Record<string, unknown>, param: `${params[index]}.tools[${inner}]` }
    })
  })
}

function addTurn (into: ConvertedInput, role: 'user' | 'assistant', content: ContentBlock[]): void {
  if (content.length > 0) appendTurn(into.messages, { role, content })
}

function stringField (item: InputItem, field: string, param: string): string {
  const value = item[field]
  if (typeof value !== 'string') throw invalidRequest(`${param}.${field} must be a string`, `${param}.${field}`)
  return value
}

function convertMessage (item: InputItem, param: string, into: ConvertedInput): void {
  const role = item.role
  const parts = partsOf(item.content, param)
  switch (role) {
    case 'system':
    case 'developer':
      into.system.push(...parts.flatMap((part, index) => optional(systemText(part, `${param}.content[${index}]`))))
      return
    case 'user':
      return addTurn(into, 'user', parts.flatMap((part, index) => optional(userBlock(part, `${param}.content[${index}]`))))
    case 'assistant':
      return addTurn(into, 'assistant', parts.flatMap((part, index) => optional(assistantText(part, `${param}.content[${index}]`))))
    default:
      throw invalidRequest(`${param}.role must be one of user, assistant, system, developer`, `${param}.role`)
  }
}

function optional<T> (value: T | undefined): T[] {
  return value === undefined ? [] : [value]
}

function partsOf (content: unknown, param: string): InputItem[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }]
  if (!Array.isArray(content)) throw invalidRequest(`${param}.content must be a string or a list of content parts`, `${param}.content`)
  return content.map((part, index) => {
    if (part === null || typeof part !== 'object') throw invalidRequest(`${param}.content[${index}] must be an object`, `${param}.content[${index}]`)
    return part as InputItem
  })
}

function systemText (part: InputItem, param: string): TextBlock | undefined {
  if (part.type !== 'input_text' && part.type !== 'text') throw invalidRequest(`${param}: only input_text parts are allowed in system and developer messages, got '${clientText(part.type)}'`, `${param}.type`)
  return textBlock(stringField(part, 'text', param))
}

function assistantText (part: InputItem, param: string): TextBlock | undefined {
  switch (part.type) {
    case 'output_text':
    case 'input_text':
    case 'text':
      return textBlock(stringField(part, 'text', param))
    case 'refusal': return textBlock(stringField(part, 'refusal', param))
    default:
      throw invalidRequest(`${param}: assistant content parts must be output_text or refusal, got '${clientText(part.type)}'`, `${param}.type`)
  }
}

function userBlock (part: InputItem, param: string): TextBlock | ImageBlock | DocumentBlock | undefined {
  switch (part.type) {
    case 'input_text':
    case 'text':
      return textBlock(stringField(part, 'text', param))
    case 'input_image': return imagePart(part, param)
    case 'input_file': return filePart(part, param)
    case 'input_audio': throw invalidRequest(`${param}: audio input is not supported by Claude`, `${param}.type`, 'unsupported_content_type')
    default: throw invalidRequest(`${param}: unknown content part type '${clientText(part.type)}'`, `${param}.type`, 'unsupported_content_type')
  }
}

function imagePart (part: InputItem, param: string): ImageBlock {
  if (typeof part.image_url === 'string' && part.image_url !== '') return imageFromUrl(part.image_url, `${param}.image_url`)
  if (part.file_id) throw invalidRequest(`${param}: file_id is not supported; send the image as image_url (an http(s) or data URL)`, `${param}.file_id`, 'unsupported_file')
  throw invalidRequest(`${param}.image_url is required`, `${param}.image_url`)
}

function filePart (part: InputItem, param: string): DocumentBlock {
  const filename = typeof part.filename === 'string' ? part.filename : undefined
  if (typeof part.file_data === 'string' && part.file_data !== '') {
    // OpenAI takes file_data as a data URL or as bare base64 with the type told by the file name.
    const data = part.file_data.startsWith('data:') ? part.file_data : `data:application/octet-stream;base64,${part.file_data}`
    return documentFromDataUrl(data, filename, param, `${param}.file_data`)
  }
  if (typeof part.file_url === 'string' && part.file_url !== '') return documentFromUrl(part.file_url, filename, `${param}.file_url`)
  if (part.file_id) throw invalidRequest(`${param}: file_id is not supported; send the file inline as file_data`, `${param}.file_id`, 'unsupported_file')
  throw invalidRequest(`${param}: input_file needs file_data or file_url`, `${param}.file_data`)
}

function functionCallBlock (item: InputItem, param: string, into: ConvertedInput): ContentBlock {
  const namespace = typeof item.namespace === 'string' ? item.namespace : undefined
  const name = upstreamName(stringField(item, 'name', param), namespace)
  into.historyToolNames.add(name)
  const input = parseToolArguments(stringField(item, 'arguments', param), `${param}.arguments`)
  return { type: 'tool_use', id: toolId(stringField(item, 'call_id', param), `${param}.call_id`), name, input }
}

function customCallBlock (item: InputItem, param: string, into: ConvertedInput): ContentBlock {
  const namespace = typeof item.namespace === 'string' ? item.namespace : undefined
  const name = upstreamName(stringField(item, 'name', param), namespace)
  into.historyToolNames.add(name)
  return { type: 'tool_use', id: toolId(stringField(item, 'call_id', param), `${param}.call_id`), name, input: { input: stringField(item, 'input', param) } }
}

function toolResultBlock (item: InputItem, param: string): ToolResultBlock {
  const id = toolId(stringField(item, 'call_id', param), `${param}.call_id`)
  const output = item.output
  if (typeof output === 'string') return { type: 'tool_result', tool_use_id: id, content: output.trim() === '' ? [] : output }
  if (!Array.isArray(output)) throw invalidRequest(`${param}.output must be a string or a list of content parts`, `${param}.output`)
  const content = output.flatMap((part, index) => optional(userBlock(part as InputItem, `${param}.output[${index}]`)))
  return { type: 'tool_result', tool_use_id: id, content }
}

/** A reasoning item gives back Claude's thinking blocks: sealed in encrypted_content, or kept with a stored response. */
function reasoningBlocks (item: InputItem, param: string, context: InputContext): ReasoningBlock[] {
  if (typeof item.encrypted_content === 'string' && item.encrypted_content !== '') return context.unseal(item.encrypted_content, `${param}.encrypted_content`)
  const id = typeof item.id === 'string' ? item.id : undefined
  return (id && context.thinkingById.get(id)) || []
}

/** The ids of every tool call in the items, as the translation sends them, for a thinking-store lookup. */
export function toolCallIdsOf (items: InputItem[]): string[] {
  const ids: string[] = []
  for (const item of items) {
    if ((item.type === 'function_call' || item.type === 'custom_tool_call') && typeof item.call_id === 'string' && item.call_id !== '') ids.push(toolId(item.call_id, 'call_id'))
  }
  return ids
}

/** Tool turns that came back without their thinking get it from the thinking store when it has it. */
function restoreStoredThinking (messages: AnthropicMessage[], store: ThinkingLookup | undefined): void {
  if (!store) return
  for (const message of messages) {
    if (message.role !== 'assistant' || isReasoningBlock(message.content[0])) continue
    const ids = message.content.flatMap((block) => block.type === 'tool_use' ? [block.id] : [])
    const thinking = ids.length > 0 ? store.load(ids) : undefined
    if (thinking) message.content = [...thinking, ...message.content]
  }
}
