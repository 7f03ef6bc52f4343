import type { CapabilityTable, ModelCapabilities } from '../anthropic/capabilities.js'
import { checkNotRetired } from '../anthropic/model-lifecycle.js'
import type { AnthropicRequest, AnthropicTool } from '../anthropic/types.js'
import { startWithUserTurn } from '../core/conversation.js'
import { applyCaching, applyServiceTier, applyUserId, preparePrefill } from '../core/request-rules.js'
import { applySampling } from '../core/sampling.js'
import { applyJsonFormat } from '../core/structured-output.js'
import { applyThinkingWish, checkForcedToolWithThinking, effortWish, type ThinkingDecision } from '../core/thinking.js'
import { declareHistoryTools, functionTool, mapToolChoice, type WantedToolChoice } from '../core/tools.js'
import { refuseOrDrop, type UnsupportedFieldPolicy } from '../core/unsupported-fields.js'
import { webSearchTool } from '../core/web-search.js'
import { clientText, invalidRequest } from '../errors.js'
import type { ResponsesRequest } from '../../schemas/responses.js'
import { additionalTools, convertInput, inputItems, type InputContext, type InputItem } from './translate-input.js'
import { ToolNames, upstreamName } from './tool-names.js'

export interface ResponsesTranslateOptions {
  capabilities: CapabilityTable
  defaultMaxTokens?: number
  unsupportedFields: UnsupportedFieldPolicy
  autoCache: boolean
  /** Offer Anthropic's web search server tool for `web_search` tools. */
  webSearch: boolean
  /** MODEL_ALIASES: the upstream id for a requested one. */
  resolveModel?: (requested: string) => string
}

export interface ResponsesPlan {
  body: AnthropicRequest
  requestedModel: string
  thinking: boolean
  /** The tool that carries structured output when the model has no native support. */
  jsonTool: string | null
  tools: ToolNames
  /** Reasoning summaries are shown (reasoning.summary was asked for). */
  summaries: boolean
  /** Reasoning items carry encrypted_content (include asks for it, or nothing is stored). */
  encryptedReasoning: boolean
  /** web_search_call items list the pages found (include asks for them). */
  searchSources: boolean
  store: boolean
  stream: boolean
  dropped: string[]
}

const WEB_SEARCH_TYPES = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11'])
const SUMMARIES = new Set(['auto', 'concise', 'detailed'])

/** Fields handled below, one way or another; anything else is unknown. */
const HANDLED = new Set([
  'model', 'input', 'instructions', 'previous_response_id', 'store', 'stream', 'stream_options', 'background', 'conversation',
  'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'max_tool_calls', 'reasoning', 'text', 'include',
  'temperature', 'top_p', 'top_logprobs', 'metadata', 'user', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention',
  'truncation', 'service_tier', 'client_metadata', 'presence_penalty', 'frequency_penalty'
])
/** include values that concern tools the gateway does not run: accepted, nothing to add. */
const INCLUDE_NO_EFFECT = new Set(['file_search_call.results', 'web_search_call.results', 'message.input_image.image_url', 'computer_call_output.output.image_url', 'code_interpreter_call.outputs'])
export const ENCRYPTED_REASONING = 'reasoning.encrypted_content'
const SEARCH_SOURCES = 'web_search_call.action.sources'

/**
 * A Responses request as an Anthropic request. `history` is the replayed conversation of
 * `previous_response_id` (its items go before this request's input).
 */
