import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { GatewayError } from '../lib/errors.js'

/**
 * Bounds on mirror routes, which anyone holding an Anthropic key can call: a smaller body limit,
 * a request rate per client address (@fastify/rate-limit, kept in Redis when the gateway has a
 * connection so every instance counts together) and a cap on mirror requests in flight. Meant to
 * be registered inside the encapsulated scope of the mirror routes, before the routes themselves.
 * Refusals are thrown into the central error handler, which answers in the route's own shape.
 */
async function mirrorLimitsPlugin (fastify: FastifyInstance): Promise<void> {
  const { bodyLimit, ratePerMinute, maxConcurrent } = fastify.config.mirror

  fastify.addHook('onRoute', (route) => {
    route.bodyLimit = Math.min(route.bodyLimit ?? bodyLimit, bodyLimit)
  })

  await fastify.register(rateLimit, {
    global: false,
    max: ratePerMinute,
    timeWindow: 60_000,
    redis: fastify.redis ?? undefined,
    // Redis down or slow must not fail a request: the limit is then not counted.
    skipOnError: true,
    nameSpace: 'claude2api-mirror-rate:',
    errorResponseBuilder: (_request, context) => new GatewayError(429, 'rate_limit_error',
      `Mirror mode allows ${context.max} requests per minute per client address; retry in ${context.after}`,
      { code: 'mirror_rate_limited' })
  })
  // Counted first, before the key is looked at or a slot is taken.
  fastify.addHook('onRequest', fastify.rateLimit())

  let inFlight = 0
  const released = new WeakSet<FastifyRequest>()
  fastify.addHook('onRequest', async (request, reply) => {
    if (inFlight >= maxConcurrent) {
      throw new GatewayError(429, 'rate_limit_error',
        `Mirror mode is serving its limit of ${maxConcurrent} requests at once; retry in a moment`,
        { code: 'mirror_busy', headers: { 'retry-after': '1' } })
    }
    inFlight++
    // 'close' comes once the answer is sent or the client has gone, whichever happens.
    reply.raw.once('close', () => {
      if (released.has(request)) return
      released.add(request)
      inFlight--
    })
  })
}

export default fp(mirrorLimitsPlugin, { name: 'mirror-limits', fastify: '5.x', dependencies: ['config', 'state', 'error-handler'] })
