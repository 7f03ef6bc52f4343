import { hash } from 'node:crypto'
import { headroom, reserve, shortOf, type KeyLimits } from './pool/headroom.js'
import { keyLabels, type KeySpec } from './pool/key-spec.js'

export { keyLabel } from './pool/key-spec.js'

export interface PoolKey {
  /** Position in this instance's list (other replicas may order the list differently). */
  readonly index: number
  readonly secret: string
  /** What logs, metrics and the status page call the key (lib/pool/key-spec.ts), the same on every replica. */
  readonly label: string
  readonly weight: number
  readonly priority: number
  readonly maxConcurrency: number | undefined
  /** A digest of the secret: how instances name the key to each other in shared state. */
  readonly id: string
  coolingUntil: number
  disabledReason: string | null
  disabledAt: number
  lastError: string | null
  /** When this instance last changed or learnt the key's state (0: never). */
  changedAt: number
  /** A cooldown ended: the key waits for a cheap check before it serves a request again. */
  probePending: boolean
  /** What its answers' rate-limit headers last said (shared between replicas). */
  limits: KeyLimits | undefined
  /** Upstream calls with this key open on this instance right now. */
  inFlight: number
}

/** Why a key was not (or no longer) the one to use for a request. */
export type PassOverReason = 'disabled' | 'cooling' | 'probing' | 'concurrency' | 'requests' | 'input_tokens' | 'output_tokens' | 'tried'

/** The key chosen for an attempt and, when the conversation had another key, why it moved. */
export interface KeyChoice {
  key: PoolKey | undefined
  moved?: PassOverReason
}

/** What instances share about a key (never the secret). */
export interface KeyRecord {
  coolingUntil: number
  disabledReason: string | null
  disabledAt: number
  lastError: string | null
  changedAt: number
  probePending?: boolean
}

/**
 * KEY_ROUTING: how a request's key is chosen. `headroom` keeps a conversation on its key and
 * places new ones by the limits Anthropic reports; `affinity` keeps conversations but ignores
 * those limits; `round-robin` does neither (the latter two are there to compare against).
 */
export type KeyRouting = 'headroom' | 'affinity' | 'round-robin'

export interface PoolStatus { total: number; healthy: number; cooling: number; disabled: number }

/** One key as operators may see it: its label and health, never the secret. */
export interface PoolKeyView { label: string; state: 'healthy' | 'cooling' | 'disabled'; coolingSeconds: number; disabledReason: string | null }

/** 16 hex digits of the key's SHA-256: enough to tell keys apart, useless to recover them. */
export function keyId (secret: string): string {
  return hash('sha256', secret, 'hex').slice(0, 16)
}

/**
 * Round-robin over the keys that are neither cooling down nor disabled. Everything here is
 * synchronous and local; `onChange` lets the owner share each change, and `merge` takes in
 * what other instances changed.
 */
export class KeyPool {
  private readonly keys: PoolKey[]
  private readonly byId = new Map<string, PoolKey>()
  private readonly bySecret = new Map<string, PoolKey>()
  private cursor = 0
  /** KEY_MAX_CONCURRENCY, for keys without their own cap (0: none). */
  maxConcurrency = 0
  /** Whether the limits answers report steer the choice (KEY_ROUTING=headroom); without, healthy keys rotate. */
  byHeadroom = true

  constructor (keys: ReadonlyArray<string | KeySpec>, private readonly now: () => number = Date.now, private readonly onChange: (key: PoolKey) => void = () => {}) {
    const specs: KeySpec[] = keys.map((key) => typeof key === 'string' ? { secret: key, weight: 1, priority: 0 } : key)
    const labels = keyLabels(specs)
    this.keys = specs.map((spec, index) => ({ index, secret: spec.secret, label: labels[index], weight: spec.weight, priority: spec.priority, maxConcurrency: spec.maxConcurrency, id: keyId(spec.secret), coolingUntil: 0, disabledReason: null, disabledAt: 0, lastError: null, changedAt: 0, probePending: false, limits: undefined, inFlight: 0 }))
    for (const key of this.keys) {
      this.byId.set(key.id, key)
      this.bySecret.set(key.secret, key)
    }
  }

  get size (): number {
    return this.keys.length
  }

  get all (): readonly PoolKey[] {
    return this.keys
  }

  find (id: string): PoolKey | undefined {
    return this.byId.get(id)
  }

  /** The pool key with this secret (answers' headers are matched to keys this way), if any. */
  withSecret (secret: string): PoolKey | undefined {
    return this.bySecret.get(secret)
  }

  /** The key `choose` picks, without saying why a conversation moved. */
  acquire (tried: ReadonlySet<number> = new Set(), preferred?: string, inputTokens = 0): PoolKey | undefined {
    return this.choose(tried, preferred, inputTokens).key
  }

