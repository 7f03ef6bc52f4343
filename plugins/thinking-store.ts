import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MemoryThinkingStore, type ThinkingStore } from '../lib/core/thinking-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Thinking blocks of tool-use turns, shared by every route prefix (/v1, /hf/v1, mirror). */
    thinkingStore: ThinkingStore
  }
}

async function thinkingStorePlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorate('thinkingStore', new MemoryThinkingStore(10000))
}

export default fp(thinkingStorePlugin, { name: 'thinking-store', fastify: '5.x', dependencies: ['config'] })
