import { hash } from 'node:crypto'
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
}

/** What instances share about a key (never the secret). */
export interface KeyRecord {
  coolingUntil: number
  disabledReason: string | null
  disabledAt: number
  lastError: string | null
  changedAt: number
}

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
  private cursor = 0

  constructor (keys: ReadonlyArray<string | KeySpec>, private readonly now: () => number = Date.now, private readonly onChange: (key: PoolKey) => void = () => {}) {
    const specs: KeySpec[] = keys.map((key) => typeof key === 'string' ? { secret: key, weight: 1, priority: 0 } : key)
    const labels = keyLabels(specs)
    this.keys = specs.map((spec, index) => ({ index, secret: spec.secret, label: labels[index], weight: spec.weight, priority: spec.priority, maxConcurrency: spec.maxConcurrency, id: keyId(spec.secret), coolingUntil: 0, disabledReason: null, disabledAt: 0, lastError: null, changedAt: 0 }))
    for (const key of this.keys) this.byId.set(key.id, key)
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

  /** The next usable key not in `tried` (the `preferred` one when it is usable), or undefined when none is left. */
  acquire (tried: ReadonlySet<number> = new Set(), preferred?: string): PoolKey | undefined {
    const time = this.now()
    const favourite = this.byId.get(preferred ?? '')
    if (favourite && !tried.has(favourite.index) && this.usable(favourite, time)) return favourite
    for (let step = 0; step < this.keys.length; step++) {
      const key = this.keys[(this.cursor + step) % this.keys.length]
      if (tried.has(key.index) || !this.usable(key, time)) continue
      this.cursor = (key.index + 1) % this.keys.length
      return key
    }
    return undefined
  }

  /** True when the key is in rotation now. */
  usable (key: PoolKey, time = this.now()): boolean {
    return key.disabledReason === null && key.coolingUntil <= time
  }

  coolDown (key: PoolKey, seconds: number, error = 'rate limited'): void {
    key.coolingUntil = Math.max(key.coolingUntil, this.now() + seconds * 1000)
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
    this.changed(key)
  }

  /** Disabled keys whose last check is at least `afterMs` old. */
  dueForRecheck (afterMs: number): PoolKey[] {
    const time = this.now()
    return this.keys.filter((key) => key.disabledReason !== null && time - key.disabledAt >= afterMs)
  }

  recordOf (key: PoolKey): KeyRecord {
    return { coolingUntil: key.coolingUntil, disabledReason: key.disabledReason, disabledAt: key.disabledAt, lastError: key.lastError, changedAt: key.changedAt }
  }

  /**
   * Takes in the shared record of a key: the newer of the two states wins. Returns true when
   * this instance knows something newer that the shared state lacks (the owner then writes it).
   */
  merge (key: PoolKey, record: KeyRecord | undefined): boolean {
    // A key never changed is healthy, so this also covers "nothing known on either side".
    if (record === undefined) return key.disabledReason !== null || key.coolingUntil > this.now()
    if (record.changedAt < key.changedAt) return true
    if (record.changedAt > key.changedAt) {
      key.coolingUntil = record.coolingUntil
      key.disabledReason = record.disabledReason
      key.disabledAt = record.disabledAt
      key.lastError = record.lastError
      key.changedAt = record.changedAt
    }
    return false
  }

  /** Seconds until the first cooling key is usable again; undefined when none is cooling. */
  secondsUntilAvailable (): number | undefined {
    const time = this.now()
    const waits = this.keys.filter((key) => key.disabledReason === null && key.coolingUntil > time).map((key) => key.coolingUntil - time)
    return waits.length > 0 ? Math.max(1, Math.ceil(Math.min(...waits) / 1000)) : undefined
  }

  status (): PoolStatus {
    const time = this.now()
    const disabled = this.keys.filter((key) => key.disabledReason !== null).length
    const cooling = this.keys.filter((key) => key.disabledReason === null && key.coolingUntil > time).length
    return { total: this.keys.length, healthy: this.keys.length - disabled - cooling, cooling, disabled }
  }

  /** Every key's label and health, for the status page and metrics. */
  describe (): PoolKeyView[] {
    const time = this.now()
    return this.keys.map((key) => {
      const cooling = key.disabledReason === null && key.coolingUntil > time
      const state = key.disabledReason !== null ? 'disabled' : cooling ? 'cooling' : 'healthy'
      return { label: key.label, state, coolingSeconds: cooling ? Math.ceil((key.coolingUntil - time) / 1000) : 0, disabledReason: key.disabledReason }
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
    return { coolingUntil: value.coolingUntil, changedAt: value.changedAt, disabledAt: value.disabledAt, disabledReason: typeof value.disabledReason === 'string' ? value.disabledReason : null, lastError: typeof value.lastError === 'string' ? value.lastError : null }
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
