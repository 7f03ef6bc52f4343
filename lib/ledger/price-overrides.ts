import { Compile } from 'typebox/compile'
import { PriceOverridesSchema, type PriceOverride } from '../../schemas/prices.js'
import type { PriceEntry, TokenRates } from './prices.js'

const check = Compile(PriceOverridesSchema)
const DEFAULT_WEB_SEARCH_DOLLARS = 10

/** Dollars to integer micro-dollars; six decimals are all a rate per million tokens can carry here. */
function micro (dollars: number): number {
  return Math.round(dollars * 1_000_000)
}

function ratesOf (entry: { input: number, cache_write_5m: number, cache_write_1h: number, cache_read: number, output: number }): TokenRates {
  return { input: micro(entry.input), cacheWrite5m: micro(entry.cache_write_5m), cacheWrite1h: micro(entry.cache_write_1h), cacheRead: micro(entry.cache_read), output: micro(entry.output) }
}

function toEntry (override: PriceOverride, today: string): PriceEntry {
  return {
    id: override.id,
    ...(override.aliases ? { aliases: override.aliases } : {}),
    ...ratesOf(override),
    webSearchPer1000: micro(override.web_search_per_1000 ?? DEFAULT_WEB_SEARCH_DOLLARS),
    ...(override.long_prompt ? { longPrompt: { thresholdTokens: override.long_prompt.threshold_tokens, ...ratesOf(override.long_prompt) } } : {}),
    source: override.source ?? 'PRICES setting',
    date: override.date ?? today
  }
}

/** PRICES: a JSON list (a YAML list in config.yaml) of entries in dollars per million tokens. */
export function parsePriceOverrides (raw: string | undefined, today = new Date().toISOString().slice(0, 10)): PriceEntry[] {
  if (raw === undefined || raw.trim() === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new Error('must be a JSON (or YAML) list of price entries')
  }
  if (!check.Check(parsed)) {
    const first = check.Errors(parsed)[0]
    throw new Error(`${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`.trim())
  }
  return parsed.map((override) => toEntry(override, today))
}
