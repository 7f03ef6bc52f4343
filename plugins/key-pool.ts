import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { KeyPool, parseKeyRecord, type KeyRecord, type PoolKey } from '../lib/key-pool.js'
import type { StateStore } from '../lib/state/state-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyPool: KeyPool
  }
}

/** A disabled key's record outlives any sensible KEY_RECHECK_SECONDS; a cooldown's, its retry-after. */
const DISABLED_RECORD_TTL_SECONDS = 7 * 24 * 3600
const COOLDOWN_RECORD_SLACK_SECONDS = 60

function stateKey (key: PoolKey): string {
  return `keys:${key.id}`
}

function recordTtlSeconds (record: KeyRecord, now: number): number {
  if (record.disabledReason !== null) return DISABLED_RECORD_TTL_SECONDS
  return Math.max(0, Math.ceil((record.coolingUntil - now) / 1000)) + COOLDOWN_RECORD_SLACK_SECONDS
}

/**
 * Shares the pool's state between instances while keeping `acquire()` synchronous: each change
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
        const record = parseKeyRecord(await this.state.get(stateKey(key)))
        if (this.pool.merge(key, record)) this.write(key)
      }))
    } finally {
      this.running = false
    }
  }
}

async function keyPoolPlugin (fastify: FastifyInstance): Promise<void> {
  let sync: KeyStateSync | undefined
  const pool = new KeyPool(fastify.config.poolKeys, Date.now, (key) => sync?.write(key))
  fastify.decorate('keyPool', pool)
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
