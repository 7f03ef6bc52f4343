import { Redis } from 'ioredis'
import { MemoryStateStore, type StateStore } from './state-store.js'

export interface RedisStateOptions {
  url: string
  /** Put in front of every key, so several deployments can share one Redis. */
  prefix: string
  /** How long a request waits for Redis before it uses the local view instead. */
  timeoutMs: number
  /** Upper bound on the characters the local view holds. */
  localMaxChars: number
  /** Upper bound on the characters one owner's entries hold in the local view. */
  localOwnerMaxChars?: number
  /** Told once when shared state is lost and once when it is back. */
  onChange: (connected: boolean, reason: string) => void
  /** Told of every failed attempt to (re)connect while Redis is unreachable, start-up included. */
  onAttemptFailed?: (reason: string) => void
}

/** Longest wait between reconnection attempts; ioredis keeps trying for ever. */
const MAX_RECONNECT_DELAY_MS = 2000
const COMMAND_TIMEOUT_FLOOR_MS = 250
/** While Redis is marked unreachable but the socket is open, it is pinged this often. */
const PROBE_INTERVAL_MS = 500
/** A value larger than this is kept locally only (and deletes the key in Redis): Redis is for small shared facts. */
export const MAX_SHARED_VALUE_CHARS = 4 * 1024 * 1024
/** Keys changed during an outage that are written to Redis once it is back; keys changed after this many stay local. */
const MAX_PENDING_KEYS = 10000

/** Keys per MGET: a request's lookups go out together, each answer small enough for REDIS_TIMEOUT_MS. */
const MGET_SLICE = 100

class RedisTimeout extends Error {}

/**
 * Shared state in Redis with a local (memory) view behind it. Every write goes to both; a read
 * takes Redis's answer, or the local view's when Redis does not answer within `timeoutMs`.
 * Redis being down, slow or restarting therefore never fails a caller: the instance runs on
 * what it knows itself until Redis answers again, then writes what changed meanwhile back to
 * Redis so the other instances see it too.
 */
export class RedisStateStore implements StateStore {
  readonly maxValueChars = MAX_SHARED_VALUE_CHARS
  readonly kind = 'redis' as const
  readonly redis: Redis
  private readonly local: MemoryStateStore
  private readonly pending = new Set<string>()
  private up = false
  private probe: NodeJS.Timeout | undefined

  constructor (private readonly options: RedisStateOptions) {
    this.local = new MemoryStateStore({ maxChars: options.localMaxChars, ownerMaxChars: options.localOwnerMaxChars })
    this.redis = new Redis(options.url, {
      keyPrefix: options.prefix,
      // Commands fail at once while disconnected instead of queueing behind the outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      // Bounds the wait of every command on this connection, including those of other users of
      // `fastify.redis` (the mirror rate limit), when Redis is frozen rather than gone.
      commandTimeout: Math.max(COMMAND_TIMEOUT_FLOOR_MS, options.timeoutMs * 5),
      connectTimeout: Math.max(1000, options.timeoutMs * 20),
      retryStrategy: (attempt) => Math.min(50 * attempt, MAX_RECONNECT_DELAY_MS)
    })
    this.redis.on('ready', () => { void this.reachable('connected') })
    this.redis.on('error', (error: Error) => {
      if (this.up) this.unreachable(errorCode(error))
      else this.options.onAttemptFailed?.(errorCode(error))
    })
    this.redis.on('close', () => this.unreachable('connection closed'))
  }

  get connected (): boolean {
    return this.up
  }

