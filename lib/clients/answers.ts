import type { RateStanding, SpendStanding } from './limiter.js'
import { NANO_PER_CENT } from './limiter.js'

const UNIFIED = 'anthropic-ratelimit-unified-'
const WARNING_THRESHOLDS = [0.95, 0.75]

function unixSeconds (ms: number): string {
  return String(Math.ceil(ms / 1000))
}

function secondsUntil (ms: number, now: number): number {
  return Math.max(1, Math.ceil((ms - now) / 1000))
}

function dollars (cents: number): string {
  return `$${(cents / 100).toFixed(2)}`
}

/** Used over cap, below 1 while allowed; two decimals, rounded down so 0.999 never reads as 1.00. */
export function utilization (standing: SpendStanding): number {
  const cap = standing.cap.cents * NANO_PER_CENT
  if (cap <= 0) return 1
  return Math.min(1, Math.floor((standing.usedNano / cap) * 100) / 100)
}

/** The standing that is closest to its cap: the one Claude Code's notice should speak of. */
export function tightestSpend (spend: readonly SpendStanding[]): SpendStanding | undefined {
  let tightest: SpendStanding | undefined
  for (const standing of spend) if (tightest === undefined || standing.usedNano / Math.max(1, standing.cap.cents) > tightest.usedNano / Math.max(1, tightest.cap.cents)) tightest = standing
  return tightest
}

/** Claude Code's usage headers on a successful Messages answer of a capped client. */
export function unifiedUsageHeaders (spend: readonly SpendStanding[]): Record<string, string> {
  const standing = tightestSpend(spend)
  if (standing === undefined) return {}
  const used = Math.min(0.99, utilization(standing))
  const passed = WARNING_THRESHOLDS.find((threshold) => used >= threshold)
  const status = passed === undefined ? 'allowed' : 'allowed_warning'
  const headers: Record<string, string> = {
    [`${UNIFIED}status`]: status,
    [`${UNIFIED}representative-claim`]: 'overage',
    [`${UNIFIED}overage-status`]: status,
    [`${UNIFIED}overage-utilization`]: used.toFixed(2),
    [`${UNIFIED}reset`]: unixSeconds(standing.resetAt),
    [`${UNIFIED}overage-reset`]: unixSeconds(standing.resetAt)
  }
  if (passed !== undefined) headers[`${UNIFIED}overage-surpassed-threshold`] = passed.toFixed(2)
  if (standing.cap.pooled) headers[`${UNIFIED}overage-scope`] = 'group_pool'
  return headers
}

function capName (standing: SpendStanding, client: string, group: string | null): string {
  const { cap } = standing
  if (cap.pooled) return `the ${cap.period} spend cap of ${dollars(cap.cents)} shared by group '${group ?? ''}'`
  const whose = cap.source === 'client' ? `client '${client}'` : cap.source === 'group' ? `each member of group '${group ?? ''}'` : 'each client of the organisation'
  return `the ${cap.period} spend cap of ${dollars(cap.cents)} for ${whose}`
}

/** One sentence: which cap, when it resets, what to do. */
export function spendRefusalMessage (standing: SpendStanding, client: string, group: string | null): string {
  const reset = new Date(Math.ceil(standing.resetAt / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  return `You have reached ${capName(standing, client, group)}; it resets at ${reset}, so wait until then or ask your gateway administrator to raise the cap.`
}

/** The contract's refusal headers (Anthropic routes): no representative-claim, no overage-status. */
export function spendRefusalHeaders (standing: SpendStanding, now: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-should-retry': 'false',
    [`${UNIFIED}status`]: 'rejected',
    [`${UNIFIED}reset`]: unixSeconds(standing.resetAt),
    [`${UNIFIED}overage-reset`]: unixSeconds(standing.resetAt),
    [`${UNIFIED}overage-utilization`]: '1',
    [`${UNIFIED}overage-surpassed-threshold`]: '1',
    [`${UNIFIED}overage-period`]: standing.cap.period,
    [`${UNIFIED}overage-disabled-reason`]: 'org_spend_cap_reached'
  }
  if (standing.cap.pooled) headers[`${UNIFIED}overage-scope`] = 'group_pool'
  return headers
}

export function retryAfterSeconds (resetAt: number, now: number): string {
  return String(secondsUntil(resetAt, now))
}

const RATE_WORDS = { rpm: 'requests per minute', input_tpm: 'input tokens per minute', output_tpm: 'output tokens per minute', concurrency: 'concurrent requests' }

export function rateRefusalMessage (standing: RateStanding, client: string, group: string | null, now: number): string {
  const { rate } = standing
  const whose = rate.scope === 'client' ? `client '${client}'` : `group '${group ?? ''}'`
  return `Rate limit reached: ${rate.limit} ${RATE_WORDS[rate.kind]} for ${whose}; retry after ${secondsUntil(standing.resetAt, now)} s.`
}

/** The one with the least left of a kind, as OpenAI reports a single limit per kind. */
function tightest (rates: readonly RateStanding[], kinds: ReadonlyArray<RateStanding['rate']['kind']>): RateStanding | undefined {
  let best: RateStanding | undefined
  for (const standing of rates) {
    if (!kinds.includes(standing.rate.kind)) continue
    if (best === undefined || standing.rate.limit - standing.value < best.rate.limit - best.value) best = standing
  }
  return best
}

/** OpenAI's x-ratelimit-* headers for a client's requests- and tokens-per-minute limits. */
export function openAiRateHeaders (rates: readonly RateStanding[], now: number): Record<string, string> {
  const headers: Record<string, string> = {}
  const requests = tightest(rates, ['rpm'])
  if (requests !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(requests.rate.limit)
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, requests.rate.limit - requests.value))
    headers['x-ratelimit-reset-requests'] = `${secondsUntil(requests.resetAt, now)}s`
  }
  const tokens = tightest(rates, ['input_tpm', 'output_tpm'])
  if (tokens !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(tokens.rate.limit)
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokens.rate.limit - tokens.value))
    headers['x-ratelimit-reset-tokens'] = `${secondsUntil(tokens.resetAt, now)}s`
  }
  return headers
}

/** The upstream's anthropic-ratelimit-* headers describe the pool's organisation, not the caller: they stay here. */
export function withoutUpstreamRateLimits (headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith('anthropic-ratelimit-')) kept[name] = value
  return kept
}
