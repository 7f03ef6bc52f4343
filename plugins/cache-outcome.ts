import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { cacheHeader, type CacheOutcome } from '../lib/cache/cache-outcome.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The answer's prompt-cache outcome, once a pool key answered (for the header, the metric and the usage ledger). */
    cacheOutcome: CacheOutcome | null
  }
}

/** Says on every answered request why the prompt cache was or was not read: `x-claude2api-cache` and a counter. */
async function cacheOutcomePlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorateRequest('cacheOutcome', null)
  fastify.addHook('onSend', async (request, reply) => {
    const outcome = request.cacheOutcome
    if (outcome === null || reply.sent) return
    reply.header('x-claude2api-cache', cacheHeader(outcome))
    fastify.metrics.cacheOutcome(outcome.outcome)
  })
}

export default fp(cacheOutcomePlugin, { name: 'cache-outcome', fastify: '5.x', dependencies: ['metrics'] })
