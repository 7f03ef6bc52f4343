import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { GatewayError } from '../lib/errors.js'
import { currentBuiltInModels, toOpenAIModels } from '../lib/model-list.js'
import { errorResponses } from '../schemas/error.js'
import { ModelListSchema, ModelParamsSchema, ModelSchema, type Model } from '../schemas/models.js'

const modelRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  async function listModels (callerKey: string | undefined, log: typeof fastify.log): Promise<Model[]> {
    try {
      return toOpenAIModels(await fastify.claude.listModels({ log, callerKey }))
    } catch (error) {
      if (callerKey && error instanceof GatewayError && error.status === 401) throw error
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'upstream model list unavailable; serving the built-in list')
      return toOpenAIModels(currentBuiltInModels())
    }
  }

  fastify.get('/models', {
    schema: { response: { 200: ModelListSchema, ...errorResponses } }
  }, async (request) => ({ object: 'list' as const, data: await listModels(request.callerAnthropicKey, request.log) }))

  fastify.get('/models/:id', {
    schema: { params: ModelParamsSchema, response: { 200: ModelSchema, ...errorResponses } }
  }, async (request) => {
    const models = await listModels(request.callerAnthropicKey, request.log)
    const model = models.find((item) => item.id === request.params.id)
    if (!model) throw new GatewayError(404, 'not_found_error', `The model '${request.params.id}' does not exist`, { param: 'model', code: 'model_not_found' })
    return model
  })
}

export default modelRoutes
