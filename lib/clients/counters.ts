/**
 * Counters that limits are enforced with: in memory for one instance, in Redis
 * (lib/clients/redis-counters.ts) for several, so replicas enforce one limit together.
 * Every counter has a time to live; values are integers.
 */

/** One counter an admission looks at. */
export interface AdmissionEntry {
  key: string
  /**
   * `count`: refused when one more would pass the limit, else incremented (requests per minute);
   * `slot`: the same, and released at the end (concurrency); `level`: refused when already at
   * or above the limit, never changed here (tokens, spend).
   */
  kind: 'count' | 'slot' | 'level'
  limit: number
  ttlSeconds: number
}

export interface AdmissionResult {
  /** Index of the first entry that refused, or -1 when admitted (and counted). */
  refused: number
  /** Each entry's value, after the admission's own increments when admitted. */
  values: number[]
}

export interface LimitCounters {
  readonly kind: 'memory' | 'redis'
  /** Checks every entry and, only when all pass, increments the `count` and `slot` ones: one atomic step. */
  admit (entries: AdmissionEntry[]): Promise<AdmissionResult>
  /** Gives back concurrency slots. */
  release (keys: string[]): Promise<void>
  /** Adds amounts (tokens, spend) to counters, creating them with the time to live given. */
  add (items: Array<{ key: string; amount: number; ttlSeconds: number }>): Promise<void>
  read (keys: string[]): Promise<number[]>
  /** Sets a counter only when it does not exist yet (seeding spend from the ledger). */
  seed (key: string, value: number, ttlSeconds: number): Promise<void>
  close (): Promise<void>
}

/** An upper bound on the counters one instance keeps in memory; the oldest go first. */
const MAX_MEMORY_COUNTERS = 200000

export class MemoryCounters implements LimitCounters {
  readonly kind = 'memory' as const
  private readonly values = new Map<string, { value: number; until: number }>()

  constructor (private readonly now: () => number = Date.now) {}

  async admit (entries: AdmissionEntry[]): Promise<AdmissionResult> {
    const values = entries.map((entry) => this.current(entry.key))
    const refused = entries.findIndex((entry, index) => entry.kind === 'level' ? values[index] >= entry.limit : values[index] + 1 > entry.limit)
    if (refused >= 0) return { refused, values }
    entries.forEach((entry, index) => {
      if (entry.kind !== 'level') values[index] = this.change(entry.key, 1, entry.ttlSeconds)
    })
    return { refused: -1, values }
  }

  async release (keys: string[]): Promise<void> {
    for (const key of keys) {
      const held = this.values.get(key)
      if (held !== undefined) held.value = Math.max(0, held.value - 1)
    }
  }

  async add (items: Array<{ key: string; amount: number; ttlSeconds: number }>): Promise<void> {
    for (const item of items) this.change(item.key, item.amount, item.ttlSeconds)
  }

  async read (keys: string[]): Promise<number[]> {
    return keys.map((key) => this.current(key))
  }

  async seed (key: string, value: number, ttlSeconds: number): Promise<void> {
    if (this.current(key) === 0 && !this.values.has(key)) this.values.set(key, { value, until: this.now() + ttlSeconds * 1000 })
  }

  async close (): Promise<void> {
    this.values.clear()
  }

  private current (key: string): number {
    const held = this.values.get(key)
    if (held === undefined) return 0
    if (held.until <= this.now()) {
      this.values.delete(key)
      return 0
    }
    return held.value
  }

  private change (key: string, amount: number, ttlSeconds: number): number {
    const value = this.current(key) + amount
    this.values.delete(key)
    if (this.values.size >= MAX_MEMORY_COUNTERS) this.values.delete(this.values.keys().next().value!)
    this.values.set(key, { value, until: this.now() + ttlSeconds * 1000 })
    return value
  }
}
