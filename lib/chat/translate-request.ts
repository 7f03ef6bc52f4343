import type { ChatCompletionRequest, ChatMessage, FunctionTool } from '../../schemas/chat-completion.js'
import type { AnthropicMessage, AnthropicRequest, AnthropicTool, DocumentBlock } from '../anthropic/types.js'
import { foldOldHistory } from './history.js'
import type { CapabilityTable, ModelCapabilities } from '../anthropic/capabilities.js'
import { checkNotRetired } from '../anthropic/model-lifecycle.js'
import { checkUnsupportedFields } from './request-fields.js'
import type { ThinkingLookup } from '../core/thinking-store.js'
import { convertConversation, type ConvertedConversation } from './translate-messages.js'
import { checkToolPairing, startWithUserTurn } from '../core/conversation.js'
import { applyCaching, applyServiceTier, applyUserId, preparePrefill } from '../core/request-rules.js'
import { applySampling, applyStopSequences } from '../core/sampling.js'
import { applyJsonFormat } from '../core/structured-output.js'
import { applyThinkingWish, checkForcedToolWithThinking, checkNativeThinking, effortWish, type ThinkingDecision, type ThinkingWish } from '../core/thinking.js'
import { declareHistoryTools, functionTool, mapToolChoice, type WantedToolChoice } from '../core/tools.js'
import { refuseOrDrop, type UnsupportedFieldPolicy } from '../core/unsupported-fields.js'
import { webSearchTool } from '../core/web-search.js'
import { invalidRequest } from '../errors.js'

export interface TranslateOptions {
  capabilities: CapabilityTable
  defaultMaxTokens?: number
  unsupportedFields: UnsupportedFieldPolicy
  autoCache: boolean
  maxHistoryChars: number
  /** The thinking blocks of this request's tool-use turns, found beforehand (ThinkingStore.recall). */
  thinkingStore?: ThinkingLookup
  /** MODEL_ALIASES: the upstream id for a requested one. */
  resolveModel?: (requested: string) => string
  /** WEB_SEARCH: web_search_options asks for Anthropic's web search tool. */
  webSearch?: boolean
}

export interface TranslationPlan {
  body: AnthropicRequest
  /** The model id the client asked for, echoed in every response. */
  requestedModel: string
  thinking: boolean
  /** Name of the tool that carries structured output when the model has no native support. */
  jsonTool: string | null
  n: number
  stream: boolean
  includeUsage: boolean
  /** Fields that were not sent upstream, by name. */
  dropped: string[]
}

export const THINKING_SUFFIX = '-thinking'

export function translateRequest (request: ChatCompletionRequest, options: TranslateOptions): TranslationPlan {
  const dropped = checkUnsupportedFields(request, options.unsupportedFields)
  const requestedModel = request.model
  const resolve = options.resolveModel ?? ((id: string) => id)
  const direct = resolve(requestedModel)
  // An alias names a model whole; otherwise `<id>-thinking` is `<id>` (itself maybe an alias) with thinking on.
  const thinkingModel = direct === requestedModel && requestedModel.endsWith(THINKING_SUFFIX)
  const model = thinkingModel ? resolve(requestedModel.slice(0, -THINKING_SUFFIX.length)) : direct
  if (model.trim() === '') throw invalidRequest(`model '${requestedModel}' names no model: the ${THINKING_SUFFIX} suffix needs a model id before it`, 'model', 'model_not_found')
  checkNotRetired(model, new Date())
  const caps = options.capabilities.lookup(model)

  const conversation = buildConversation(request.messages, options)
  const body: AnthropicRequest = { model, max_tokens: chooseMaxTokens(request, options, caps), messages: conversation.messages }
  if (conversation.system.length > 0) body.system = conversation.system

  applyTools(body, request, conversation.historyToolNames)
  applyWebSearch(body, request, options, dropped)
  const thinking = applyThinking(body, request, caps, thinkingModel, dropped)
  applySampling(body, request, caps, thinking.on, dropped)
  applyStopSequences(body, typeof request.stop === 'string' ? [request.stop] : request.stop ?? [], 'stop')
  const jsonTool = applyResponseFormat(body, request, caps, thinking)
  applyMetadata(body, request, options.unsupportedFields, dropped)
  checkForcedToolWithThinking(body)
  preparePrefill(body, caps, thinking, `messages[${request.messages.length - 1}]`)
  applyCaching(body, options.autoCache)

  return {
    body,
    requestedModel,
    thinking: thinking.on,
    jsonTool,
    n: request.n ?? 1,
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    dropped
  }
}

function buildConversation (messages: ChatMessage[], options: TranslateOptions): ConvertedConversation {
  const history = foldOldHistory(messages, options.maxHistoryChars)
  const conversation = convertConversation(history.messages, options.thinkingStore)
  if (history.transcript) prependTranscript(conversation.messages, history.transcript)
  startWithUserTurn(conversation.messages)
  checkToolPairing(conversation.messages)
  return conversation
}

