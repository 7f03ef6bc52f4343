import type { Server } from 'node:http'
import { LogController, type FastifyHttpOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import sensible from '@fastify/sensible'
import swagger from '@fastify/swagger'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import affinityPlugin from './plugins/affinity.js'
import bodyEncodingPlugin from './plugins/body-encoding.js'
import cacheOutcomePlugin from './plugins/cache-outcome.js'
import authPlugin from './plugins/auth.js'
import claudeClientPlugin from './plugins/claude-client.js'
import configPlugin, { type ConfigPluginOptions } from './plugins/config.js'
import errorHandlerPlugin, { clientErrorHandler, frameworkErrorHandler } from './plugins/error-handler.js'
import keyPoolPlugin from './plugins/key-pool.js'
import loadSheddingPlugin from './plugins/load-shedding.js'
import redactionPlugin from './plugins/redaction.js'
import requestDeadlinesPlugin from './plugins/request-deadlines.js'
import lifecyclePlugin from './plugins/lifecycle.js'
import ledgerPlugin from './plugins/ledger.js'
import metricsPlugin from './plugins/metrics.js'
import statePlugin from './plugins/state.js'
import storePlugin from './plugins/store.js'
import teamsPlugin from './plugins/teams.js'
import thinkingStorePlugin from './plugins/thinking-store.js'
import tracingPlugin from './plugins/tracing.js'
import { clientText } from './lib/errors.js'
import responsesWebsocketPlugin from './plugins/responses-websocket.js'
import { requestIdFor } from './lib/ops/request-id.js'
import apiDocsRoutes from './routes/api-docs.js'
import apiRoutes from './routes/api.js'
import adminRoutes from './routes/admin.js'
import spendLimitRoutes from './routes/admin-spend-limits.js'
import oauthUsageRoutes from './routes/oauth-usage.js'
import healthRoutes from './routes/health.js'
import metricsRoutes from './routes/metrics.js'
import reportRoutes from './routes/reports.js'
import rootRoutes from './routes/root.js'

export type AppOptions = ConfigPluginOptions

/** Server-level options the app relies on; server.ts and the tests both create Fastify with them. */
export function serverOptions (logger: FastifyServerOptions['logger']): FastifyHttpOptions<Server> {
  return {
    logger,
    // Fastify's two info lines per request are replaced by one debug line (below), so that
    // logging costs nothing per request at the default level.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are limited per route from the configuration; this is only the ceiling.
    bodyLimit: 64 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Node checks request deadlines (BODY_TIMEOUT_MS) this often; its default is 30 s.
    http: { connectionsCheckingInterval: 1000 },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    genReqId: (request) => requestIdFor(request.headers['x-request-id'])
  }
}

/** The whole gateway as one plugin: server.ts boots it, tests build and inject it. */
export default async function app (fastify: FastifyInstance, options: AppOptions): Promise<void> {
  fastify.setValidatorCompiler(TypeBoxValidatorCompiler)
  // Lets a client quote the id under which the gateway logged its request.
  fastify.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id) })
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: clientText(request.url, 256), status: reply.statusCode, ms: reply.elapsedTime }, 'request completed')
  })
  await fastify.register(configPlugin, options)
  await fastify.register(lifecyclePlugin)
  await fastify.register(tracingPlugin)
  await fastify.register(sensible)
  await fastify.register(redactionPlugin)
  await fastify.register(errorHandlerPlugin)
  await fastify.register(bodyEncodingPlugin)
  await fastify.register(loadSheddingPlugin)
  await fastify.register(requestDeadlinesPlugin)
  await fastify.register(statePlugin)
  await fastify.register(storePlugin)
  await fastify.register(teamsPlugin)
  await fastify.register(authPlugin)
  await fastify.register(keyPoolPlugin)
  await fastify.register(affinityPlugin)
  await fastify.register(metricsPlugin)
  await fastify.register(cacheOutcomePlugin)
  await fastify.register(ledgerPlugin)
  await fastify.register(claudeClientPlugin)
  await fastify.register(thinkingStorePlugin)

  // Before every route, so that each one (whoever adds it) lands in /openapi.json.
  await fastify.register(swagger, {
    openapi: {
      info: { title: 'claude2api', version: fastify.instanceInfo.version, description: 'OpenAI Chat Completions, OpenAI Responses and Anthropic Messages, answered through the Anthropic Messages API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } }
    }
  })
  const { config } = fastify
  // One upgrade listener for the server; it must come before the routes it serves.
  if (config.responses.websocket.enabled) await fastify.register(responsesWebsocketPlugin)
  await fastify.register(healthRoutes)
  await fastify.register(metricsRoutes)
  await fastify.register(rootRoutes)
  await fastify.register(apiDocsRoutes)
  await fastify.register(adminRoutes, { prefix: '/admin' })
  await fastify.register(spendLimitRoutes, { prefix: '/v1' })
  await fastify.register(oauthUsageRoutes)
  await fastify.register(reportRoutes)
  for (const prefix of ['/v1', '/hf/v1']) await fastify.register(apiRoutes, { prefix, mirror: false })
  if (config.mirror.enabled) await fastify.register(apiRoutes, { prefix: `${config.mirror.prefix}/v1`, mirror: true })
}
