import type { ChatCompletionRequest, ChatMessage, FunctionTool, ResponseFormat } from '../../schemas/chat-completion.js'
import type { AnthropicMessage, AnthropicRequest, AnthropicTool, AnthropicToolChoice, DocumentBlock, ThinkingConfig } from '../anthropic/types.js'
import { applyAutomaticCaching, countCacheBreakpoints, MAX_CACHE_BREAKPOINTS } from '../core/caching.js'
import { invalidRequest } from '../errors.js'
import { foldOldHistory } from './history.js'
import type { CapabilityTable, ModelCapabilities } from '../anthropic/capabilities.js'
import { checkUnsupportedFields, refuseOrDrop, type UnsupportedFieldPolicy } from './request-fields.js'
import type { ThinkingStore } from '../core/thinking-store.js'
import { checkToolPairing, convertConversation, foldLastToolExchange, TOOL_NAME, lastToolTurnLacksThinking, type ConvertedConversation } from './translate-messages.js'

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
/** Sent as the first user turn when a conversation opens with the assistant. */
export const CONVERSATION_START = '(start of conversation)'
export const JSON_TOOL_DESCRIPTION = 'Give the final answer as the input of this tool.'
const BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 24576, max: 32000 }
const EFFORT_ORDER = ['low', 'medium', 'high', 'xhigh', 'max']
const EFFORTS = new Set(['none', 'minimal', ...EFFORT_ORDER])
const MIN_ANSWER_TOKENS = 1024
const MIN_THINKING_BUDGET = 1024
const MAX_USER_ID_LENGTH = 256

