import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** Which pool key each conversation last used, shared through `fastify.state`. */
export interface AffinityMap {
  /** The id (digest) of the key the conversation used last, if it is still remembered. */
  preferredKey: (affinity: string) => Promise<string | undefined>
  remember: (affinity: string, keyId: string) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    affinity: AffinityMap
  }
}

async function affinityPlugin (fastify: FastifyInstance): Promise<void> {
  const { state, config } = fastify
  const ttl = config.affinityTtlSeconds
  const off = ttl === 0 || config.upstreamKeys.length < 2 || config.keyRouting === 'round-robin'
  fastify.decorate('affinity', {
    preferredKey: async (affinity: string) => off ? undefined : await state.get(`affinity:${affinity}`),
    remember: async (affinity: string, keyId: string) => { if (!off) await state.set(`affinity:${affinity}`, keyId, ttl) }
  })
}

export default fp(affinityPlugin, { name: 'affinity', fastify: '5.x', dependencies: ['config', 'state'] })
