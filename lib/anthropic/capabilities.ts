// What each model generation accepts. New models arrive every few months, so this is data,
// matched by id pattern (first match wins), and configuration can put rules in front of it.

export type ThinkingStyle = 'budget' | 'adaptive' | 'both' | 'none'

export interface ModelCapabilities {
  /** Which `thinking.type` the model takes: `enabled` with a budget, `adaptive`, either, or none at all. */
  thinking: ThinkingStyle
  /** Thinking cannot be turned off (the model always thinks). */
  thinkingAlwaysOn: boolean
  /** The model thinks unless told `thinking: {type: 'disabled'}`. */
  thinkingOnByDefault: boolean
  /** Adaptive thinking text is omitted unless `display: summarized` is asked for. */
  thinkingHiddenByDefault: boolean
  /** Accepted `output_config.effort` values; empty when the model takes none. */
  efforts: string[]
  /** Native structured outputs (`output_config.format`). */
  structuredOutputs: boolean
  maxOutputTokens: number
  defaultMaxTokens: number
  /** Any non-default temperature, top_p or top_k is refused upstream. */
  samplingLocked: boolean
  /** temperature and top_p may not be sent together. */
  temperatureOrTopP: boolean
  /** A trailing assistant message (prefill) is accepted. */
  prefill: boolean
  /** Any temperature, top_p or top_k at all, even a default value, is refused (an API-version rule). */
  samplingRefused: boolean
  /** A `document` block may stand directly in an assistant message. */
  documentsInAssistantTurns: boolean
  /** A user message's text block may carry `citations`. */
  citationsInUserText: boolean
}

/** Rules an `anthropic-version` imposes on every model, laid over the model's own. */
export interface ApiVersionRule extends Partial<ModelCapabilities> { version: string }

export interface CapabilityRule extends Partial<ModelCapabilities> { match: string }

const BASE: ModelCapabilities = {
  thinking: 'budget',
  thinkingAlwaysOn: false,
  thinkingOnByDefault: false,
  thinkingHiddenByDefault: false,
  efforts: [],
  structuredOutputs: false,
  maxOutputTokens: 32000,
  defaultMaxTokens: 8192,
  samplingLocked: false,
  temperatureOrTopP: false,
  prefill: true,
  samplingRefused: false,
  documentsInAssistantTurns: true,
  citationsInUserText: true
}

const ALL_EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max']
const NEWEST = { thinking: 'adaptive', thinkingHiddenByDefault: true, efforts: ALL_EFFORTS, structuredOutputs: true, maxOutputTokens: 128000, samplingLocked: true, prefill: false } as const

export const BUILT_IN_RULES: CapabilityRule[] = [
  { match: 'fable|mythos', ...NEWEST, thinkingAlwaysOn: true },
  { match: 'opus-5', ...NEWEST, thinkingOnByDefault: true },
  { match: 'sonnet-5', ...NEWEST },
  { match: 'opus-4-[789]', ...NEWEST },
  { match: '(opus|sonnet)-4-6', thinking: 'both', efforts: ['low', 'medium', 'high', 'max'], structuredOutputs: true, maxOutputTokens: 128000, prefill: false },
  { match: 'opus-4-5', efforts: ['low', 'medium', 'high'], structuredOutputs: true, maxOutputTokens: 64000 },
  { match: '(sonnet|haiku)-4-5', structuredOutputs: true, maxOutputTokens: 64000, temperatureOrTopP: true },
  { match: 'opus-4-1|opus-4-0|opus-4-2|claude-opus-4$', maxOutputTokens: 32000 },
  { match: 'sonnet-4|3-7-sonnet', maxOutputTokens: 64000 },
  { match: '3-5-haiku|3-5-sonnet', thinking: 'none', maxOutputTokens: 8192 },
  { match: 'claude-3-haiku|claude-3-opus', thinking: 'none', maxOutputTokens: 4096, defaultMaxTokens: 4096 },
  // Generations newer than this table: every model since Opus 4.7 takes adaptive thinking only,
  // so a future id is more likely to behave like the newest than like the oldest.
  { match: '(opus|sonnet|haiku|fable|mythos)-([5-9]|[1-9][0-9])(-|$)', ...NEWEST }
]

/** The first `anthropic-version` since 2023-06-01: the SDK majors of that day removed sampling parameters from their types. */
export const API_VERSION_RULES: ApiVersionRule[] = [
  { version: '2026-10-21', samplingRefused: true, documentsInAssistantTurns: false, citationsInUserText: false }
]

export class CapabilityTable {
  private readonly rules: Array<{ pattern: RegExp; rule: CapabilityRule }>
  private readonly cache = new Map<string, ModelCapabilities>()
  private readonly versionRule: Partial<ModelCapabilities>

  /** `apiVersion`: the anthropic-version the gateway sends, whose rules apply to every model. */
  constructor (overrides: CapabilityRule[] = [], apiVersion?: string) {
    this.rules = [...overrides, ...BUILT_IN_RULES].map((rule) => ({ pattern: new RegExp(rule.match, 'i'), rule }))
    const { version: _version, ...rule } = API_VERSION_RULES.find((entry) => entry.version === apiVersion) ?? { version: '' }
    this.versionRule = rule
  }

  lookup (model: string): ModelCapabilities {
    const known = this.cache.get(model)
    if (known) return known
    const found = this.rules.find(({ pattern }) => pattern.test(model))
    const { match: _match, ...caps } = found?.rule ?? { match: '' }
    const merged: ModelCapabilities = { ...BASE, ...caps, ...this.versionRule }
    merged.defaultMaxTokens = Math.min(merged.defaultMaxTokens, merged.maxOutputTokens)
    if (this.cache.size < 1000) this.cache.set(model, merged)
    return merged
  }
}
