import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { KeyPool, parseKeyRecord, type KeyRecord, type PoolKey } from '../lib/key-pool.js'
import { limitsExpireAt, parseKeyLimits, type KeyLimits } from '../lib/pool/headroom.js'
import type { StateStore } from '../lib/state/state-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyPool: KeyPool
    /** Takes in the rate-limit headers of an answer a pool key served, and shares them. */
    observeKeyLimits: (key: PoolKey, limits: KeyLimits) => void
  }
}

/** A disabled key's record outlives any sensible KEY_RECHECK_SECONDS; a cooldown's, its retry-after. */
const DISABLED_RECORD_TTL_SECONDS = 7 * 24 * 3600
const COOLDOWN_RECORD_SLACK_SECONDS = 60

function stateKey (key: PoolKey): string {
  return `keys:${key.id}`
}

function limitsKey (key: PoolKey): string {
  return `keys:limits:${key.id}`
}

function recordTtlSeconds (record: KeyRecord, now: number): number {
  if (record.disabledReason !== null) return DISABLED_RECORD_TTL_SECONDS
  return Math.max(0, Math.ceil((record.coolingUntil - now) / 1000)) + COOLDOWN_RECORD_SLACK_SECONDS
}

/**
 * Shares the pool's state (health and the limits its answers reported) between instances while keeping `acquire()` synchronous: each change
 * is written through to the state store at once, and every KEY_STATE_REFRESH_MS the local view
 * reads the shared records back (one small GET per key, pipelined). Polling rather than
 * pub/sub: it needs no second connection, and the same loop repairs the shared state after
 * Redis restarts empty. The cost is that another instance may use a key for up to one
 * interval after it cooled elsewhere; that attempt only meets the same 429 and cools it.
 */
class KeyStateSync {
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor (private readonly pool: KeyPool, private readonly state: StateStore) {}

  write (key: PoolKey): void {
    const record = this.pool.recordOf(key)
    void this.state.set(stateKey(key), JSON.stringify(record), recordTtlSeconds(record, Date.now())).catch(() => {})
  }

  writeLimits (key: PoolKey, limits: KeyLimits): void {
    const ttl = Math.max(1, Math.ceil((limitsExpireAt(limits) - Date.now()) / 1000)) + COOLDOWN_RECORD_SLACK_SECONDS
    void this.state.set(limitsKey(key), JSON.stringify(limits), ttl).catch(() => {})
  }

  start (intervalMs: number): void {
    this.timer = setInterval(() => { void this.refresh() }, intervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  async refresh (): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      await Promise.all(this.pool.all.map(async (key) => {
        const [record, limits] = await Promise.all([this.state.get(stateKey(key)), this.state.get(limitsKey(key))])
        if (this.pool.merge(key, parseKeyRecord(record))) this.write(key)
        if (this.pool.mergeLimits(key, parseKeyLimits(limits)) && key.limits !== undefined) this.writeLimits(key, key.limits)
      }))
    } finally {
      this.running = false
    }
  }
}

async function keyPoolPlugin (fastify: FastifyInstance): Promise<void> {
  let sync: KeyStateSync | undefined
  const pool = new KeyPool(fastify.config.poolKeys, Date.now, (key) => sync?.write(key))
  pool.maxConcurrency = fastify.config.keyMaxConcurrency
  pool.byHeadroom = fastify.config.keyRouting === 'headroom'
  fastify.decorate('keyPool', pool)
  fastify.decorate('observeKeyLimits', (key: PoolKey, limits: KeyLimits) => {
    pool.observeLimits(key, limits)
    sync?.writeLimits(key, limits)
  })
  // One instance has nobody to share with: the memory store would only hold a copy of the pool.
  if (fastify.state.kind !== 'memory') {
    sync = new KeyStateSync(pool, fastify.state)
    const running = sync
    fastify.addHook('onReady', async () => {
      await running.refresh()
      running.start(fastify.config.keyStateRefreshMs)
    })
    fastify.addHook('onClose', async () => { running.stop() })
  }
  fastify.log.info({ keys: pool.size, shared: sync !== undefined }, 'upstream key pool ready')
}

export default fp(keyPoolPlugin, { name: 'key-pool', fastify: '5.x', dependencies: ['config', 'state'] })
