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
  /** The largest value every instance can read back; a larger one is not shared (see RedisStateStore). */
  readonly maxValueChars: number
  get (key: string): Promise<string | undefined>
  /** Many values in one round trip, in the order asked (undefined where absent). */
  getMany (keys: readonly string[]): Promise<Array<string | undefined>>
  /** `owner` (a caller identity) makes the entry count against that caller's quota, where the store keeps one. */
  set (key: string, value: string, ttlSeconds: number, owner?: string): Promise<void>
  delete (key: string): Promise<void>
  close (): Promise<void>
}

export interface MemoryStateOptions {
  /** Upper bound on the characters held, summed over keys and values. */
  maxChars: number
  /**
   * Upper bound on the characters one owner's entries hold: an owner over it loses its own
   * oldest entries, so one caller filling the store cannot push out another's.
   */
  ownerMaxChars?: number
}

interface OwnerUsage { chars: number; keys: Set<string> }

function sizeOf (key: string, value: string): number {
  return Math.max(1, value.length + key.length)
}

export class MemoryStateStore implements StateStore {
  readonly maxValueChars = Number.POSITIVE_INFINITY
  readonly kind = 'memory' as const
  readonly connected = true
  private readonly entries: LRUCache<string, string>
  private readonly ownerMaxChars: number
  private readonly owners = new Map<string, OwnerUsage>()
  private readonly ownerOfKey = new Map<string, string>()

  constructor (options: MemoryStateOptions) {
    this.ownerMaxChars = options.ownerMaxChars ?? Infinity
    this.entries = new LRUCache<string, string>({
      maxSize: Math.max(1, options.maxChars),
      sizeCalculation: sizeOf,
      // Every way an entry goes (expired, evicted, replaced, deleted) gives its owner the space back.
      dispose: (value, key) => { this.forget(key, value) }
    })
  }

  async get (key: string): Promise<string | undefined> {
    return this.entries.get(key)
  }

  async getMany (keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((key) => this.entries.get(key))
  }

  async set (key: string, value: string, ttlSeconds: number, owner?: string): Promise<void> {
    if (owner === undefined) {
      this.entries.set(key, value, { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) })
      return
    }
    const size = sizeOf(key, value)
    this.entries.delete(key)
    if (size > this.ownerMaxChars) return
    const usage = this.owners.get(owner) ?? { chars: 0, keys: new Set<string>() }
    // Oldest first (a Set keeps insertion order); each delete gives its space back through dispose.
    for (const oldest of usage.keys) {
      if (usage.chars + size <= this.ownerMaxChars) break
      this.entries.delete(oldest)
    }
    this.entries.set(key, value, { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) })
    if (!this.entries.has(key)) return
    // Set only now: making room may have emptied the owner's usage and dropped it from the map.
    this.owners.set(owner, usage)
    usage.chars += size
    usage.keys.add(key)
    this.ownerOfKey.set(key, owner)
  }

  /** Characters an owner's entries hold now. */
  ownerChars (owner: string): number {
    return this.owners.get(owner)?.chars ?? 0
  }

  private forget (key: string, value: string): void {
    const owner = this.ownerOfKey.get(key)
    if (owner === undefined) return
    this.ownerOfKey.delete(key)
    const usage = this.owners.get(owner)
    if (!usage) return
    usage.keys.delete(key)
    usage.chars -= sizeOf(key, value)
    if (usage.keys.size === 0) this.owners.delete(owner)
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
    this.owners.clear()
    this.ownerOfKey.clear()
  }
}
