import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../schemas/error.js'

/** Prometheus scrape endpoint; OpenMetrics (with request-id exemplars) for scrapers that ask for it. */
const metricsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/metrics', {
    ...(fastify.config.metricsPublic ? {} : { onRequest: fastify.requireClientKey }),
    schema: {
      summary: 'Prometheus metrics (client key unless METRICS_PUBLIC=true)',
      produces: ['text/plain', 'application/openmetrics-text'],
      response: { 200: Type.String({ description: 'Prometheus text format 0.0.4, or OpenMetrics 1.0 when the Accept header asks for it' }), ...errorResponses }
    }
  }, async (request, reply) => {
    const accept = request.headers.accept ?? ''
    const { contentType, body } = await fastify.metrics.render(accept.includes('application/openmetrics-text'))
    return await reply.header('content-type', contentType).header('cache-control', 'no-store').send(body)
  })
}

export default metricsRoutes
