import type { ChatCompletionRequest, FunctionTool, ResponseFormat } from '../schemas/chat-completion.js'
import type { AnthropicMessage, AnthropicRequest, AnthropicTool, DocumentBlock, AnthropicToolChoice, ThinkingConfig } from './anthropic-types.js'
import { applyAutomaticCaching, countCacheBreakpoints, MAX_CACHE_BREAKPOINTS } from './caching.js'
import { invalidRequest } from './errors.js'
import { foldOldHistory } from './history.js'
import type { CapabilityTable, ModelCapabilities } from './model-capabilities.js'
import { checkUnsupportedFields, type UnsupportedFieldPolicy } from './request-fields.js'
import type { ThinkingStore } from './thinking-store.js'
import { convertConversation } from './translate-messages.js'

export interface TranslateOptions {
  capabilities: CapabilityTable
  defaultMaxTokens?: number
  unsupportedFields: UnsupportedFieldPolicy
  autoCache: boolean
  maxHistoryChars: number
  thinkingStore?: ThinkingStore
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
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/
const BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 24576, max: 32000 }
const EFFORT_ORDER = ['low', 'medium', 'high', 'xhigh', 'max']
const EFFORTS = new Set(['none', 'minimal', ...EFFORT_ORDER])
const MIN_ANSWER_TOKENS = 1024

export function translateRequest (request: ChatCompletionRequest, options: TranslateOptions): TranslationPlan {
  const dropped = checkUnsupportedFields(request, options.unsupportedFields)
  const requestedModel = request.model
  const thinkingModel = requestedModel.endsWith(THINKING_SUFFIX)
  const model = thinkingModel ? requestedModel.slice(0, -THINKING_SUFFIX.length) : requestedModel
  const caps = options.capabilities.lookup(model)

  const history = foldOldHistory(request.messages, options.maxHistoryChars)
  const conversation = convertConversation(history.messages, options.thinkingStore)
  if (history.transcript) prependTranscript(conversation.messages, history.transcript)
  const body: AnthropicRequest = {
    model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens ?? caps.defaultMaxTokens,
    messages: conversation.messages
  }
  if (conversation.system.length > 0) body.system = conversation.system

  applyTools(body, request, conversation.historyToolNames)
  const thinking = applyThinking(body, request, caps, thinkingModel)
  applySampling(body, request, caps, thinking, dropped)
  const jsonTool = applyResponseFormat(body, request.response_format ?? undefined, caps, thinking)
  applyMetadata(body, request)
  checkForcedToolWithThinking(body)
  checkPrefill(body, caps, thinking)

  if (countCacheBreakpoints(body) > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(`At most ${MAX_CACHE_BREAKPOINTS} cache_control breakpoints may be given; found ${countCacheBreakpoints(body)}`, 'messages', 'too_many_cache_breakpoints')
  }
  if (options.autoCache) applyAutomaticCaching(body)

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

/** Older turns folded by MAX_CHAT_HISTORY_LENGTH go first, as one text document. */
function prependTranscript (messages: AnthropicMessage[], transcript: string): void {
  const document: DocumentBlock = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: transcript }, title: 'Earlier conversation' }
  const first = messages[0]
  if (first.role === 'user') first.content.unshift(document)
  else messages.unshift({ role: 'user', content: [document] })
}

function applyTools (body: AnthropicRequest, request: ChatCompletionRequest, historyToolNames: Set<string>): void {
  const tools = (request.tools ?? []).map((tool, index) => convertTool(tool, `tools[${index}]`))
  if (tools.length > 0) body.tools = tools
  const choice = convertToolChoice(request, tools)
  if (choice) body.tool_choice = choice
  if (tools.length === 0 && historyToolNames.size > 0) {
    // The upstream refuses tool blocks in a request that defines no tools. The client clearly
    // wants the conversation to go on, so the called tools are declared minimally and not offered.
    body.tools = [...historyToolNames].map((name) => ({ name, input_schema: { type: 'object' } }))
    body.tool_choice = { type: 'none' }
  }
}

function convertTool (tool: FunctionTool, param: string): AnthropicTool {
  const { name, description, parameters, strict } = tool.function
  if (!TOOL_NAME.test(name)) throw invalidRequest(`${param}.function.name '${name}' must match ^[a-zA-Z0-9_-]{1,64}$`, `${param}.function.name`)
  const schema = parameters ?? {}
  if (schema.type !== undefined && schema.type !== 'object') {
    throw invalidRequest(`${param}.function.parameters must be a JSON schema of type 'object'`, `${param}.function.parameters`)
  }
  const converted: AnthropicTool = { name, input_schema: schema.type === undefined ? { type: 'object', ...schema } : schema }
  if (description) converted.description = description
  if (strict === true) converted.strict = true
  if (tool.cache_control) converted.cache_control = tool.cache_control
  return converted
}

