import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  keys: Type.Object({ total: Type.Integer(), healthy: Type.Integer(), cooling: Type.Integer(), disabled: Type.Integer() })
})

const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health', { schema: { response: { 200: HealthSchema } } }, async () => ({ status: 'ok' as const, keys: fastify.keyPool.status() }))
}

export default healthRoutes
