import type { AnthropicUsage } from '../anthropic/types.js'

/** Per-million-token rates in micro-USD (1 USD = 1,000,000): $3 / MTok is 3_000_000. */
export interface TokenRates {
  input: number
  cacheWrite5m: number
  cacheWrite1h: number
  cacheRead: number
  output: number
}

export interface PriceEntry extends TokenRates {
  /** The family's id; dated ids (`<id>-YYYYMMDD`) match it too. */
  id: string
  /** Other ids (or `*` globs) priced the same, e.g. an older naming. */
  aliases?: string[]
  /** Micro-USD per 1,000 web searches. */
  webSearchPer1000: number
  /** Rates for a whole request whose prompt (input, cache reads and writes) exceeds `thresholdTokens`. */
  longPrompt?: TokenRates & { thresholdTokens: number }
  /** Where the figures come from. */
  source: string
  /** When they were read (YYYY-MM-DD). */
  date: string
}

/** One request's tokens, by how they are billed. */
export interface BilledUsage {
  uncachedInputTokens: number
  cacheWrite5mTokens: number
  cacheWrite1hTokens: number
  cacheReadTokens: number
  outputTokens: number
  webSearchRequests: number
}

const M = 1_000_000
const usd = (dollars: number): number => Math.round(dollars * M)
const PRICING_PAGE = 'https://platform.claude.com/docs/en/about-claude/pricing'
const WEB_SEARCH = usd(10)
const READ_ON = '2026-12-02'

function rates (input: number, write5m: number, write1h: number, read: number, output: number): TokenRates {
  return { input: usd(input), cacheWrite5m: usd(write5m), cacheWrite1h: usd(write1h), cacheRead: usd(read), output: usd(output) }
}

function entry (id: string, tokenRates: TokenRates, source = PRICING_PAGE, extra: Partial<PriceEntry> = {}): PriceEntry {
  return { id, ...tokenRates, webSearchPer1000: WEB_SEARCH, source, date: READ_ON, ...extra }
}

/**
 * Anthropic's list prices for the Claude API, read from its documentation on the date given.
 * Models whose figures could not be found there are left out (their requests cost null, not 0);
 * docs/teams.md ("Prices") lists what is here and what is not. PRICES in the configuration
 * replaces or adds entries.
 */
export const BUILT_IN_PRICES: readonly PriceEntry[] = [
  entry('claude-fable-5-1', rates(10, 12.5, 20, 0.25, 50)),
  entry('claude-mythos-5-1', rates(10, 12.5, 20, 0.25, 50)),
  entry('claude-fable-5', rates(10, 12.5, 20, 1, 50)),
  entry('claude-mythos-5', rates(10, 12.5, 20, 1, 50)),
  entry('claude-opus-5-5', rates(4, 5, 8, 0.2, 20), 'https://platform.claude.com/docs/en/models/opus-5-5/overview'),
  entry('claude-opus-5', rates(5, 6.25, 10, 0.5, 25)),
  entry('claude-opus-4-8', rates(5, 6.25, 10, 0.5, 25)),
  entry('claude-opus-4-7', rates(5, 6.25, 10, 0.5, 25)),
  entry('claude-opus-4-6', rates(5, 6.25, 10, 0.5, 25)),
  entry('claude-opus-4-5', rates(5, 6.25, 10, 0.5, 25)),
  entry('claude-opus-4-1', rates(15, 18.75, 30, 1.5, 75)),
  entry('claude-opus-4', rates(15, 18.75, 30, 1.5, 75), PRICING_PAGE, { aliases: ['claude-opus-4-0'] }),
  entry('claude-sonnet-5-5', rates(2, 2.5, 4, 0.2, 10), 'https://platform.claude.com/docs/en/models/sonnet-5-5/overview'),
  entry('claude-sonnet-5', rates(2, 2.5, 4, 0.2, 10), 'https://platform.claude.com/docs/en/models/sonnet-5/overview'),
  entry('claude-sonnet-4-6', rates(3, 3.75, 6, 0.3, 15)),
  entry('claude-sonnet-4-5', rates(3, 3.75, 6, 0.3, 15)),
  entry('claude-sonnet-4', rates(3, 3.75, 6, 0.3, 15), PRICING_PAGE, { aliases: ['claude-sonnet-4-0'] }),
  entry('claude-haiku-5-5', rates(0.1, 0.125, 0.2, 0.01, 0.5), 'https://platform.claude.com/docs/en/models/haiku-5-5/overview', {
    longPrompt: { thresholdTokens: 100_000, ...rates(0.5, 0.625, 1, 0.05, 2.5) }
  }),
  entry('claude-haiku-4-5', rates(1, 1.25, 2, 0.1, 5))
]

const DATE_SUFFIX = /-\d{8}$/

