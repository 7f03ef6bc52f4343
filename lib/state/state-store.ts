import { LRUCache } from 'lru-cache'

/**
 * What several gateway instances must agree on (key cooldowns, thinking blocks, stored
 * responses) goes through this one interface. The memory implementation serves a single
 * instance; a shared one (Redis) serves many. Callers never learn which one they have.
 * Values are strings (JSON) so every implementation stores the same bytes; every entry
 * has a time to live so nothing grows without bound.
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis'
  /** False while a shared store cannot be reached and the instance runs on its local view. */
  readonly connected: boolean
  get (key: string): Promise<string | undefined>
  set (key: string, value: string, ttlSeconds: number): Promise<void>
  delete (key: string): Promise<void>
  close (): Promise<void>
}

export interface MemoryStateOptions {
  /** Upper bound on the characters held, summed over keys and values. */
  maxChars: number
}

export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const
  readonly connected = true
  private readonly entries: LRUCache<string, string>

  constructor (options: MemoryStateOptions) {
    this.entries = new LRUCache<string, string>({
      maxSize: Math.max(1, options.maxChars),
      sizeCalculation: (value, key) => Math.max(1, value.length + key.length)
    })
  }

  async get (key: string): Promise<string | undefined> {
    return this.entries.get(key)
  }

  async set (key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, value, { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) })
  }

  async delete (key: string): Promise<void> {
    this.entries.delete(key)
  }

  /** The value and its remaining time to live, or undefined when absent or expired. */
  entry (key: string): { value: string; ttlMs: number } | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    return { value, ttlMs: Math.max(1, Math.round(this.entries.getRemainingTTL(key))) }
  }

  async close (): Promise<void> {
    this.entries.clear()
  }
}