function convertToolChoice (request: ChatCompletionRequest, tools: AnthropicTool[]): AnthropicToolChoice | undefined {
  const choice = request.tool_choice ?? undefined
  const disableParallel = request.parallel_tool_calls === false && tools.length > 0
  let mapped: Exclude<AnthropicToolChoice, { type: 'none' }> | undefined
  if (choice === 'none') return tools.length > 0 ? { type: 'none' } : undefined
  if (choice === 'required') mapped = { type: 'any' }
  else if (typeof choice === 'object') {
    const name = choice.function.name
    if (!tools.some((tool) => tool.name === name)) throw invalidRequest(`tool_choice names '${name}', which is not in tools`, 'tool_choice')
    mapped = { type: 'tool', name }
  } else if (choice === 'auto' || disableParallel) mapped = { type: 'auto' }
  if (mapped && tools.length === 0) throw invalidRequest('tool_choice needs tools', 'tool_choice')
  if (mapped && disableParallel) mapped.disable_parallel_tool_use = true
  return mapped
}

interface ThinkingDecision { on: boolean; style: 'budget' | 'adaptive' | null }

function applyThinking (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinkingModel: boolean): ThinkingDecision {
  if (request.thinking !== undefined && request.thinking !== null) return applyNativeThinking(body, request.thinking)
  const effort = request.reasoning_effort ?? (thinkingModel ? 'medium' : undefined)
  if (effort !== undefined && !EFFORTS.has(effort)) {
    throw invalidRequest(`reasoning_effort '${effort}' is not one of ${[...EFFORTS].join(', ')}`, 'reasoning_effort')
  }
  const wantsThinking = effort !== undefined && effort !== 'none'
  if (!wantsThinking && !caps.thinkingAlwaysOn) return { on: false, style: null }
  if (caps.thinking === 'budget') {
    setBudgetThinking(body, BUDGETS[effort ?? 'medium'], caps)
    return { on: true, style: 'budget' }
  }
  body.thinking = caps.thinkingHiddenByDefault ? { type: 'adaptive', display: 'summarized' } : { type: 'adaptive' }
  if (effort !== undefined && caps.efforts.length > 0) body.output_config = { effort: closestEffort(effort, caps.efforts) }
  return { on: true, style: 'adaptive' }
}

/** Anthropic's own `thinking` object, passed through for clients that know it. */
function applyNativeThinking (body: AnthropicRequest, thinking: unknown): ThinkingDecision {
  const config = thinking as ThinkingConfig
  if (typeof thinking !== 'object' || !['enabled', 'adaptive', 'disabled'].includes(config.type)) {
    throw invalidRequest("thinking must be an object with type 'enabled', 'adaptive' or 'disabled'", 'thinking')
  }
  body.thinking = config
  if (config.type === 'enabled') {
    if (!Number.isInteger(config.budget_tokens)) throw invalidRequest('thinking.budget_tokens must be an integer', 'thinking.budget_tokens')
    if (body.max_tokens <= config.budget_tokens) body.max_tokens = config.budget_tokens + MIN_ANSWER_TOKENS
  }
  return config.type === 'disabled' ? { on: false, style: null } : { on: true, style: config.type === 'enabled' ? 'budget' : 'adaptive' }
}

/** The budget must be at least 1024 and below max_tokens; max_tokens grows to make room. */
function setBudgetThinking (body: AnthropicRequest, wanted: number, caps: ModelCapabilities): void {
  const ceiling = Math.max(caps.maxOutputTokens - MIN_ANSWER_TOKENS, 1024)
  const budget = Math.max(1024, Math.min(wanted, ceiling))
  if (body.max_tokens <= budget) body.max_tokens = Math.min(budget + Math.max(body.max_tokens, MIN_ANSWER_TOKENS), caps.maxOutputTokens)
  if (body.max_tokens <= budget) body.max_tokens = budget + 1
  body.thinking = { type: 'enabled', budget_tokens: budget }
}

function closestEffort (wanted: string, accepted: string[]): string {
  const target = wanted === 'minimal' ? 'low' : wanted
  if (accepted.includes(target)) return target
  const rank = EFFORT_ORDER.indexOf(target)
  const lower = accepted.filter((effort) => EFFORT_ORDER.indexOf(effort) <= rank)
  return lower.at(-1) ?? accepted[0]
}

