import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { judgeHealth, type HealthVerdict } from '../lib/ops/health.js'
import { errorResponses } from '../schemas/error.js'
import { NOT_SHED, OVERLOAD_RETRY_AFTER_SECONDS } from '../plugins/load-shedding.js'

const StatusSchema = Type.Enum(['ok', 'degraded', 'draining', 'unavailable'])
const HealthSchema = Type.Object({ status: StatusSchema, reason: Type.Optional(Type.String()) })
const ReadySchema = Type.Object({ ready: Type.Boolean(), status: StatusSchema, reason: Type.Optional(Type.String()) })
const HealthDetailsSchema = Type.Object({
  status: StatusSchema,
  reason: Type.Optional(Type.String()),
  version: Type.String(),
  uptime_seconds: Type.Integer(),
  keys: Type.Object({ total: Type.Integer(), healthy: Type.Integer(), cooling: Type.Integer(), disabled: Type.Integer() }),
  state: Type.Object({ kind: Type.String(), connected: Type.Boolean() }),
  mirror: Type.Boolean()
})

/**
 * Liveness and readiness without a key (counts only behind one); see lib/ops/health.ts for the rules.
 * Load shedding does not refuse these routes: a shed liveness probe would get a busy but working
 * instance restarted, so they answer in their own schema and say `degraded` instead, and readiness
 * answers 503 with retry-after while the instance sheds.
 */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const verdict = (): HealthVerdict => judgeHealth({
    draining: fastify.draining,
    pool: fastify.keyPool.status(),
    mirror: fastify.config.mirror.enabled,
    stateConnected: fastify.state.connected,
    overload: fastify.overload()
  })
  const summary = ({ status, reason }: HealthVerdict): { status: HealthVerdict['status']; reason?: string } => reason === undefined ? { status } : { status, reason }
  const httpStatus = (current: HealthVerdict): 200 | 503 => current.status === 'draining' || current.status === 'unavailable' ? 503 : 200

  fastify.get('/health', {
    config: NOT_SHED,
    schema: { summary: 'Liveness: ok, or why not', response: { 200: HealthSchema, 503: HealthSchema } }
  }, async (_request, reply) => {
    const current = verdict()
    return await reply.code(httpStatus(current)).send(summary(current))
  })

  fastify.get('/health/ready', {
    config: NOT_SHED,
    schema: { summary: 'Readiness: 503 while draining or when nothing can be served', response: { 200: ReadySchema, 503: ReadySchema } }
  }, async (_request, reply) => {
    const current = verdict()
    if (current.status === 'degraded' && !current.ready) reply.header('retry-after', String(OVERLOAD_RETRY_AFTER_SECONDS))
    return await reply.code(current.ready ? 200 : 503).send({ ready: current.ready, ...summary(current) })
  })

  fastify.get('/health/details', {
    onRequest: fastify.requireClientKey,
    config: NOT_SHED,
    schema: { summary: 'Health with pool counts, state store and version (client key)', response: { ...errorResponses, 200: HealthDetailsSchema, 503: HealthDetailsSchema } }
  }, async (_request, reply) => {
    const current = verdict()
    const { state, instanceInfo } = fastify
    return await reply.code(httpStatus(current)).send({
      ...summary(current),
      version: instanceInfo.version,
      uptime_seconds: Math.floor((Date.now() - instanceInfo.startedAt) / 1000),
      keys: fastify.keyPool.status(),
      state: { kind: state.kind, connected: state.connected },
      mirror: fastify.config.mirror.enabled
    })
  })
}

export default healthRoutes
