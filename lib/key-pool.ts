export interface PoolKey {
  /** Position in the pool, stable for the process lifetime; used in logs instead of the key. */
  readonly index: number
  readonly secret: string
  readonly label: string
  coolingUntil: number
  disabledReason: string | null
}

export interface PoolStatus { total: number; healthy: number; cooling: number; disabled: number }

/** One key as operators may see it: its label and health, never the secret. */
export interface PoolKeyView { label: string; state: 'healthy' | 'cooling' | 'disabled'; coolingSeconds: number; disabledReason: string | null }

/** Logs name a key by its position and a short prefix, never by the secret. */
export function keyLabel (secret: string, index: number): string {
  // Only the public prefix of a real key's shape; a key of any other shape may be short enough
  // for its first characters to be most of it.
  return secret.startsWith('sk-ant-') ? `key#${index + 1} (${secret.slice(0, 10)}…)` : `key#${index + 1}`
}

/** Round-robin over the keys that are neither cooling down nor disabled. */
export class KeyPool {
  private readonly keys: PoolKey[]
  private cursor = 0

  constructor (secrets: string[], private readonly now: () => number = Date.now) {
    this.keys = secrets.map((secret, index) => ({ index, secret, label: keyLabel(secret, index), coolingUntil: 0, disabledReason: null }))
  }

  get size (): number {
    return this.keys.length
  }

  /** The next usable key not in `tried`, or undefined when none is left. */
  acquire (tried: ReadonlySet<number> = new Set()): PoolKey | undefined {
    const time = this.now()
    for (let step = 0; step < this.keys.length; step++) {
      const key = this.keys[(this.cursor + step) % this.keys.length]
      if (tried.has(key.index) || key.disabledReason !== null || key.coolingUntil > time) continue
      this.cursor = (key.index + 1) % this.keys.length
      return key
    }
    return undefined
  }

  coolDown (key: PoolKey, seconds: number): void {
    key.coolingUntil = Math.max(key.coolingUntil, this.now() + seconds * 1000)
  }

  disable (key: PoolKey, reason: string): void {
    key.disabledReason = reason
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
}
