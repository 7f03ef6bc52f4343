import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CapabilityTable } from '../lib/anthropic/capabilities.js'
import type { AnthropicRequest, ReasoningBlock } from '../lib/anthropic/types.js'
import { conversationAffinity, sessionIdFromHeaders } from '../lib/core/affinity.js'
import { GatewayError } from '../lib/errors.js'
import { describeFailure } from '../lib/responses/failure.js'
import { newId } from '../lib/responses/ids.js'
import { pageOfItems } from '../lib/responses/input-items.js'
import { withKeepAlive } from '../lib/responses/keep-alive.js'
import { ReasoningSeal, sealSecret } from '../lib/responses/reasoning-seal.js'
import { ResponseStore, withIds, type Conversation } from '../lib/responses/response-store.js'
import { eventsOfMessage, KEEP_ALIVE, ResponsesStreamTranslator } from '../lib/responses/stream-translator.js'
import { inputItems, toolCallIdsOf, type InputContext, type InputItem } from '../lib/responses/translate-input.js'
import { translateResponsesRequest, type ResponsesPlan, type ResponsesTranslateOptions } from '../lib/responses/translate-request.js'
import type { UpstreamCall, UpstreamStream } from '../plugins/claude-client.js'
import { errorResponses } from '../schemas/error.js'
import { abortOnDisconnect } from './client-disconnect.js'
import {
  DeletedResponseSchema, InputItemsPageSchema, InputItemsQuerySchema, InputTokensRequestSchema, InputTokensSchema, ResponseIdParamsSchema,
  ResponseObjectSchema, ResponsesRequestSchema, type ResponseObject, type ResponsesRequest
} from '../schemas/responses.js'

function notFound (id: string): GatewayError {
  return new GatewayError(404, 'not_found_error', `Response with id '${id}' not found.`, { param: 'id', code: 'response_not_found' })
}

/** The response object before any output: every field, the client's settings echoed. */
function responseShell (id: string, request: ResponsesRequest, plan: ResponsesPlan): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    completed_at: null,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    model: plan.requestedModel,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    prompt_cache_retention: request.prompt_cache_retention ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    safety_identifier: request.safety_identifier ?? null,
    service_tier: request.service_tier ?? 'default',
    store: plan.store,
    temperature: request.temperature ?? 1,
    text: { format: request.text?.format ?? { type: 'text' }, verbosity: request.text?.verbosity ?? 'medium' },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_logprobs: request.top_logprobs ?? 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {}
  }
}

const responsesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config, thinkingStore } = fastify
  const store = new ResponseStore(fastify.state, config.responses.ttlSeconds)
  const seal = new ReasoningSeal(sealSecret(config.responses.secret, [...config.clientKeys, ...config.upstreamKeys]))
  const translateOptions: ResponsesTranslateOptions = {
    capabilities: new CapabilityTable(config.capabilityOverrides, config.anthropicVersion),
    defaultMaxTokens: config.defaultMaxTokens,
    unsupportedFields: config.unsupportedFields,
    autoCache: config.autoCache,
    webSearch: config.webSearch,
    resolveModel: (requested) => config.modelAliases.resolveModel(requested)
  }

  const identityOf = (request: FastifyRequest): string => fastify.teams.callerOf(request)

  /** Replayed history, referenced items and stored thinking: everything the translation needs from the store. */
  async function inputContext (identity: string, request: { input?: ResponsesRequest['input']; previous_response_id?: string | null }): Promise<{ history: Conversation; context: InputContext }> {
    const history: Conversation = request.previous_response_id
      ? await store.conversation(identity, request.previous_response_id)
      : { items: [], thinking: new Map() }
    const references = new Map<string, InputItem>()
    const thinkingById = new Map<string, ReasoningBlock[]>(history.thinking)
    for (const item of inputItems(request.input)) {
      const wanted = item.type === 'item_reference' || (item.type === 'reasoning' && !item.encrypted_content)
      if (!wanted || typeof item.id !== 'string' || references.has(item.id)) continue
      const found = await store.findItem(identity, item.id)
      if (!found) continue
      references.set(item.id, found.item)
      for (const [itemId, blocks] of Object.entries(found.stored.thinking)) thinkingById.set(itemId, blocks)
    }
    const callIds = toolCallIdsOf([...history.items, ...inputItems(request.input), ...references.values()])
    const context: InputContext = {
      unseal: (blob, param) => seal.unseal(blob, identity, param),
      thinkingById,
      references,
      thinkingStore: await thinkingStore.recall(identity, callIds.map((id) => [id]))
    }
    return { history, context }
  }

  function translator (shell: ResponseObject, plan: ResponsesPlan, identity: string): ResponsesStreamTranslator {
    return new ResponsesStreamTranslator(shell, {
      jsonTool: plan.jsonTool,
      tools: plan.tools,
      summaries: plan.summaries,
      searchSources: plan.searchSources,
      seal: plan.encryptedReasoning ? (blocks) => seal.seal(blocks, identity) : undefined
    })
  }

  /** After a finished response: thinking for later tool turns, and the response itself unless store is false. */
  async function keep (request: FastifyRequest, identity: string, input: InputItem[], plan: ResponsesPlan, done: ResponsesStreamTranslator): Promise<void> {
    for (const turn of done.toolTurnReasoning) await thinkingStore.save(identity, turn.callIds, turn.blocks)
    if (!plan.store) return
    try {
      await store.save(identity, { response: done.response, input, thinking: Object.fromEntries(done.reasoningById) })
    } catch (error) {
      // The answer is complete and goes out regardless; only a later retrieve or continuation misses it.
      request.log.warn({ err: error, response: done.response.id }, 'could not store the response')
    }
  }

  async function * streamBody (source: UpstreamStream, running: ResponsesStreamTranslator, finish: () => Promise<void>): AsyncGenerator<string> {
    try {
      yield running.handle(source.first)
      while (running.state === 'streaming' || running.state === 'awaiting-start') {
        let next: IteratorResult<Parameters<ResponsesStreamTranslator['handle']>[0]>
        try {
          next = await source.rest.next()
        } catch (error) {
          yield running.fail(describeFailure(error))
          return
        }
        if (next.done === true) {
          yield running.fail({ code: 'server_error', message: 'The upstream stream ended before the answer was complete' })
          return
        }
        const text = running.handle(next.value)
        if (running.finished) await finish()
        if (text) yield text
      }
    } finally {
      source.close()
    }
  }

  fastify.post('/responses', {
    bodyLimit: config.bodyLimit,
    schema: { body: ResponsesRequestSchema, response: { 200: ResponseObjectSchema, ...errorResponses } }
  }, async (request, reply) => {
    const identity = identityOf(request)
    const { history, context } = await inputContext(identity, request.body)
    const plan = translateResponsesRequest(request.body, history.items, context, translateOptions)
    if (plan.dropped.length > 0) reply.header('x-claude2api-dropped-fields', plan.dropped.join(','))
    const input = withIds(inputItems(request.body.input).map((item) => item.type === 'item_reference' && typeof item.id === 'string' ? context.references.get(item.id) ?? item : item))
    await fastify.teams.admit(request, reply, { requested: request.body.model, upstream: plan.body.model }, { limits: true })
    const running = translator(responseShell(newId('resp'), request.body, plan), plan, identity)
    // plan.body holds the whole conversation (rebuilt from previous_response_id), so a chain keeps one name.
    const affinity = `${identity}:${conversationAffinity({ sessionId: sessionIdFromHeaders(request.headers), promptCacheKey: request.body.prompt_cache_key ?? undefined }, plan.body)}`
    const call: UpstreamCall = { body: plan.body, signal: abortOnDisconnect(request, reply), log: request.log, callerKey: request.callerAnthropicKey, affinity, served: (answer) => request.ledgerAccount?.served(answer) }
    if (!plan.stream) {
      const message = await fastify.claude.createMessage(call)
      fastify.metrics.recordUsage(request, plan.body.model, message.usage, message.stop_reason)
      for (const event of eventsOfMessage(message)) running.handle(event)
      await keep(request, identity, input, plan, running)
      return running.response
    }
    const source = fastify.metrics.observeStream(request, plan.body.model, await fastify.claude.openStream(call))
    const body = withKeepAlive(streamBody(source, running, async () => await keep(request, identity, input, plan, running)), config.responses.keepAliveMs, KEEP_ALIVE)
    return await (reply as FastifyReply)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(Readable.from(body))
  })

  fastify.post('/responses/input_tokens', {
    bodyLimit: config.bodyLimit,
    schema: { body: InputTokensRequestSchema, response: { 200: InputTokensSchema, ...errorResponses } }
  }, async (request, reply) => {
    const identity = identityOf(request)
    const { history, context } = await inputContext(identity, request.body)
    const plan = translateResponsesRequest({ ...request.body, store: false }, history.items, context, translateOptions)
    await fastify.teams.admit(request, reply, { requested: request.body.model, upstream: plan.body.model }, { limits: false })
    const inputTokens = await fastify.claude.countTokens({ body: countTokensBody(plan.body), signal: abortOnDisconnect(request, reply), log: request.log, callerKey: request.callerAnthropicKey })
    return { object: 'response.input_tokens' as const, input_tokens: inputTokens }
  })

  fastify.get('/responses/:id', {
    schema: { params: ResponseIdParamsSchema, response: { 200: ResponseObjectSchema, ...errorResponses } }
  }, async (request) => {
    const stored = await store.load(identityOf(request), request.params.id)
    if (!stored) throw notFound(request.params.id)
    return stored.response
  })

  fastify.delete('/responses/:id', {
    schema: { params: ResponseIdParamsSchema, response: { 200: DeletedResponseSchema, ...errorResponses } }
  }, async (request) => {
    if (!(await store.delete(identityOf(request), request.params.id))) throw notFound(request.params.id)
    return { id: request.params.id, object: 'response' as const, deleted: true as const }
  })

  fastify.get('/responses/:id/input_items', {
    schema: { params: ResponseIdParamsSchema, querystring: InputItemsQuerySchema, response: { 200: InputItemsPageSchema, ...errorResponses } }
  }, async (request) => {
    const stored = await store.load(identityOf(request), request.params.id)
    if (!stored) throw notFound(request.params.id)
    return pageOfItems(stored.input, request.query)
  })
}

/** count_tokens takes the conversation and what shapes it, not the generation settings. */
function countTokensBody (body: AnthropicRequest): Record<string, unknown> {
  const { model, messages, system, tools, tool_choice: toolChoice, thinking, output_config: outputConfig } = body
  return Object.fromEntries(Object.entries({ model, messages, system, tools, tool_choice: toolChoice, thinking, output_config: outputConfig }).filter(([, value]) => value !== undefined))
}

export default responsesRoutes
