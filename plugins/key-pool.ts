import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { KeyPool } from '../lib/key-pool.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyPool: KeyPool
  }
}

async function keyPoolPlugin (fastify: FastifyInstance): Promise<void> {
  const pool = new KeyPool(fastify.config.upstreamKeys)
  fastify.decorate('keyPool', pool)
  fastify.log.info({ keys: pool.size }, 'upstream key pool ready')
}

export default fp(keyPoolPlugin, { name: 'key-pool', fastify: '5.x', dependencies: ['config'] })
