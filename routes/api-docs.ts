import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { renderApiPage, type OpenApiDocument } from '../lib/ops/api-page.js'

/** The OpenAPI description @fastify/swagger builds from the routes' schemas, and a plain page to read it. */
const apiDocsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/openapi.json', {
    schema: { summary: 'This API described in OpenAPI 3', response: { 200: Type.Object({}, { additionalProperties: true }) } }
  }, async () => fastify.swagger())

  fastify.get('/docs', {
    schema: { summary: 'The API description as a page (HTML)', produces: ['text/html'], response: { 200: Type.String() } }
  }, async (_request, reply) => {
    const page = renderApiPage(fastify.swagger() as unknown as OpenApiDocument)
    return await reply.header('content-type', 'text/html; charset=utf-8').send(page)
  })
}

export default apiDocsRoutes
