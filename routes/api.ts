import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import mirrorKeyCheck from '../plugins/mirror-key-check.js'
import mirrorLimits from '../plugins/mirror-limits.js'
import chatCompletionRoutes from './chat-completions.js'
import messagesRoutes from './messages.js'
import modelRoutes from './models.js'
import responsesRoutes from './responses.js'
import usageRoutes from './usage.js'

export interface ApiOptions {
  /** Mirror mode: callers bring their own Anthropic key instead of a client key. */
  mirror: boolean
}

/** The OpenAI-compatible API and Anthropic's Messages API, mounted under /v1, /hf/v1 and the mirror prefix. */
const apiRoutes: FastifyPluginAsyncTypebox<ApiOptions> = async (fastify, options) => {
  if (options.mirror) await fastify.register(mirrorLimits)
  fastify.addHook('onRequest', options.mirror ? fastify.requireAnthropicKey : fastify.requireClientKey)
  // After the key is read, before the body: a made-up key is refused before any work.
  if (options.mirror) await fastify.register(mirrorKeyCheck)
  await fastify.register(chatCompletionRoutes)
  await fastify.register(modelRoutes)
  await fastify.register(messagesRoutes)
  await fastify.register(responsesRoutes)
  // Usage is kept per named client; mirror callers bring their own Anthropic key and have none.
  if (!options.mirror) await fastify.register(usageRoutes)
}

export default apiRoutes