  /**
   * The key for the next attempt, not one in `tried`: the conversation's `preferred` key while it
   * can take the request; else, among the keys that can, the highest priority, then the most
   * headroom times weight, ties in round-robin order. The choice is counted against its limits
   * at once, so that the rest of a burst sees it. Without `byHeadroom` every healthy key of the
   * highest priority ties, so the choice is plain round-robin.
   */
  choose (tried: ReadonlySet<number> = new Set(), preferred?: string, inputTokens = 0): KeyChoice {
    const time = this.now()
    const favourite = this.byId.get(preferred ?? '')
    let moved: PassOverReason | undefined
    if (favourite !== undefined) {
      moved = tried.has(favourite.index) ? 'tried' : this.unavailable(favourite, inputTokens, time)
      if (moved === undefined) return { key: this.take(favourite, inputTokens, time) }
    }
    let best: PoolKey | undefined
    let bestScore = -1
    for (let step = 0; step < this.keys.length; step++) {
      const key = this.keys[(this.cursor + step) % this.keys.length]
      if (tried.has(key.index) || this.unavailable(key, inputTokens, time) !== undefined) continue
      const score = this.byHeadroom ? key.weight * headroom(key.limits, time) : 0
      if (best === undefined || key.priority > best.priority || (key.priority === best.priority && score > bestScore)) {
        best = key
        bestScore = score
      }
    }
    if (best !== undefined) this.cursor = (best.index + 1) % this.keys.length
    return { key: best === undefined ? undefined : this.take(best, inputTokens, time), moved }
  }

  /** Why the key cannot take a request of this size now; undefined when it can. */
  unavailable (key: PoolKey, inputTokens = 0, time = this.now()): PassOverReason | undefined {
    if (key.disabledReason !== null) return 'disabled'
    if (key.coolingUntil > time) return 'cooling'
    if (key.probePending) return 'probing'
    const cap = key.maxConcurrency ?? this.maxConcurrency
    if (cap > 0 && key.inFlight >= cap) return 'concurrency'
    return this.byHeadroom ? shortOf(key.limits, inputTokens, time) : undefined
  }

  /** True when the key is in rotation now (its limits and concurrency aside). */
  usable (key: PoolKey, time = this.now()): boolean {
    return key.disabledReason === null && key.coolingUntil <= time && !key.probePending
  }

  /** Takes in the rate-limit headers of an answer the key served. */
  observeLimits (key: PoolKey, limits: KeyLimits): void {
    key.limits = limits
  }

  /** Takes in another replica's view of the key's limits when it is newer than ours. */
  mergeLimits (key: PoolKey, limits: KeyLimits | undefined): boolean {
    if (limits === undefined) return key.limits !== undefined
    if (key.limits !== undefined && key.limits.observedAt > limits.observedAt) return true
    if (key.limits === undefined || limits.observedAt > key.limits.observedAt) key.limits = limits
    return false
  }

  /** Keys whose cooldown is over and that wait for their check. */
  dueForProbe (): PoolKey[] {
    const time = this.now()
    return this.keys.filter((key) => key.probePending && key.disabledReason === null && key.coolingUntil <= time)
  }

  /** The check after a cooldown answered: 'ok' puts the key back, anything else cools it a little longer. */
  probed (key: PoolKey, verdict: 'ok' | 'rejected' | 'unknown', retrySeconds = 5): void {
    if (verdict === 'ok') {
      key.probePending = false
      this.changed(key)
    } else {
      this.coolDown(key, retrySeconds, `check after cooldown: ${verdict}`)
    }
  }

  private take (key: PoolKey, inputTokens: number, time: number): PoolKey {
    if (this.byHeadroom) reserve(key.limits, inputTokens, time)
    return key
  }

  coolDown (key: PoolKey, seconds: number, error = 'rate limited'): void {
    key.coolingUntil = Math.max(key.coolingUntil, this.now() + seconds * 1000)
    // Told to retry at once, there is no cooldown whose end would need checking.
    key.probePending = key.probePending || seconds > 0
    key.lastError = error
    this.changed(key)
  }

  disable (key: PoolKey, reason: string): void {
    key.disabledReason = reason
    key.disabledAt = this.now()
    key.lastError = reason
    this.changed(key)
  }

  /** Back into rotation (a re-check found the key working again). */
  enable (key: PoolKey): void {
    key.disabledReason = null
    key.disabledAt = 0
    key.probePending = false
    this.changed(key)
  }

  /** Disabled keys whose last check is at least `afterMs` old. */
  dueForRecheck (afterMs: number): PoolKey[] {
    const time = this.now()
    return this.keys.filter((key) => key.disabledReason !== null && time - key.disabledAt >= afterMs)
  }

