import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { GatewayError } from '../lib/errors.js'
import { THINKING_SUFFIX } from '../lib/chat/translate-request.js'
import { currentBuiltInModels, gatewayModels, modelPage, type UpstreamModelEntry } from '../lib/model-list.js'
import { anyErrorResponses } from '../schemas/error.js'
import { ModelListQuerySchema, ModelListSchema, ModelParamsSchema, ModelSchema, type Model } from '../schemas/models.js'

const modelRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  async function upstreamModels (request: FastifyRequest): Promise<UpstreamModelEntry[]> {
    const callerKey = request.callerAnthropicKey
    try {
      return await fastify.claude.listModels({ log: request.log, callerKey })
    } catch (error) {
      if (callerKey && error instanceof GatewayError && error.status === 401) throw error
      request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'upstream model list unavailable; serving the built-in list')
      return currentBuiltInModels()
    }
  }

  /** Anthropic clients (they send anthropic-version) get no `-thinking` variants: those only mean something to Chat Completions. */
  async function listModels (request: FastifyRequest): Promise<Model[]> {
    const thinkingVariants = request.headers['anthropic-version'] === undefined
    const models = gatewayModels(await upstreamModels(request), { aliases: fastify.config.modelAliases, thinkingVariants })
    return models.filter((model) => fastify.teams.allowsModel(request, upstreamIdOf(model.id)))
  }

  /** What a listed id is sent upstream as: aliases resolved, a `-thinking` variant as its base model. */
  function upstreamIdOf (id: string): string {
    const direct = fastify.config.modelAliases.resolveModel(id)
    if (direct !== id || !id.endsWith(THINKING_SUFFIX)) return direct
    return fastify.config.modelAliases.resolveModel(id.slice(0, -THINKING_SUFFIX.length))
  }

  const config = { errorShape: 'by-version' as const }

  fastify.get('/models', {
    config,
    schema: { querystring: ModelListQuerySchema, response: { 200: ModelListSchema, ...anyErrorResponses } }
  }, async (request) => modelPage(await listModels(request), request.query))

  fastify.get('/models/:id', {
    config,
    schema: { params: ModelParamsSchema, response: { 200: ModelSchema, ...anyErrorResponses } }
  }, async (request) => {
    const models = await listModels(request)
    const model = models.find((item) => item.id === request.params.id)
    if (!model) throw new GatewayError(404, 'not_found_error', `The model '${request.params.id}' does not exist`, { param: 'model', code: 'model_not_found' })
    return model
  })
}

export default modelRoutes