  /** Resolves once connected, or after `ms` whatever the state (start-up should not hang on Redis). */
  async waitUntilReady (ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (!this.up && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  async get (key: string): Promise<string | undefined> {
    if (this.up) {
      try {
        return (await this.bounded(this.redis.get(key))) ?? undefined
      } catch (error) {
        this.failed(error)
      }
    }
    return await this.local.get(key)
  }

  async getMany (keys: readonly string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return []
    if (this.up) {
      try {
        // Sent together (auto-pipelined: one round trip), in slices so no single answer is huge.
        const slices = await Promise.all(Array.from({ length: Math.ceil(keys.length / MGET_SLICE) }, async (_, index) => await this.bounded(this.redis.mget(...keys.slice(index * MGET_SLICE, (index + 1) * MGET_SLICE)))))
        return slices.flat().map((value) => value ?? undefined)
      } catch (error) {
        this.failed(error)
      }
    }
    return await this.local.getMany(keys)
  }

  async set (key: string, value: string, ttlSeconds: number, owner?: string): Promise<void> {
    await this.local.set(key, value, ttlSeconds, owner)
    // Too large to share, it still replaces the older value: nobody may read that one from Redis.
    const command = value.length <= MAX_SHARED_VALUE_CHARS ? async () => await this.redis.set(key, value, 'PX', Math.max(1, Math.round(ttlSeconds * 1000))) : async () => await this.redis.del(key)
    await this.share(key, command)
  }

  async delete (key: string): Promise<void> {
    await this.local.delete(key)
    await this.share(key, async () => await this.redis.del(key))
  }

  async close (): Promise<void> {
    this.stopProbe()
    this.redis.removeAllListeners()
    this.redis.on('error', () => {})
    this.up = false
    this.redis.disconnect(false)
    await this.local.close()
  }

  /** Sends a change to Redis, or remembers the key to send once Redis is back. */
  private async share (key: string, command: () => Promise<unknown>): Promise<void> {
    if (this.up) {
      try {
        await this.bounded(command())
        return
      } catch (error) {
        this.failed(error)
      }
    }
    if (this.pending.size < MAX_PENDING_KEYS) this.pending.add(key)
  }

  /** Redis's answer, or a RedisTimeout after `timeoutMs`; a late answer is ignored. */
  private async bounded<T> (command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      // setImmediate: after a stall of the event loop, an answer already waiting on the socket
      // is read (poll phase) before the timeout counts; otherwise the timer would always win.
      timer = setTimeout(() => setImmediate(() => reject(new RedisTimeout(`no answer within ${this.options.timeoutMs} ms`))), this.options.timeoutMs)
    })
    command.catch(() => {})
    try {
      return await Promise.race([command, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** A slow answer counts as an outage too: requests use the local view until a ping is answered. */
  private failed (error: unknown): void {
    this.unreachable(error instanceof RedisTimeout ? error.message : errorCode(error))
    if (this.redis.status === 'ready') this.startProbe()
  }

  private startProbe (): void {
    if (this.probe !== undefined) return
    this.probe = setInterval(() => {
      this.redis.ping().then(async () => { await this.reachable('answering again') }, () => {})
    }, PROBE_INTERVAL_MS)
    this.probe.unref()
  }

  private stopProbe (): void {
    if (this.probe !== undefined) clearInterval(this.probe)
    this.probe = undefined
  }

  /** Back: first the changes made meanwhile go to Redis, then reads are served from it again. */
  private async reachable (reason: string): Promise<void> {
    this.stopProbe()
    if (this.up) return
    const keys = [...this.pending]
    this.pending.clear()
    await Promise.all(keys.map(async (key) => {
      const entry = this.local.entry(key)
      const command = entry && entry.value.length <= MAX_SHARED_VALUE_CHARS ? this.redis.set(key, entry.value, 'PX', entry.ttlMs) : this.redis.del(key)
      await command.catch(() => {})
    }))
    if (this.up) return
    this.up = true
    this.options.onChange(true, reason)
  }

  private unreachable (reason: string): void {
    if (!this.up) return
    this.up = false
    this.options.onChange(false, reason)
  }
}

function errorCode (error: unknown): string {
  if (error instanceof Error) return (error as Error & { code?: string }).code ?? error.message
  return String(error)
}

/** The URL with its password replaced, for logs. */
export function redactRedisUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    else if (parsed.username) parsed.username = '***'
    return parsed.toString()
  } catch {
    return 'redis://(unparseable URL)'
  }
}
