import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { GatewayError } from '../lib/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Why new requests are being shed right now (e.g. 'overloaded (eventLoopDelay 812 ms, limit 500 ms)'), or undefined. */
    overload: () => string | undefined
  }
  interface FastifyContextConfig {
    /** Read by @fastify/under-pressure in place of the global handler for this route. */
    pressureHandler?: () => void
  }
}

/** Often enough to notice a stall within half a second, rarely enough to cost nothing. */
const SAMPLE_INTERVAL_MS = 500
export const OVERLOAD_RETRY_AFTER_SECONDS = 5

/** Route config that exempts a route from shedding (the health routes report the pressure themselves). */
export const NOT_SHED = { pressureHandler: (): void => {} }

/**
 * While the event loop lags (one heavy request, or more load than the CPU can take), new
 * requests are answered 503 with retry-after at once instead of queueing behind the stall.
 * The refusal goes through the central error handler so each route answers in its own shape.
 */
async function loadSheddingPlugin (fastify: FastifyInstance): Promise<void> {
  const limit = fastify.config.maxEventLoopDelayMs
  if (limit === 0) {
    fastify.decorate('overload', () => undefined)
    return
  }
  const describe = (type: string, value: number | undefined): string =>
    `overloaded${typeof value === 'number' ? ` (${type} ${Math.round(value)} ms, limit ${limit} ms)` : ''}`
  await fastify.register(underPressure, {
    maxEventLoopDelay: limit,
    sampleInterval: SAMPLE_INTERVAL_MS,
    pressureHandler: async (_request, _reply, type, value) => {
      // An interval without a single sample reads as an infinite delay: that is start-up work
      // (compiling, connecting) before the first request, not a stall worth refusing requests for.
      if (value === Infinity) return
      throw new GatewayError(503, 'server_error', `The gateway is ${describe(type, value)}; retry in ${OVERLOAD_RETRY_AFTER_SECONDS}s`, {
        code: 'overloaded',
        headers: { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) }
      })
    }
  })
  fastify.decorate('overload', () => {
    const delay = fastify.memoryUsage().eventLoopDelay
    return Number.isFinite(delay) && delay > limit ? describe('eventLoopDelay', delay) : undefined
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x', dependencies: ['config', 'error-handler'] })