export function translateRequest (request: ChatCompletionRequest, options: TranslateOptions): TranslationPlan {
  const dropped = checkUnsupportedFields(request, options.unsupportedFields)
  const requestedModel = request.model
  const thinkingModel = requestedModel.endsWith(THINKING_SUFFIX)
  const model = thinkingModel ? requestedModel.slice(0, -THINKING_SUFFIX.length) : requestedModel
  const caps = options.capabilities.lookup(model)

  const conversation = buildConversation(request.messages, options)
  const body: AnthropicRequest = { model, max_tokens: chooseMaxTokens(request, options, caps), messages: conversation.messages }
  if (conversation.system.length > 0) body.system = conversation.system

  applyTools(body, request, conversation.historyToolNames)
  const thinking = applyThinking(body, request, caps, thinkingModel, dropped)
  applySampling(body, request, caps, thinking, dropped)
  applyStop(body, request)
  const jsonTool = applyResponseFormat(body, request, caps, thinking)
  applyMetadata(body, request, options.unsupportedFields, dropped)
  checkForcedToolWithThinking(body)
  preparePrefill(body, caps, thinking, request.messages.length - 1)
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

/** The upstream has refused conversations that open with the assistant; a fixed placeholder turn goes first. */
function startWithUserTurn (messages: AnthropicMessage[]): void {
  if (messages[0].role === 'assistant') messages.unshift({ role: 'user', content: [{ type: 'text', text: CONVERSATION_START }] })
}

/** The client's limit, lowered to what the model can produce; without one, a default the model accepts. */
function chooseMaxTokens (request: ChatCompletionRequest, options: TranslateOptions, caps: ModelCapabilities): number {
  const asked = request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens ?? caps.defaultMaxTokens
  return Math.min(asked, caps.maxOutputTokens)
}

function applyTools (body: AnthropicRequest, request: ChatCompletionRequest, historyToolNames: Set<string>): void {
  const tools = (request.tools ?? []).map((tool, index) => convertTool(tool, `tools[${index}]`))
  const repeated = tools.findIndex((tool, index) => tools.findIndex((other) => other.name === tool.name) !== index)
  if (repeated >= 0) throw invalidRequest(`tools[${repeated}].function.name '${tools[repeated].name}' is already the name of another tool; tool names must be unique`, `tools[${repeated}].function.name`)
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
  const converted: AnthropicTool = { name, input_schema: objectSchema(parameters ?? {}, `${param}.function.parameters`) }
  if (description) converted.description = description
  if (strict === true) converted.strict = true
  if (tool.cache_control) converted.cache_control = tool.cache_control
  return converted
}

/** Tool input schemas are forwarded whole; only a missing top-level `type` is filled in. */
function objectSchema (schema: Record<string, unknown>, param: string): Record<string, unknown> {
  if (schema.type === undefined) return { type: 'object', ...schema }
  if (schema.type !== 'object') throw invalidRequest(`${param} must be a JSON schema of type 'object'`, param)
  return schema
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

// ---------------------------------------------------------------------------------------------
// Thinking
// ---------------------------------------------------------------------------------------------

interface ThinkingDecision { on: boolean; style: 'budget' | 'adaptive' | null }

/** What the client asked for, before the model and the conversation have their say. */
type ThinkingWish =
  | { kind: 'default' }
  | { kind: 'off' }
  | { kind: 'effort'; effort: string }
  | { kind: 'native'; config: ThinkingConfig }

const THINKING_OFF: ThinkingDecision = { on: false, style: null }

function applyThinking (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinkingModel: boolean, dropped: string[]): ThinkingDecision {
  const field = request.thinking !== undefined && request.thinking !== null ? 'thinking' : 'reasoning_effort'
  const wish = wantedThinking(request, caps, thinkingModel, dropped)
  return setThinking(body, avoidMissingThinking(body, wish, caps, field, dropped), caps)
}

function wantedThinking (request: ChatCompletionRequest, caps: ModelCapabilities, thinkingModel: boolean, dropped: string[]): ThinkingWish {
  if (request.thinking !== undefined && request.thinking !== null) return { kind: 'native', config: checkNativeThinking(request.thinking, request.model, caps) }
  const effort = request.reasoning_effort ?? (thinkingModel ? 'medium' : undefined)
  if (effort === undefined) return { kind: 'default' }
  if (!EFFORTS.has(effort)) throw invalidRequest(`reasoning_effort '${effort}' is not one of ${[...EFFORTS].join(', ')}`, 'reasoning_effort')
  if (effort === 'none') return { kind: 'off' }
  if (caps.thinking !== 'none') return { kind: 'effort', effort }
  if (request.reasoning_effort === undefined || request.reasoning_effort === null) {
    throw invalidRequest(`Model ${request.model} has no thinking variant: this model cannot think`, 'model', 'model_not_found')
  }
  dropped.push('reasoning_effort')
  return { kind: 'default' }
}

const THINKING_FIELDS: Record<ThinkingConfig['type'], string[]> = { enabled: ['type', 'budget_tokens', 'display'], adaptive: ['type', 'display'], disabled: ['type'] }
const THINKING_TYPES_OF: Record<ModelCapabilities['thinking'], string[]> = { budget: ['enabled'], adaptive: ['adaptive'], both: ['enabled', 'adaptive'], none: [] }

/** Anthropic's own `thinking` object, checked field by field like the rest of the request and against the model. */
function checkNativeThinking (thinking: unknown, model: string, caps: ModelCapabilities): ThinkingConfig {
  if (typeof thinking !== 'object' || thinking === null || Array.isArray(thinking)) {
    throw invalidRequest("thinking must be an object with type 'enabled', 'adaptive' or 'disabled'", 'thinking')
  }
  const fields = Object.fromEntries(Object.entries(thinking).filter(([, value]) => value !== null)) as Record<string, unknown>
  const type = fields.type
  if (type !== 'enabled' && type !== 'adaptive' && type !== 'disabled') {
    throw invalidRequest("thinking.type must be 'enabled', 'adaptive' or 'disabled'", 'thinking.type')
  }
  const unknown = Object.keys(fields).find((key) => !THINKING_FIELDS[type].includes(key))
  if (unknown !== undefined) {
    throw invalidRequest(`thinking.${unknown} is not a field of thinking type '${type}', which takes ${THINKING_FIELDS[type].join(', ')}`, `thinking.${unknown}`)
  }
  if (type === 'disabled') {
    if (caps.thinkingAlwaysOn) throw invalidRequest(`Model ${model} always thinks: thinking cannot be 'disabled'`, 'thinking.type')
    return { type }
  }
  if (!THINKING_TYPES_OF[caps.thinking].includes(type)) {
    const accepted = THINKING_TYPES_OF[caps.thinking].map((name) => `'${name}'`).join(' or ')
    throw invalidRequest(accepted === '' ? `Model ${model} cannot think` : `Model ${model} takes thinking type ${accepted}, not '${type}'`, 'thinking.type')
  }
  const display = fields.display
  if (display !== undefined && display !== 'summarized' && display !== 'omitted') throw invalidRequest("thinking.display must be 'summarized' or 'omitted'", 'thinking.display')
  const shown: { display?: 'summarized' | 'omitted' } = display === undefined ? {} : { display }
  if (type === 'adaptive') return { type, ...shown }
  const budget = fields.budget_tokens
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < MIN_THINKING_BUDGET) {
    throw invalidRequest(`thinking.budget_tokens must be an integer of at least ${MIN_THINKING_BUDGET}`, 'thinking.budget_tokens')
  }
  if (budget >= caps.maxOutputTokens) {
    throw invalidRequest(`thinking.budget_tokens must be below ${caps.maxOutputTokens}, the output limit of model ${model}`, 'thinking.budget_tokens')
  }
  return { type, budget_tokens: budget, ...shown }
}

function thinksWith (wish: ThinkingWish, caps: ModelCapabilities): boolean {
  switch (wish.kind) {
    case 'default': return caps.thinkingAlwaysOn || caps.thinkingOnByDefault
    case 'off': return caps.thinkingAlwaysOn
    case 'effort': return true
    case 'native': return wish.config.type !== 'disabled'
  }
}

/**
 * Continuing a tool-use turn with thinking on needs that turn's thinking blocks, which only the
 * thinking store can give back. When it has none (another gateway instance, a restart, an
 * evicted entry), thinking is turned off for this request; a model that always thinks instead
 * gets the last tool exchange as plain text.
 */
function avoidMissingThinking (body: AnthropicRequest, wish: ThinkingWish, caps: ModelCapabilities, field: string, dropped: string[]): ThinkingWish {
  if (!thinksWith(wish, caps) || !lastToolTurnLacksThinking(body.messages)) return wish
  if (caps.thinkingAlwaysOn) {
    foldLastToolExchange(body.messages)
    return wish
  }
  if (wish.kind !== 'default') dropped.push(field)
  return { kind: 'off' }
}

function setThinking (body: AnthropicRequest, wish: ThinkingWish, caps: ModelCapabilities): ThinkingDecision {
  switch (wish.kind) {
    case 'native': return setNativeThinking(body, wish.config, caps)
    case 'effort': return caps.thinking === 'budget' ? setBudgetThinking(body, BUDGETS[wish.effort], caps) : setAdaptiveThinking(body, caps, wish.effort)
    case 'default': return thinksWith(wish, caps) ? setAdaptiveThinking(body, caps, undefined) : THINKING_OFF
    case 'off': return turnThinkingOff(body, caps)
  }
}

function turnThinkingOff (body: AnthropicRequest, caps: ModelCapabilities): ThinkingDecision {
  if (caps.thinkingAlwaysOn) return setAdaptiveThinking(body, caps, 'low')
  if (caps.thinkingOnByDefault) body.thinking = { type: 'disabled' }
  return THINKING_OFF
}

/** Anthropic's own `thinking` object, passed through for clients that know it. */
function setNativeThinking (body: AnthropicRequest, config: ThinkingConfig, caps: ModelCapabilities): ThinkingDecision {
  body.thinking = config
  if (config.type === 'disabled') return THINKING_OFF
  if (config.type === 'adaptive') return { on: true, style: 'adaptive' }
  // checkNativeThinking keeps the budget below the model's limit, so there is room for it.
  if (body.max_tokens <= config.budget_tokens) body.max_tokens = Math.min(config.budget_tokens + MIN_ANSWER_TOKENS, caps.maxOutputTokens)
  return { on: true, style: 'budget' }
}

/** The budget must be at least 1024 and below max_tokens; max_tokens grows to make room. */
function setBudgetThinking (body: AnthropicRequest, wanted: number, caps: ModelCapabilities): ThinkingDecision {
  const ceiling = Math.max(caps.maxOutputTokens - MIN_ANSWER_TOKENS, 1024)
  const budget = Math.max(1024, Math.min(wanted, ceiling))
  if (body.max_tokens <= budget) body.max_tokens = Math.min(budget + Math.max(body.max_tokens, MIN_ANSWER_TOKENS), caps.maxOutputTokens)
  if (body.max_tokens <= budget) body.max_tokens = budget + 1
  body.thinking = { type: 'enabled', budget_tokens: budget }
  return { on: true, style: 'budget' }
}

function setAdaptiveThinking (body: AnthropicRequest, caps: ModelCapabilities, effort: string | undefined): ThinkingDecision {
  body.thinking = caps.thinkingHiddenByDefault ? { type: 'adaptive', display: 'summarized' } : { type: 'adaptive' }
  if (effort !== undefined && caps.efforts.length > 0) body.output_config = { ...body.output_config, effort: closestEffort(effort, caps.efforts) }
  return { on: true, style: 'adaptive' }
}

function closestEffort (wanted: string, accepted: string[]): string {
  const target = wanted === 'minimal' ? 'low' : wanted
  if (accepted.includes(target)) return target
  const rank = EFFORT_ORDER.indexOf(target)
  const lower = accepted.filter((effort) => EFFORT_ORDER.indexOf(effort) <= rank)
  return lower.at(-1) ?? accepted[0]
}

// ---------------------------------------------------------------------------------------------
// Sampling and stop sequences
// ---------------------------------------------------------------------------------------------

type SamplingField = 'temperature' | 'top_p' | 'top_k'
type SamplingVerdict = 'send' | 'drop' | 'omit'

/**
 * Temperature above 1 is clamped to 1 (Claude's maximum). Settings a model or thinking refuses
 * are left out and reported as dropped, since clients send them by default; a default value the
 * model would refuse to see is left out quietly.
 */
function applySampling (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinking: ThinkingDecision, dropped: string[]): void {
  const sampling: Array<[SamplingField, number | null | undefined]> = [
    ['temperature', request.temperature === null || request.temperature === undefined ? undefined : Math.min(request.temperature, 1)],
    ['top_p', request.top_p],
    ['top_k', request.top_k]
  ]
  for (const [field, value] of sampling) {
    if (value === null || value === undefined) continue
    const verdict = judgeSampling(field, value, caps, thinking.on, body)
    if (verdict === 'send') body[field] = value
    else if (verdict === 'drop') dropped.push(field)
  }
}

function judgeSampling (field: SamplingField, value: number, caps: ModelCapabilities, thinking: boolean, body: AnthropicRequest): SamplingVerdict {
  const isDefault = field !== 'top_k' && value === 1
  if (caps.samplingLocked) return isDefault ? 'omit' : 'drop'
  if (thinking && refusedWhileThinking(field, value)) return 'drop'
  if (caps.temperatureOrTopP && field === 'top_p' && body.temperature !== undefined) return 'drop'
  return 'send'
}

/** With thinking on, temperature may only be 1, top_k must be unset and top_p within 0.95–1. */
function refusedWhileThinking (field: SamplingField, value: number): boolean {
  if (field === 'temperature') return value !== 1
  if (field === 'top_k') return true
  return value < 0.95
}

function applyStop (body: AnthropicRequest, request: ChatCompletionRequest): void {
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop ?? []
  stop.forEach((sequence, index) => {
    if (sequence.trim() === '') throw invalidRequest(`stop[${index}] must contain non-whitespace characters`, 'stop')
  })
  if (stop.length > 0) body.stop_sequences = stop
}

// ---------------------------------------------------------------------------------------------
// Structured output
// ---------------------------------------------------------------------------------------------

/**
 * json_schema goes to native structured output where the model has it. Otherwise (and for
 * json_object) the answer is asked for as the input of an extra tool, whose input the response
 * translation turns back into message content.
 */
function applyResponseFormat (body: AnthropicRequest, request: ChatCompletionRequest, caps: ModelCapabilities, thinking: ThinkingDecision): string | null {
  const format = request.response_format ?? undefined
  if (!format || format.type === 'text') return null
  const schema = format.type === 'json_schema' ? format.json_schema?.schema : { type: 'object' }
  if (!schema) throw invalidRequest('response_format.json_schema.schema is required', 'response_format.json_schema.schema')
  if (caps.structuredOutputs && format.type === 'json_schema') {
    body.output_config = { ...body.output_config, format: { type: 'json_schema', schema } }
    return null
  }
  return addJsonTool(body, request, format, schema, thinking)
}

function addJsonTool (body: AnthropicRequest, request: ChatCompletionRequest, format: ResponseFormat, schema: Record<string, unknown>, thinking: ThinkingDecision): string {
  const name = uniqueToolName(jsonToolName(format), body.tools ?? [])
  const tool: AnthropicTool = { name, description: JSON_TOOL_DESCRIPTION, input_schema: objectSchema(schema, 'response_format.json_schema.schema') }
  if (format.type === 'json_schema' && format.json_schema?.strict === true) tool.strict = true
  body.tools = [...(body.tools ?? []), tool]
  const offersTools = (request.tools ?? []).length > 0 && request.tool_choice !== 'none'
  if (!offersTools && thinking.style !== 'budget') {
    body.tool_choice = { type: 'tool', name }
    return name
  }
  // The client's own tools stay callable (and budget thinking refuses a forced tool): the
  // answer tool is asked for in the system prompt instead.
  const clientForces = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool'
  if (!clientForces) body.tool_choice = { type: 'auto' }
  body.system = [...(body.system ?? []), { type: 'text', text: `When you give your final answer, give it only by calling the ${name} tool.` }]
  return name
}

function jsonToolName (format: ResponseFormat): string {
  const name = format.type === 'json_schema' ? format.json_schema?.name : undefined
  const cleaned = (name ?? 'json_response').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
  return cleaned || 'json_response'
}

function uniqueToolName (name: string, tools: AnthropicTool[]): string {
  let candidate = name
  for (let suffix = 2; tools.some((tool) => tool.name === candidate); suffix++) candidate = `${name.slice(0, 58)}_${suffix}`
  return candidate
}

// ---------------------------------------------------------------------------------------------
// Metadata, consistency checks, caching
// ---------------------------------------------------------------------------------------------

function applyMetadata (body: AnthropicRequest, request: ChatCompletionRequest, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  const userId = request.user ?? request.metadata?.user_id
  if (userId) {
    const param = request.user ? 'user' : 'metadata.user_id'
    if (userId.length > MAX_USER_ID_LENGTH) throw invalidRequest(`${param} must be at most ${MAX_USER_ID_LENGTH} characters`, param)
    body.metadata = { user_id: userId }
  }
  const others = Object.keys(request.metadata ?? {}).filter((key) => key !== 'user_id')
  if (others.length > 0) refuseOrDrop('metadata', `metadata.${others[0]} has no Claude equivalent; only metadata.user_id is forwarded`, `metadata.${others[0]}`, policy, dropped)
  if (request.service_tier) applyServiceTier(body, request.service_tier, policy, dropped)
}

function applyServiceTier (body: AnthropicRequest, tier: string, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  if (tier === 'auto') body.service_tier = 'auto'
  else if (tier === 'default') body.service_tier = 'standard_only'
  else refuseOrDrop('service_tier', `service_tier '${tier}' has no Claude equivalent; use 'auto' or 'default'`, 'service_tier', policy, dropped)
}

function checkForcedToolWithThinking (body: AnthropicRequest): void {
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool'
  if (forced && body.thinking?.type === 'enabled') {
    throw invalidRequest("tool_choice that forces a tool ('required' or a named function) cannot be combined with thinking on this model; use 'auto' or turn reasoning off", 'tool_choice', 'thinking_with_forced_tool')
  }
}

/** A trailing assistant message is a prefill: refused where the upstream refuses it, else trimmed as it requires. */
function preparePrefill (body: AnthropicRequest, caps: ModelCapabilities, thinking: ThinkingDecision, lastIndex: number): void {
  const last = body.messages.at(-1)
  if (!last || last.role !== 'assistant' || last.content.some((block) => block.type === 'tool_use')) return
  const reason = thinking.on ? 'cannot be combined with thinking' : body.output_config?.format ? 'cannot be combined with structured output' : caps.prefill ? null : `model ${body.model} does not accept`
  if (reason) throw invalidRequest(`The conversation ends with an assistant message (prefill), which ${reason}`, `messages[${lastIndex}]`, 'prefill_not_supported')
  const tail = last.content.at(-1)
  if (tail?.type === 'text') tail.text = tail.text.trimEnd()
}

function applyCaching (body: AnthropicRequest, autoCache: boolean): void {
  const found = countCacheBreakpoints(body)
  if (found > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(`At most ${MAX_CACHE_BREAKPOINTS} cache_control breakpoints may be given; found ${found}`, 'messages', 'too_many_cache_breakpoints')
  }
  if (autoCache) applyAutomaticCaching(body)
}
