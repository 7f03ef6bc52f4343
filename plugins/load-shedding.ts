import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { GatewayError } from '../lib/errors.js'

/** Often enough to notice a stall within half a second, rarely enough to cost nothing. */
const SAMPLE_INTERVAL_MS = 500
const RETRY_AFTER_SECONDS = 5

/**
 * While the event loop lags (one heavy request, or more load than the CPU can take), new
 * requests are answered 503 with retry-after at once instead of queueing behind the stall.
 * The refusal goes through the central error handler so each route answers in its own shape.
 */
async function loadSheddingPlugin (fastify: FastifyInstance): Promise<void> {
  const limit = fastify.config.maxEventLoopDelayMs
  if (limit === 0) return
  await fastify.register(underPressure, {
    maxEventLoopDelay: limit,
    sampleInterval: SAMPLE_INTERVAL_MS,
    pressureHandler: async (_request, _reply, type, value) => {
      // An interval without a single sample reads as an infinite delay: that is start-up work
      // (compiling, connecting) before the first request, not a stall worth refusing requests for.
      if (value === Infinity) return
      const measured = typeof value === 'number' ? ` (${type} ${Math.round(value)} ms, limit ${limit} ms)` : ''
      throw new GatewayError(503, 'server_error', `The gateway is overloaded${measured}; retry in ${RETRY_AFTER_SECONDS}s`, {
        code: 'overloaded',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }
      })
    }
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x', dependencies: ['config', 'error-handler'] })