export function translateResponsesRequest (request: ResponsesRequest, history: InputItem[], context: InputContext, options: ResponsesTranslateOptions): ResponsesPlan {
  const dropped = checkFields(request, options.unsupportedFields)
  refuseStatefulFeatures(request)
  const model = options.resolveModel?.(request.model) ?? request.model
  checkNotRetired(model, new Date())
  const caps = options.capabilities.lookup(model)
  const own = inputItems(request.input)
  const items = [...history, ...own]
  const params = [...history.map((_, index) => `previous_response_id (item ${index})`), ...own.map((_, index) => typeof request.input === 'string' ? 'input' : `input[${index}]`)]
  const conversation = convertInput(items, params, context)
  startWithUserTurn(conversation.messages)
  const maxTokens = Math.min(request.max_output_tokens ?? options.defaultMaxTokens ?? caps.defaultMaxTokens, caps.maxOutputTokens)
  const body: AnthropicRequest = { model, max_tokens: maxTokens, messages: conversation.messages }
  const system = [...instructionBlocks(request.instructions), ...conversation.system]
  if (system.length > 0) body.system = system

  const tools = new ToolNames()
  applyTools(body, request, additionalTools(items, params), tools, options, dropped)
  declareHistoryTools(body, conversation.historyToolNames)
  const summaries = wantsSummaries(request)
  const wish = effortWish(request.reasoning?.effort ?? undefined, true, caps, model, 'reasoning.effort', dropped)
  const thinking = applyThinkingWish(body, wish, caps, 'reasoning.effort', dropped, { summarized: summaries })
  applySampling(body, { temperature: request.temperature, top_p: request.top_p }, caps, thinking.on, dropped)
  const jsonTool = applyTextFormat(body, request, caps, thinking, options.unsupportedFields, dropped)
  applyUserId(body, request.safety_identifier ?? request.user, request.safety_identifier ? 'safety_identifier' : 'user')
  if (request.service_tier) applyServiceTier(body, request.service_tier, options.unsupportedFields, dropped)
  checkForcedToolWithThinking(body)
  preparePrefill(body, caps, thinking, params.at(-1) ?? 'input')
  applyCaching(body, options.autoCache)

  const store = request.store !== false
  return {
    body,
    requestedModel: request.model,
    thinking: thinking.on,
    jsonTool,
    tools,
    summaries,
    encryptedReasoning: !store || (request.include ?? []).includes(ENCRYPTED_REASONING),
    searchSources: (request.include ?? []).includes(SEARCH_SOURCES),
    store,
    stream: request.stream === true,
    dropped
  }
}

function checkFields (request: ResponsesRequest, policy: UnsupportedFieldPolicy): string[] {
  const dropped: string[] = []
  for (const [field, value] of Object.entries(request)) {
    if (value === null || value === undefined || HANDLED.has(field)) continue
    if (policy === 'drop') dropped.push(field)
    else throw invalidRequest(`Unrecognized request argument supplied: ${clientText(field)}`, field, 'unknown_parameter')
  }
  if (request.top_logprobs) refuseOrDrop('top_logprobs', 'top_logprobs has no Claude equivalent', 'top_logprobs', policy, dropped)
  for (const [index, value] of (request.include ?? []).entries()) {
    if (value === ENCRYPTED_REASONING || value === SEARCH_SOURCES || INCLUDE_NO_EFFECT.has(value)) continue
    refuseOrDrop(`include.${value}`, `include '${clientText(value)}' has no Claude equivalent`, `include[${index}]`, policy, dropped)
  }
  if (request.truncation && request.truncation !== 'disabled' && request.truncation !== 'auto') {
    throw invalidRequest("truncation must be 'auto' or 'disabled'", 'truncation')
  }
  return dropped
}

function refuseStatefulFeatures (request: ResponsesRequest): void {
  if (request.background === true) throw invalidRequest('background responses are not supported by this gateway; send the request without background (use stream: true for long answers)', 'background', 'unsupported_parameter')
  if (request.conversation !== undefined && request.conversation !== null) throw invalidRequest('conversation objects are not supported by this gateway; continue a conversation with previous_response_id instead', 'conversation', 'unsupported_parameter')
}

function instructionBlocks (instructions: string | null | undefined): Array<{ type: 'text'; text: string }> {
  return instructions && instructions.trim() !== '' ? [{ type: 'text', text: instructions }] : []
}

