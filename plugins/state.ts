import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import fp from 'fastify-plugin'
import { LogThrottle } from '../lib/ops/log-throttle.js'
import { MemoryStateStore, type StateStore } from '../lib/state/state-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** State that every instance of the gateway must share; see lib/state/state-store.ts. */
    state: StateStore
    /** The Redis connection behind `state` when REDIS_URL is set (e.g. for @fastify/rate-limit's store); null otherwise. */
    redis: Redis | null
  }
}

/** 256 MB of characters at most for everything kept in memory. */
const MEMORY_STATE_MAX_CHARS = 256 * 1024 * 1024
/** With Redis, the local view only bridges outages: a smaller bound. */
const LOCAL_VIEW_MAX_CHARS = 64 * 1024 * 1024
/** One caller's share of either bound: a caller filling its share evicts only its own entries. */
const OWNER_SHARE = 4
/** Start-up waits this long for Redis at most, then serves from the local view until it connects. */
const STARTUP_WAIT_MS = 2000
/** ioredis retries every 2 s at most; a wrong REDIS_URL is reported at once, then this often. */
const FAILED_CONNECT_LOG_INTERVAL_MS = 30_000

async function statePlugin (fastify: FastifyInstance): Promise<void> {
  const { redis } = fastify.config
  if (!redis) {
    const store = new MemoryStateStore({ maxChars: MEMORY_STATE_MAX_CHARS, ownerMaxChars: MEMORY_STATE_MAX_CHARS / OWNER_SHARE })
    fastify.decorate('state', store)
    fastify.decorate('redis', null)
    fastify.addHook('onClose', async () => { await store.close() })
    return
  }
  // Loaded only with REDIS_URL, so that a single instance carries no Redis code.
  const { RedisStateStore, redactRedisUrl } = await import('../lib/state/redis-state-store.js')
  const where = redactRedisUrl(redis.url)
  const failures = new LogThrottle(FAILED_CONNECT_LOG_INTERVAL_MS)
  const store = new RedisStateStore({
    url: redis.url,
    prefix: redis.prefix,
    timeoutMs: redis.timeoutMs,
    localMaxChars: LOCAL_VIEW_MAX_CHARS,
    localOwnerMaxChars: LOCAL_VIEW_MAX_CHARS / OWNER_SHARE,
    onChange: (connected, reason) => {
      if (connected) fastify.log.info({ redis: where }, 'shared state: connected to Redis')
      else fastify.log.warn({ redis: where, reason }, 'shared state: Redis unreachable; using this instance\'s local view until it is back')
    },
    onAttemptFailed: (reason) => {
      const leftOut = failures.take()
      if (leftOut === undefined) return
      fastify.log.warn({ redis: where, reason, failedAttemptsNotLogged: leftOut }, 'shared state: cannot connect to Redis (check REDIS_URL); retrying, and using this instance\'s local view meanwhile')
    }
  })
  await store.waitUntilReady(STARTUP_WAIT_MS)
  fastify.decorate('state', store)
  fastify.decorate('redis', store.redis)
  fastify.addHook('onClose', async () => { await store.close() })
}

export default fp(statePlugin, { name: 'state', fastify: '5.x', dependencies: ['config'] })
