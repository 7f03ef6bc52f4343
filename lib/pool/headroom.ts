/** One of Anthropic's rate limits for a key, as its `anthropic-ratelimit-<kind>-*` headers last said. */
export interface LimitWindow {
  limit: number
  remaining: number
  /** When the window refills (epoch ms); past it, the key is trusted with the whole limit again. */
  resetAt: number
}

/** What the headers of a key's last answer said about its limits (any may be absent). */
export interface KeyLimits {
  requests?: LimitWindow
  inputTokens?: LimitWindow
  outputTokens?: LimitWindow
  /** When these were observed (epoch ms): the newer of two views wins between replicas. */
  observedAt: number
}

const KINDS = [['requests', 'requests'], ['inputTokens', 'input-tokens'], ['outputTokens', 'output-tokens']] as const

/** Reads `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`; undefined when none is there. */
export function limitsFromHeaders (headers: Record<string, string | string[] | undefined>, now: number): KeyLimits | undefined {
  const limits: KeyLimits = { observedAt: now }
  let found = false
  for (const [field, name] of KINDS) {
    const limit = numberHeader(headers[`anthropic-ratelimit-${name}-limit`])
    const remaining = numberHeader(headers[`anthropic-ratelimit-${name}-remaining`])
    if (limit === undefined || remaining === undefined) continue
    const reset = Date.parse(String(first(headers[`anthropic-ratelimit-${name}-reset`]) ?? ''))
    limits[field] = { limit, remaining: Math.min(remaining, limit), resetAt: Number.isFinite(reset) ? reset : now + 60_000 }
    found = true
  }
  return found ? limits : undefined
}

/** Input tokens a request will use, from its body size: about four bytes of JSON per token. */
export function estimateInputTokens (bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4)
}

/** What is left of one window now (the whole limit once its reset has passed). */
function left (window: LimitWindow | undefined, now: number): { remaining: number; limit: number } | undefined {
  if (window === undefined) return undefined
  return window.resetAt <= now ? { remaining: window.limit, limit: window.limit } : window
}

/** Why a key cannot take a request now, or undefined when it can. */
export function shortOf (limits: KeyLimits | undefined, inputTokens: number, now: number): 'requests' | 'input_tokens' | 'output_tokens' | undefined {
  if (limits === undefined) return undefined
  if ((left(limits.requests, now)?.remaining ?? 1) < 1) return 'requests'
  if ((left(limits.inputTokens, now)?.remaining ?? Infinity) < inputTokens) return 'input_tokens'
  if ((left(limits.outputTokens, now)?.remaining ?? 1) < 1) return 'output_tokens'
  return undefined
}

/** The smallest share left of any window (1: untouched or unknown, 0: exhausted). */
export function headroom (limits: KeyLimits | undefined, now: number): number {
  if (limits === undefined) return 1
  let share = 1
  for (const [field] of KINDS) {
    const window = left(limits[field], now)
    if (window !== undefined && window.limit > 0) share = Math.min(share, Math.max(0, window.remaining) / window.limit)
  }
  return share
}

/**
 * Counts a request against the key's known windows at once, so that a burst sees each request
 * it already sent before the upstream's headers say so. The next answer's headers replace this.
 */
export function reserve (limits: KeyLimits | undefined, inputTokens: number, now: number): void {
  if (limits === undefined) return
  if (limits.requests !== undefined && limits.requests.resetAt > now) limits.requests.remaining -= 1
  if (limits.inputTokens !== undefined && limits.inputTokens.resetAt > now) limits.inputTokens.remaining -= inputTokens
}

/** Parses limits shared by another replica; anything malformed reads as absent. */
export function parseKeyLimits (text: string | undefined): KeyLimits | undefined {
  try {
    const value = JSON.parse(text as string) as Partial<KeyLimits>
    if (typeof value.observedAt !== 'number') return undefined
    const limits: KeyLimits = { observedAt: value.observedAt }
    for (const [field] of KINDS) {
      const window = value[field]
      if (window !== undefined && typeof window.limit === 'number' && typeof window.remaining === 'number' && typeof window.resetAt === 'number') limits[field] = { limit: window.limit, remaining: window.remaining, resetAt: window.resetAt }
    }
    return limits
  } catch {
    return undefined
  }
}

/** When the shared copy may go: once every window has reset, it says nothing a fresh key would not. */
export function limitsExpireAt (limits: KeyLimits): number {
  return Math.max(limits.observedAt, ...KINDS.map(([field]) => limits[field]?.resetAt ?? 0))
}

function first (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function numberHeader (value: string | string[] | undefined): number | undefined {
  const text = first(value)
  if (text === undefined || !/^\d{1,12}$/.test(text.trim())) return undefined
  return Number(text)
}
