import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { GatewayError } from '../lib/errors.js'
import { clientAddressResolver } from '../lib/ops/client-address.js'
import { WindowCounter } from '../lib/ops/window-counter.js'

const RATE_WINDOW_MS = 60_000
const RATE_NAMESPACE = 'claude2api-mirror-rate:'
/** One INCR with its window's expiry set by the first request of the window, and the time left. */
const INCREMENT_SCRIPT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return {n, redis.call('PTTL', KEYS[1])}"

/**
 * The mirror rate limit's counter: in Redis while it answers, so every instance counts together;
 * in this process's memory when it does not (down, slow, never configured), so the limit never
 * fails open. During an outage each instance then counts on its own.
 */
function rateStore (redis: Redis | null, local: WindowCounter): FastifyRateLimitStore {
  const store: FastifyRateLimitStore = {
    incr (key, callback, timeWindow) {
      const counted = (): void => { callback(null, local.hit(key, timeWindow)) }
      if (redis === null || redis.status !== 'ready') return counted()
      redis.eval(INCREMENT_SCRIPT, 1, RATE_NAMESPACE + key, timeWindow).then((result) => {
        const [current, ttl] = result as [number, number]
        callback(null, { current, ttl: ttl > 0 ? ttl : timeWindow })
      }, counted)
    },
    child: () => store
  }
  return store
}

function busy (message: string, code: string): GatewayError {
  return new GatewayError(429, 'rate_limit_error', message, { code, headers: { 'retry-after': '1' } })
}

/**
 * Bounds on mirror routes, which anyone holding an Anthropic key can call: a smaller body limit,
 * a request rate per client address (see rateStore), a cap on mirror requests in flight and one
 * per client address. The client address is the socket's peer, or what TRUST_PROXY lets the
 * proxies in front say. A slot is taken only once the body has arrived (preValidation), so a
 * body that never finishes holds none, and it is given back however the request ends.
 * Meant to be registered inside the encapsulated scope of the mirror routes, before the routes.
 * Refusals are thrown into the central error handler, which answers in the route's own shape.
 */
async function mirrorLimitsPlugin (fastify: FastifyInstance): Promise<void> {
  const { bodyLimit, ratePerMinute, maxConcurrent, maxConcurrentPerAddress } = fastify.config.mirror
  const addressOf = clientAddressResolver(fastify.config.trustProxy)

  fastify.addHook('onRoute', (route) => {
    route.bodyLimit = Math.min(route.bodyLimit ?? bodyLimit, bodyLimit)
  })

  const store = rateStore(fastify.redis, new WindowCounter())
  await fastify.register(rateLimit, {
    global: false,
    max: ratePerMinute,
    timeWindow: RATE_WINDOW_MS,
    store: class { constructor () { return store } } as unknown as new () => FastifyRateLimitStore,
    keyGenerator: (request) => addressOf(request.raw),
    errorResponseBuilder: (_request, context) => new GatewayError(429, 'rate_limit_error',
      `Mirror mode allows ${context.max} requests per minute per client address; retry in ${context.after}`,
      { code: 'mirror_rate_limited' })
  })
  // Counted first, before the key is looked at or a slot is taken.
  fastify.addHook('onRequest', fastify.rateLimit())

  let inFlight = 0
  const perAddress = new Map<string, number>()
  const holding = new WeakSet<FastifyRequest>()
  fastify.addHook('preValidation', async (request, reply) => {
    const address = addressOf(request.raw)
    if (inFlight >= maxConcurrent) throw busy(`Mirror mode is serving its limit of ${maxConcurrent} requests at once; retry in a moment`, 'mirror_busy')
    const fromAddress = perAddress.get(address) ?? 0
    if (fromAddress >= maxConcurrentPerAddress) throw busy(`Mirror mode serves at most ${maxConcurrentPerAddress} requests at once from one client address; retry in a moment`, 'mirror_busy_address')
    inFlight++
    perAddress.set(address, fromAddress + 1)
    holding.add(request)
    // 'close' comes once the answer is sent or the client has gone, whichever happens.
    reply.raw.once('close', () => {
      if (!holding.delete(request)) return
      inFlight--
      const left = (perAddress.get(address) ?? 1) - 1
      if (left > 0) perAddress.set(address, left)
      else perAddress.delete(address)
    })
  })
}

export default fp(mirrorLimitsPlugin, { name: 'mirror-limits', fastify: '5.x', dependencies: ['config', 'state', 'error-handler'] })
