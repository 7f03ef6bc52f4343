import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const RootSchema = Type.Object({ name: Type.Literal('claude2api'), status: Type.Literal('ok') })

/** Clients (Claude Code among them) probe the root with HEAD or GET; it answers 200 without auth. */
const rootRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/', { schema: { response: { 200: RootSchema } } }, async () => ({ name: 'claude2api' as const, status: 'ok' as const }))
}

export default rootRoutes