function wantsSummaries (request: ResponsesRequest): boolean {
  const summary = request.reasoning?.summary ?? request.reasoning?.generate_summary ?? undefined
  if (summary === undefined) return false
  if (!SUMMARIES.has(summary)) throw invalidRequest(`reasoning.summary '${clientText(summary)}' is not one of auto, concise, detailed`, 'reasoning.summary')
  return true
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

type ToolSpec = Record<string, unknown>

function applyTools (body: AnthropicRequest, request: ResponsesRequest, extra: Array<{ tool: ToolSpec; param: string }>, names: ToolNames, options: ResponsesTranslateOptions, dropped: string[]): void {
  const tools: AnthropicTool[] = []
  let webSearch: AnthropicTool | undefined
  const all = [...(request.tools ?? []).map((tool, index) => ({ tool, param: `tools[${index}]` })), ...extra]
  for (const { tool, param } of all) {
    const type = tool.type
    if (type === 'function' || type === 'custom') tools.push(clientTool(tool, param, names, undefined))
    else if (type === 'namespace') tools.push(...namespaceTools(tool, param, names))
    else if (typeof type === 'string' && WEB_SEARCH_TYPES.has(type)) {
      if (options.webSearch) webSearch = responsesWebSearch(tool, param, request, dropped)
      else if (!dropped.includes('tools.web_search')) dropped.push('tools.web_search')
    } else throw invalidRequest(`${param}: built-in tool '${clientText(type)}' is not supported on Claude; use function or custom tools`, `${param}.type`, 'unsupported_tool')
  }
  const allowed = allowedTools(request.tool_choice)
  const offered = allowed ? tools.filter((tool) => allowed.has(tool.name)) : tools
  if (offered.length > 0) body.tools = offered
  const choice = mapToolChoice(wantedToolChoice(request.tool_choice, names, offered), offered, request.parallel_tool_calls === false || request.max_tool_calls === 1)
  if (choice) body.tool_choice = choice
  if (webSearch) addWebSearch(body, webSearch)
}

function clientTool (tool: ToolSpec, param: string, names: ToolNames, namespace: string | undefined): AnthropicTool {
  if (typeof tool.name !== 'string') throw invalidRequest(`${param}.name must be a string`, `${param}.name`)
  const kind = tool.type === 'custom' ? 'custom' : 'function'
  const name = names.add({ kind, name: tool.name, namespace })
  const description = describe(tool, namespace)
  if (kind === 'custom') return customTool(name, description, param)
  return functionTool({ name, description, parameters: tool.parameters as Record<string, unknown> | null | undefined, strict: tool.strict as boolean | null | undefined }, param)
}

function describe (tool: ToolSpec, namespace: string | undefined): string | undefined {
  const parts = [typeof tool.description === 'string' ? tool.description : '']
  const format = tool.format as { type?: string; syntax?: string; definition?: string } | undefined
  if (tool.type === 'custom' && format?.type === 'grammar' && typeof format.definition === 'string') {
    parts.push(`The input must follow this ${format.syntax ?? ''} grammar:\n${format.definition}`)
  }
  if (namespace) parts.unshift(`(${namespace})`)
  const text = parts.filter(Boolean).join('\n\n')
  return text === '' ? undefined : text
}

/** A custom tool takes free-form text: offered as a tool with one string input. */
function customTool (name: string, description: string | undefined, param: string): AnthropicTool {
  const tool = functionTool({ name, description, parameters: { type: 'object', properties: { input: { type: 'string', description: 'The raw input for the tool.' } }, required: ['input'] } }, param)
  return tool
}

function namespaceTools (tool: ToolSpec, param: string, names: ToolNames): AnthropicTool[] {
  if (typeof tool.name !== 'string' || tool.name === '') throw invalidRequest(`${param}.name must be a non-empty string`, `${param}.name`)
  if (!Array.isArray(tool.tools)) throw invalidRequest(`${param}.tools must be a list of function or custom tools`, `${param}.tools`)
  const namespace = tool.name
  return (tool.tools as ToolSpec[]).map((inner, index) => {
    const innerParam = `${param}.tools[${index}]`
    if (inner?.type !== 'function' && inner?.type !== 'custom') throw invalidRequest(`${innerParam}: a namespace holds function or custom tools, got '${clientText(inner?.type)}'`, `${innerParam}.type`, 'unsupported_tool')
    return clientTool(inner, innerParam, names, namespace)
  })
}

/**
 * OpenAI's web_search tool as Anthropic's: user_location and filters.allowed_domains carry over,
 * max_tool_calls caps the searches; search_context_size and external_web_access have no Claude
 * setting and are named in the dropped fields unless they ask for the default.
 */
function responsesWebSearch (tool: ToolSpec, param: string, request: ResponsesRequest, dropped: string[]): AnthropicTool {
  const filters = tool.filters as { allowed_domains?: unknown } | null | undefined
  if (tool.external_web_access === false) dropped.push(`${param}.external_web_access`)
  return webSearchTool({
    location: { value: tool.user_location, param: `${param}.user_location` },
    allowedDomains: { value: filters?.allowed_domains, param: `${param}.filters.allowed_domains` },
    contextSize: { value: tool.search_context_size, param: `${param}.search_context_size` },
    maxUses: request.max_tool_calls || undefined
  }, dropped)
}

function addWebSearch (body: AnthropicRequest, webSearch: AnthropicTool): void {
  body.tools = [...(body.tools ?? []), webSearch]
  if (body.tool_choice === undefined) body.tool_choice = { type: 'auto' }
}

function wantedToolChoice (choice: ResponsesRequest['tool_choice'], names: ToolNames, offered: AnthropicTool[]): WantedToolChoice {
  if (choice === undefined || choice === null) return undefined
  if (typeof choice === 'string') {
    if (choice === 'none' || choice === 'auto' || choice === 'required') return choice
    throw invalidRequest(`tool_choice '${clientText(choice)}' is not one of none, auto, required`, 'tool_choice')
  }
  switch (choice.type) {
    case 'function':
    case 'custom': {
      if (typeof choice.name !== 'string') throw invalidRequest('tool_choice.name must be a string', 'tool_choice.name')
      const namespace = typeof choice.namespace === 'string' ? choice.namespace : undefined
      const name = [...offered.map((tool) => tool.name)].find((candidate) => names.lookup(candidate)?.name === choice.name && names.lookup(candidate)?.namespace === namespace)
      return { name: name ?? (choice.name as string) }
    }
    case 'allowed_tools':
      return choice.mode === 'required' ? 'required' : 'auto'
    default:
      throw invalidRequest(`tool_choice type '${clientText(choice.type)}' is not supported on Claude; use none, auto, required, a function, a custom tool or allowed_tools`, 'tool_choice.type', 'unsupported_tool')
  }
}

/** `allowed_tools` narrows what Claude is offered to the listed tools. */
function allowedTools (choice: ResponsesRequest['tool_choice']): Set<string> | undefined {
  if (typeof choice !== 'object' || choice === null || choice.type !== 'allowed_tools') return undefined
  if (!Array.isArray(choice.tools)) throw invalidRequest('tool_choice.tools must be a list of tools', 'tool_choice.tools')
  if (choice.mode !== 'auto' && choice.mode !== 'required') throw invalidRequest("tool_choice.mode must be 'auto' or 'required'", 'tool_choice.mode')
  const allowed = new Set<string>()
  for (const [index, entry] of (choice.tools as ToolSpec[]).entries()) {
    if (typeof entry?.name !== 'string') throw invalidRequest(`tool_choice.tools[${index}].name must be a string`, `tool_choice.tools[${index}].name`)
    const namespace = typeof entry.namespace === 'string' ? entry.namespace : undefined
    // The entry only names a tool: the tool's own definition (registered in applyTools) says what kind it is.
    allowed.add(upstreamName(entry.name, namespace))
  }
  return allowed
}

// ---------------------------------------------------------------------------------------------
// Text format
// ---------------------------------------------------------------------------------------------

function applyTextFormat (body: AnthropicRequest, request: ResponsesRequest, caps: ModelCapabilities, thinking: ThinkingDecision, policy: UnsupportedFieldPolicy, dropped: string[]): string | null {
  const verbosity = request.text?.verbosity
  if (verbosity && verbosity !== 'medium') refuseOrDrop('text.verbosity', `text.verbosity '${clientText(verbosity)}' has no Claude equivalent`, 'text.verbosity', policy, dropped)
  const format = request.text?.format ?? undefined
  if (!format || format.type === 'text') return null
  if (format.type !== 'json_object' && format.type !== 'json_schema') throw invalidRequest("text.format.type must be 'text', 'json_object' or 'json_schema'", 'text.format.type')
  const offersTools = (body.tools ?? []).length > 0 && request.tool_choice !== 'none'
  return applyJsonFormat(body, {
    type: format.type,
    name: typeof format.name === 'string' ? format.name : undefined,
    schema: format.schema as Record<string, unknown> | undefined,
    strict: format.strict as boolean | null | undefined,
    schemaParam: 'text.format.schema'
  }, caps, thinking, offersTools)
}
