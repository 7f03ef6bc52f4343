import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import fp from 'fastify-plugin'
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

async function statePlugin (fastify: FastifyInstance): Promise<void> {
  const store: StateStore = new MemoryStateStore({ maxChars: MEMORY_STATE_MAX_CHARS })
  fastify.decorate('state', store)
  fastify.decorate('redis', null)
  fastify.addHook('onClose', async () => { await store.close() })
}

export default fp(statePlugin, { name: 'state', fastify: '5.x', dependencies: ['config'] })
