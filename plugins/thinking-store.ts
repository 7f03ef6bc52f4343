import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ThinkingStore } from '../lib/core/thinking-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Thinking blocks of tool-use turns, shared by every route prefix (/v1, /hf/v1, mirror) and, through `state`, every instance. */
    thinkingStore: ThinkingStore
  }
}

async function thinkingStorePlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorate('thinkingStore', new ThinkingStore(fastify.state, fastify.config.thinkingTtlSeconds))
}

export default fp(thinkingStorePlugin, { name: 'thinking-store', fastify: '5.x', dependencies: ['config', 'state'] })
