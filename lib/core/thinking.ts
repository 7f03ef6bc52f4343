import type { ModelCapabilities } from '../anthropic/capabilities.js'
import type { AnthropicRequest, ThinkingConfig } from '../anthropic/types.js'
import { clientText, invalidRequest } from '../errors.js'
import { foldLastToolExchange, lastToolTurnLacksThinking } from './conversation.js'

export interface ThinkingDecision { on: boolean; style: 'budget' | 'adaptive' | null }

/** What the client asked for, before the model and the conversation have their say. */
export type ThinkingWish =
  | { kind: 'default' }
  | { kind: 'off' }
  | { kind: 'effort'; effort: string }
  | { kind: 'native'; config: ThinkingConfig }

const BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 24576, max: 32000 }
const EFFORT_ORDER = ['low', 'medium', 'high', 'xhigh', 'max']
export const EFFORTS = new Set(['none', 'minimal', ...EFFORT_ORDER])
export const MIN_ANSWER_TOKENS = 1024

const THINKING_OFF: ThinkingDecision = { on: false, style: null }

/** How the thinking text is shown: `summarized` asks for readable text even where the model hides it by default. */
export interface ThinkingDisplay { summarized: boolean }

/**
 * A reasoning effort (`param` names the field it came in). `explicit` is false when the effort
 * is implied (a `-thinking` model id), which for a model that cannot think is a wrong model id.
 */
export function effortWish (effort: string | undefined, explicit: boolean, caps: ModelCapabilities, model: string, param: string, dropped: string[]): ThinkingWish {
  if (effort === undefined) return { kind: 'default' }
  if (!EFFORTS.has(effort)) throw invalidRequest(`${param} '${clientText(effort)}' is not one of ${[...EFFORTS].join(', ')}`, param)
  if (effort === 'none') return { kind: 'off' }
  if (caps.thinking !== 'none') return { kind: 'effort', effort }
  if (!explicit) throw invalidRequest(`Model ${model} has no thinking variant: this model cannot think`, 'model', 'model_not_found')
  dropped.push(param)
  return { kind: 'default' }
}

const THINKING_FIELDS: Record<ThinkingConfig['type'], string[]> = { enabled: ['type', 'budget_tokens', 'display'], adaptive: ['type', 'display'], disabled: ['type'] }
const THINKING_TYPES_OF: Record<ModelCapabilities['thinking'], string[]> = { budget: ['enabled'], adaptive: ['adaptive'], both: ['enabled', 'adaptive'], none: [] }
const MIN_THINKING_BUDGET = 1024

/** Anthropic's own `thinking` object, checked field by field like the rest of the request and against the model. */
export function checkNativeThinking (thinking: unknown, model: string, caps: ModelCapabilities): ThinkingConfig {
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
    throw invalidRequest(`thinking.${clientText(unknown)} is not a field of thinking type '${clientText(type)}', which takes ${THINKING_FIELDS[type].join(', ')}`, `thinking.${unknown}`)
  }
  if (type === 'disabled') {
    if (caps.thinkingAlwaysOn) throw invalidRequest(`Model ${model} always thinks: thinking cannot be 'disabled'`, 'thinking.type')
    return { type }
  }
  if (!THINKING_TYPES_OF[caps.thinking].includes(type)) {
    const accepted = THINKING_TYPES_OF[caps.thinking].map((name) => `'${name}'`).join(' or ')
    throw invalidRequest(accepted === '' ? `Model ${clientText(model)} cannot think` : `Model ${clientText(model)} takes thinking type ${accepted}, not '${clientText(type)}'`, 'thinking.type')
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

/** Applies the wish to the upstream body, given the model and the conversation; `field` is reported when dropped. */
export function applyThinkingWish (body: AnthropicRequest, wish: ThinkingWish, caps: ModelCapabilities, field: string, dropped: string[], display: ThinkingDisplay = { summarized: false }): ThinkingDecision {
  return setThinking(body, avoidMissingThinking(body, wish, caps, field, dropped), caps, display)
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

function setThinking (body: AnthropicRequest, wish: ThinkingWish, caps: ModelCapabilities, display: ThinkingDisplay): ThinkingDecision {
  switch (wish.kind) {
    case 'native': return setNativeThinking(body, wish.config, caps)
    case 'effort': return caps.thinking === 'budget' ? setBudgetThinking(body, BUDGETS[wish.effort], caps) : setAdaptiveThinking(body, caps, wish.effort, display)
    case 'default': return thinksWith(wish, caps) ? setAdaptiveThinking(body, caps, undefined, display) : THINKING_OFF
    case 'off': return turnThinkingOff(body, caps, display)
  }
}

function turnThinkingOff (body: AnthropicRequest, caps: ModelCapabilities, display: ThinkingDisplay): ThinkingDecision {
  if (caps.thinkingAlwaysOn) return setAdaptiveThinking(body, caps, 'low', display)
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

function setAdaptiveThinking (body: AnthropicRequest, caps: ModelCapabilities, effort: string | undefined, display: ThinkingDisplay): ThinkingDecision {
  body.thinking = caps.thinkingHiddenByDefault || display.summarized ? { type: 'adaptive', display: 'summarized' } : { type: 'adaptive' }
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

export function checkForcedToolWithThinking (body: AnthropicRequest): void {
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool'
  if (forced && body.thinking?.type === 'enabled') {
    throw invalidRequest("tool_choice that forces a tool ('required' or a named function) cannot be combined with thinking on this model; use 'auto' or turn reasoning off", 'tool_choice', 'thinking_with_forced_tool')
  }
}
