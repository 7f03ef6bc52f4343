import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { judgeHealth, type HealthVerdict } from '../lib/ops/health.js'
import { renderStatusPage, STATUS_PAGE_POLICY } from '../lib/ops/status-page.js'
import { currentBuiltInModels } from '../lib/model-list.js'
import { errorResponses } from '../schemas/error.js'

const StatusSchema = Type.Object({
  version: Type.String(),
  health: Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) }),
  keys: Type.Array(Type.Object({ label: Type.String(), state: Type.String(), coolingSeconds: Type.Integer(), disabledReason: Type.Union([Type.String(), Type.Null()]) })),
  traffic: Type.Object({
    minutes: Type.Integer(),
    requests: Type.Integer(),
    clientErrors: Type.Integer(),
    serverErrors: Type.Integer(),
    inputTokens: Type.Integer(),
    outputTokens: Type.Integer(),
    latencyMs: Type.Object({ p50: Type.Union([Type.Number(), Type.Null()]), p90: Type.Union([Type.Number(), Type.Null()]), p99: Type.Union([Type.Number(), Type.Null()]) }),
    perMinute: Type.Array(Type.Object({ start: Type.Integer(), requests: Type.Integer(), errors: Type.Integer(), tokens: Type.Integer() }))
  }),
  models: Type.Array(Type.String())
})

/** The status page at / (HEAD / answers 200 for clients that probe it) and its data at /status. */
const rootRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const health = (): HealthVerdict => judgeHealth({ draining: fastify.draining, pool: fastify.keyPool.status(), mirror: config.mirror.enabled, stateConnected: fastify.state.connected })
  const baseUrlOf = (request: FastifyRequest): string => config.publicBaseUrl ?? `${request.protocol}://${request.host}`

  async function modelIds (request: FastifyRequest): Promise<string[]> {
    if (config.upstreamKeys.length === 0) return currentBuiltInModels().map((model) => model.id)
    try {
      return (await fastify.claude.listModels({ log: request.log })).map((model) => model.id)
    } catch {
      return currentBuiltInModels().map((model) => model.id)
    }
  }

  fastify.get('/', {
    schema: { summary: 'Status page (HTML)', produces: ['text/html'], response: { 200: Type.String() } }
  }, async (request, reply) => {
    const page = renderStatusPage({ version: fastify.instanceInfo.version, health: health(), baseUrl: baseUrlOf(request), mirrorPrefix: config.mirror.enabled ? config.mirror.prefix : null })
    return await reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
      .header('content-security-policy', STATUS_PAGE_POLICY).header('x-frame-options', 'DENY').send(page)
  })

  fastify.get('/status', {
    onRequest: fastify.requireClientKey,
    schema: { summary: 'What the status page shows: key pool, last 15 minutes of traffic, models (client key)', response: { 200: StatusSchema, ...errorResponses } }
  }, async (request, reply) => {
    const { status, reason } = health()
    return await reply.header('cache-control', 'no-store').send({
      version: fastify.instanceInfo.version,
      health: reason === undefined ? { status } : { status, reason },
      keys: fastify.keyPool.describe(),
      traffic: fastify.metrics.traffic.summary(),
      models: await modelIds(request)
    })
  })
}

export default rootRoutes