/**
 * Temperature above 1 is clamped to 1 (Claude's maximum). Sampling settings a model or thinking
 * mode refuses are left out and reported as dropped, since clients send them by default.
 */
function applySampling (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinking: ThinkingDecision, dropped: string[]): void {
  const budgetThinking = thinking.style === 'budget'
  const sampling: Array<['temperature' | 'top_p' | 'top_k', number | null | undefined]> = [
    ['temperature', request.temperature], ['top_p', request.top_p], ['top_k', request.top_k]
  ]
  for (const [field, raw] of sampling) {
    if (raw === null || raw === undefined) continue
    const value = field === 'temperature' ? Math.min(raw, 1) : raw
    const refused = caps.samplingLocked ||
      (budgetThinking && (field === 'temperature' ? value !== 1 : field === 'top_k' || value < 0.95)) ||
      (caps.temperatureOrTopP && field === 'top_p' && body.temperature !== undefined)
    if (refused) dropped.push(field)
    else body[field] = value
  }
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop ?? []
  stop.forEach((sequence, index) => {
    if (sequence.trim() === '') throw invalidRequest(`stop[${index}] must contain non-whitespace characters`, 'stop')
  })
  if (stop.length > 0) body.stop_sequences = stop
}

function applyResponseFormat (body: AnthropicRequest, format: ResponseFormat | undefined, caps: ModelCapabilities, thinking: ThinkingDecision): string | null {
  if (!format || format.type === 'text') return null
  const schema = format.type === 'json_schema' ? format.json_schema?.schema : { type: 'object' }
  if (!schema) throw invalidRequest('response_format.json_schema.schema is required', 'response_format.json_schema.schema')
  if (caps.structuredOutputs && format.type === 'json_schema') {
    body.output_config = { ...body.output_config, format: { type: 'json_schema', schema } }
    return null
  }
  const name = jsonToolName(format)
  const tool: AnthropicTool = { name, description: 'Give the final answer as the input of this tool.', input_schema: schema }
  if (format.type === 'json_schema' && format.json_schema?.strict === true) tool.strict = true
  body.tools = [...(body.tools ?? []), tool]
  const mayForce = thinking.style !== 'budget' && body.tools.length === 1
  if (mayForce) {
    body.tool_choice = { type: 'tool', name }
  } else {
    // Forcing a tool is refused with budget thinking: ask for it instead.
    body.tool_choice = { type: 'auto' }
    body.system = [...(body.system ?? []), { type: 'text', text: `When you give your final answer, give it only by calling the ${name} tool.` }]
  }
  return name
}

function jsonToolName (format: ResponseFormat): string {
  const name = format.type === 'json_schema' ? format.json_schema?.name : undefined
  const cleaned = (name ?? 'json_response').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
  return cleaned || 'json_response'
}

function applyMetadata (body: AnthropicRequest, request: ChatCompletionRequest): void {
  const userId = request.user ?? request.metadata?.user_id
  if (userId) body.metadata = { user_id: userId }
  if (request.metadata) {
    const others = Object.keys(request.metadata).filter((key) => key !== 'user_id')
    if (others.length > 0) throw invalidRequest(`metadata.${others[0]} has no Claude equivalent; only metadata.user_id is forwarded`, `metadata.${others[0]}`)
  }
  if (request.service_tier) {
    const tier = request.service_tier === 'auto' ? 'auto' : request.service_tier === 'default' ? 'standard_only' : undefined
    if (!tier) throw invalidRequest(`service_tier '${request.service_tier}' has no Claude equivalent; use 'auto' or 'default'`, 'service_tier')
    body.service_tier = tier
  }
}

function checkForcedToolWithThinking (body: AnthropicRequest): void {
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool'
  if (forced && body.thinking?.type === 'enabled') {
    throw invalidRequest("tool_choice that forces a tool ('required' or a named function) cannot be combined with thinking on this model; use 'auto' or turn reasoning off", 'tool_choice', 'thinking_with_forced_tool')
  }
}

function checkPrefill (body: AnthropicRequest, caps: ModelCapabilities, thinking: ThinkingDecision): void {
  const last = body.messages.at(-1)
  if (!last || last.role !== 'assistant' || last.content.some((block) => block.type === 'tool_use')) return
  if (!caps.prefill || thinking.on) {
    throw invalidRequest(`The conversation ends with an assistant message (prefill), which ${thinking.on ? 'cannot be combined with thinking' : `model ${body.model} does not accept`}`, `messages[${body.messages.length - 1}]`, 'prefill_not_supported')
  }
}