  recordOf (key: PoolKey): KeyRecord {
    return { coolingUntil: key.coolingUntil, disabledReason: key.disabledReason, disabledAt: key.disabledAt, lastError: key.lastError, changedAt: key.changedAt, probePending: key.probePending }
  }

  /**
   * Takes in the shared record of a key: the newer of the two states wins. Returns true when
   * this instance knows something newer that the shared state lacks (the owner then writes it).
   */
  merge (key: PoolKey, record: KeyRecord | undefined): boolean {
    // A key never changed is healthy, so this also covers "nothing known on either side".
    if (record === undefined) return key.disabledReason !== null || key.coolingUntil > this.now() || key.probePending
    if (record.changedAt < key.changedAt) return true
    if (record.changedAt > key.changedAt) {
      key.coolingUntil = record.coolingUntil
      key.disabledReason = record.disabledReason
      key.disabledAt = record.disabledAt
      key.lastError = record.lastError
      key.changedAt = record.changedAt
      key.probePending = record.probePending === true
    }
    return false
  }

  /** Seconds until the first key that is not disabled can serve again; undefined when none is waiting. */
  secondsUntilAvailable (): number | undefined {
    const time = this.now()
    const waits = this.keys.filter((key) => key.disabledReason === null).flatMap((key) => {
      if (key.coolingUntil > time) return [key.coolingUntil - time]
      // Waiting for its check, or out of headroom until a window resets, or at its concurrency cap.
      const reason = this.unavailable(key, 0, time)
      if (reason === undefined) return []
      const resets = [key.limits?.requests, key.limits?.inputTokens, key.limits?.outputTokens].flatMap((window) => window !== undefined && window.resetAt > time ? [window.resetAt - time] : [])
      return [reason === 'probing' || reason === 'concurrency' || resets.length === 0 ? 1000 : Math.min(...resets)]
    })
    return waits.length > 0 ? Math.max(1, Math.ceil(Math.min(...waits) / 1000)) : undefined
  }

  status (): PoolStatus {
    const time = this.now()
    const disabled = this.keys.filter((key) => key.disabledReason !== null).length
    const cooling = this.keys.filter((key) => key.disabledReason === null && (key.coolingUntil > time || key.probePending)).length
    return { total: this.keys.length, healthy: this.keys.length - disabled - cooling, cooling, disabled }
  }

  /** Every key's label and health, for the status page and metrics. */
  describe (): PoolKeyView[] {
    const time = this.now()
    return this.keys.map((key) => {
      const cooling = key.disabledReason === null && (key.coolingUntil > time || key.probePending)
      const state = key.disabledReason !== null ? 'disabled' : cooling ? 'cooling' : 'healthy'
      return { label: key.label, state, coolingSeconds: cooling ? Math.max(0, Math.ceil((key.coolingUntil - time) / 1000)) : 0, disabledReason: key.disabledReason }
    })
  }

  private changed (key: PoolKey): void {
    // Strictly increasing, so that two changes within one millisecond still order.
    key.changedAt = Math.max(this.now(), key.changedAt + 1)
    this.onChange(key)
  }
}

/** Parses a shared record; anything malformed reads as absent. */
export function parseKeyRecord (text: string | undefined): KeyRecord | undefined {
  try {
    // JSON.parse(undefined) throws, so an absent record reads as absent below.
    const value = JSON.parse(text as string) as Partial<KeyRecord>
    if (typeof value.coolingUntil !== 'number' || typeof value.changedAt !== 'number' || typeof value.disabledAt !== 'number') return undefined
    return { coolingUntil: value.coolingUntil, changedAt: value.changedAt, disabledAt: value.disabledAt, disabledReason: typeof value.disabledReason === 'string' ? value.disabledReason : null, lastError: typeof value.lastError === 'string' ? value.lastError : null, probePending: value.probePending === true }
  } catch {
    return undefined
  }
}

/** A 403 about the credential itself (the key, its organisation or workspace), not about what was asked. */
const KEY_LEVEL_403 = /\b(api[ _-]?key|x-api-key|this key|credential|key (is|has been) (disabled|revoked|suspended))\b|\b(organization|organisation|workspace|account)\b.*\b(disabled|suspended|archived|deactivated|banned)\b/i
/** Words that tie a 403 to the request (a model, feature or beta the key may not use). */
const REQUEST_LEVEL_403 = /\b(model|models|beta|feature|tool|tools|file|files|batch|region)\b/i

/**
 * Whether an upstream refusal says the key itself is unusable, so that it leaves the pool:
 * always for 401; for 403 only when the message is about the key and not about the request
 * (a model the organisation may not use is the caller's problem and goes back to the caller).
 */
export function rejectsKey (status: number, message: string): boolean {
  if (status === 401) return true
  if (status !== 403) return false
  return KEY_LEVEL_403.test(message) && !REQUEST_LEVEL_403.test(message)
}