function globMatches (pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${escaped}$`).test(model)
}

export interface PriceQuote {
  /** Integer nano-USD (1 cent = 10,000,000). */
  costNanoUsd: number
  /** `<id>@<date>`: which entry priced the request. */
  priceVersion: string
}

/** Prices by model id: exact id, the id without its date suffix, then glob aliases, in table order. */
export class PriceTable {
  private readonly byId = new Map<string, PriceEntry>()
  private readonly globbed: PriceEntry[] = []

  /** `overrides` win over the built-in entries with the same id. */
  constructor (builtIn: readonly PriceEntry[], overrides: readonly PriceEntry[] = []) {
    const entries = new Map<string, PriceEntry>()
    for (const price of [...builtIn, ...overrides]) entries.set(price.id, price)
    for (const price of entries.values()) {
      this.byId.set(price.id, price)
      for (const alias of price.aliases ?? []) {
        if (alias.includes('*')) this.globbed.push(price)
        else this.byId.set(alias, price)
      }
    }
  }

  entries (): PriceEntry[] {
    return [...new Set(this.byId.values())]
  }

  lookup (model: string): PriceEntry | undefined {
    const exact = this.byId.get(model) ?? this.byId.get(model.replace(DATE_SUFFIX, ''))
    if (exact) return exact
    return this.globbed.find((price) => (price.aliases ?? []).some((alias) => globMatches(alias, model)))
  }

  /** The request's cost, or undefined when the model has no price. */
  quote (model: string, usage: BilledUsage): PriceQuote | undefined {
    const price = this.lookup(model)
    if (!price) return undefined
    return { costNanoUsd: costOf(price, usage), priceVersion: `${price.id}@${price.date}` }
  }
}

/** Prompt size as the long-prompt band counts it: every input token, cached or not. */
function promptTokens (usage: BilledUsage): number {
  return usage.uncachedInputTokens + usage.cacheReadTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens
}

/** A request's cost by how it is billed, in pico-USD (exact: integer counts times integer rates). */
export interface CostParts {
  uncachedInput: bigint
  cacheWrite5m: bigint
  cacheWrite1h: bigint
  cacheRead: bigint
  output: bigint
  webSearch: bigint
}

export function costParts (price: PriceEntry, usage: BilledUsage): CostParts {
  const band = price.longPrompt !== undefined && promptTokens(usage) > price.longPrompt.thresholdTokens ? price.longPrompt : price
  return {
    uncachedInput: BigInt(usage.uncachedInputTokens) * BigInt(band.input),
    cacheWrite5m: BigInt(usage.cacheWrite5mTokens) * BigInt(band.cacheWrite5m),
    cacheWrite1h: BigInt(usage.cacheWrite1hTokens) * BigInt(band.cacheWrite1h),
    cacheRead: BigInt(usage.cacheReadTokens) * BigInt(band.cacheRead),
    output: BigInt(usage.outputTokens) * BigInt(band.output),
    // Per 1,000 searches in micro-USD: one search is price × 10^6 / 1000 pico-USD.
    webSearch: BigInt(usage.webSearchRequests) * BigInt(price.webSearchPer1000) * 1000n
  }
}

/** The parts summed as pico-USD, and only the total rounded (half up) to nano-USD, so no per-kind rounding drifts. */
export function costOf (price: PriceEntry, usage: BilledUsage): number {
  const parts = costParts(price, usage)
  const pico = parts.uncachedInput + parts.cacheWrite5m + parts.cacheWrite1h + parts.cacheRead + parts.output + parts.webSearch
  return Number((pico + 500n) / 1000n)
}

/**
 * Anthropic's usage split by how it is billed. Cache writes carry their 5-minute / 1-hour split
 * in `cache_creation` when the API sends it; without it, all writes count as 5-minute ones.
 */
export function billedUsage (usage: AnthropicUsage): BilledUsage {
  const written = usage.cache_creation_input_tokens ?? 0
  const split = usage.cache_creation
  const oneHour = split?.ephemeral_1h_input_tokens ?? 0
  const fiveMinutes = split ? (split.ephemeral_5m_input_tokens ?? 0) : written - oneHour
  return {
    uncachedInputTokens: usage.input_tokens ?? 0,
    cacheWrite5mTokens: fiveMinutes,
    cacheWrite1hTokens: oneHour,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    webSearchRequests: usage.server_tool_use?.web_search_requests ?? 0
  }
}

export function addBilled (into: BilledUsage, more: BilledUsage): BilledUsage {
  return {
    uncachedInputTokens: into.uncachedInputTokens + more.uncachedInputTokens,
    cacheWrite5mTokens: into.cacheWrite5mTokens + more.cacheWrite5mTokens,
    cacheWrite1hTokens: into.cacheWrite1hTokens + more.cacheWrite1hTokens,
    cacheReadTokens: into.cacheReadTokens + more.cacheReadTokens,
    outputTokens: into.outputTokens + more.outputTokens,
    webSearchRequests: into.webSearchRequests + more.webSearchRequests
  }
}

export function noUsage (): BilledUsage {
  return { uncachedInputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, outputTokens: 0, webSearchRequests: 0 }
}