/** Older turns folded by MAX_CHAT_HISTORY_LENGTH go first, as one text document. */
function prependTranscript (messages: AnthropicMessage[], transcript: string): void {
  const document: DocumentBlock = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: transcript }, title: 'Earlier conversation' }
  const first = messages[0]
  if (first.role === 'user') first.content.unshift(document)
  else messages.unshift({ role: 'user', content: [document] })
}

/** The client's limit, lowered to what the model can produce; without one, a default the model accepts. */
function chooseMaxTokens (request: ChatCompletionRequest, options: TranslateOptions, caps: ModelCapabilities): number {
  const asked = request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens ?? caps.defaultMaxTokens
  return Math.min(asked, caps.maxOutputTokens)
}

function applyTools (body: AnthropicRequest, request: ChatCompletionRequest, historyToolNames: Set<string>): void {
  const tools = (request.tools ?? []).map((tool, index) => convertTool(tool, `tools[${index}]`))
  const seen = new Set<string>()
  const repeated = tools.findIndex((tool) => {
    if (seen.has(tool.name)) return true
    seen.add(tool.name)
    return false
  })
  if (repeated >= 0) throw invalidRequest(`tools[${repeated}].function.name '${tools[repeated].name}' is already the name of another tool; tool names must be unique`, `tools[${repeated}].function.name`)
  if (tools.length > 0) body.tools = tools
  const choice = mapToolChoice(wantedToolChoice(request), tools, request.parallel_tool_calls === false)
  if (choice) body.tool_choice = choice
  declareHistoryTools(body, historyToolNames)
}

interface WebSearchOptions { user_location?: { approximate?: unknown } | null; search_context_size?: unknown }

/** web_search_options as Anthropic's web search tool beside the client's own tools, when WEB_SEARCH allows it. */
function applyWebSearch (body: AnthropicRequest, request: ChatCompletionRequest, options: TranslateOptions, dropped: string[]): void {
  const value = request.web_search_options
  if (value === undefined || value === null) return
  if (options.webSearch !== true) return refuseOrDrop('web_search_options', "'web_search_options' needs WEB_SEARCH=true on this gateway", 'web_search_options', options.unsupportedFields, dropped)
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('web_search_options must be an object', 'web_search_options')
  const search = value as WebSearchOptions
  body.tools = [...(body.tools ?? []), webSearchTool({
    location: { value: search.user_location?.approximate, param: 'web_search_options.user_location.approximate' },
    contextSize: { value: search.search_context_size, param: 'web_search_options.search_context_size' }
  }, dropped)]
}

function convertTool (tool: FunctionTool, param: string): AnthropicTool {
  return functionTool({ ...tool.function, cache_control: tool.cache_control }, `${param}.function`)
}

function wantedToolChoice (request: ChatCompletionRequest): WantedToolChoice {
  const choice = request.tool_choice ?? undefined
  return typeof choice === 'object' ? { name: choice.function.name } : choice
}

// ---------------------------------------------------------------------------------------------
// Thinking
// ---------------------------------------------------------------------------------------------

function applyThinking (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinkingModel: boolean, dropped: string[]): ThinkingDecision {
  const field = request.thinking !== undefined && request.thinking !== null ? 'thinking' : 'reasoning_effort'
  return applyThinkingWish(body, wantedThinking(request, caps, thinkingModel, dropped), caps, field, dropped)
}

function wantedThinking (request: ChatCompletionRequest, caps: ModelCapabilities, thinkingModel: boolean, dropped: string[]): ThinkingWish {
  if (request.thinking !== undefined && request.thinking !== null) return { kind: 'native', config: checkNativeThinking(request.thinking, request.model, caps) }
  const explicit = request.reasoning_effort !== undefined && request.reasoning_effort !== null
  const effort = request.reasoning_effort ?? (thinkingModel ? 'medium' : undefined)
  return effortWish(effort, explicit, caps, request.model, 'reasoning_effort', dropped)
}

// ---------------------------------------------------------------------------------------------
// Structured output
// ---------------------------------------------------------------------------------------------

function applyResponseFormat (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinking: ThinkingDecision): string | null {
  const format = request.response_format ?? undefined
  if (!format || format.type === 'text') return null
  const offersTools = (request.tools ?? []).length > 0 && request.tool_choice !== 'none'
  return applyJsonFormat(body, {
    type: format.type,
    name: format.json_schema?.name,
    schema: format.json_schema?.schema,
    strict: format.json_schema?.strict,
    schemaParam: 'response_format.json_schema.schema'
  }, caps, thinking, offersTools)
}

// ---------------------------------------------------------------------------------------------
// Metadata, consistency checks, caching
// ---------------------------------------------------------------------------------------------

function applyMetadata (body: AnthropicRequest, request: ChatCompletionRequest, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  applyUserId(body, request.user ?? request.metadata?.user_id, request.user ? 'user' : 'metadata.user_id')
  const others = Object.keys(request.metadata ?? {}).filter((key) => key !== 'user_id')
  if (others.length > 0) refuseOrDrop('metadata', `metadata.${others[0]} has no Claude equivalent; only metadata.user_id is forwarded`, `metadata.${others[0]}`, policy, dropped)
  if (request.service_tier) applyServiceTier(body, request.service_tier, policy, dropped)
}
