import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Compile } from 'typebox/compile'
import { CapabilityTable } from '../lib/anthropic/capabilities.js'
import type { AnthropicRequest, AnthropicResponse, ReasoningBlock } from '../lib/anthropic/types.js'
import { conversationAffinity, sessionIdFromHeaders } from '../lib/core/affinity.js'
import { droppedFieldsHeader } from '../lib/core/unsupported-fields.js'
import { GatewayError } from '../lib/errors.js'
import { summaryRequest, summaryText } from '../lib/responses/compaction.js'
import { describeFailure } from '../lib/responses/failure.js'
import { newId } from '../lib/responses/ids.js'
import { checkResponsesBounds } from '../lib/responses/request-bounds.js'
import { pageOfItems } from '../lib/responses/input-items.js'
import { responseShell } from '../lib/responses/response-shell.js'
import { withKeepAlive } from '../lib/responses/keep-alive.js'
import { ReasoningSeal, sealSecret } from '../lib/responses/reasoning-seal.js'
import { ResponseStore, withIds, type Conversation } from '../lib/responses/response-store.js'
import { eventsOfMessage, KEEP_ALIVE, responseUsage, ResponsesStreamTranslator } from '../lib/responses/stream-translator.js'
import { inputItems, toolCallIdsOf, type InputContext, type InputItem } from '../lib/responses/translate-input.js'
import { payloadsOfSse, type Remembered, type TurnRunner } from '../lib/responses/websocket-session.js'
import { translateResponsesRequest, type ResponsesPlan, type ResponsesTranslateOptions } from '../lib/responses/translate-request.js'
import { toGatewayError } from '../plugins/error-handler.js'
import type { UpstreamCall, UpstreamStream } from '../plugins/claude-client.js'
import { errorResponses } from '../schemas/error.js'
import { abortOnDisconnect } from './client-disconnect.js'
import {
  CompactionSchema, CompactRequestSchema, DeletedResponseSchema, InputItemsPageSchema, InputItemsQuerySchema, InputTokensRequestSchema, InputTokensSchema, ResponseIdParamsSchema,
  ResponseObjectSchema, ResponsesRequestSchema, type ResponseObject, type ResponsesRequest
} from '../schemas/responses.js'

/** One response on its way: the translated request, the running translation and the upstream call. */
interface Turn {
  identity: string
  plan: ResponsesPlan
  /** This request's input items, each with an id. */
  input: InputItem[]
  /** The conversation before it (previous_response_id). */
  history: Conversation
  running: ResponsesStreamTranslator
  call: UpstreamCall
}

/** The conversation a finished turn leaves, for the connection to continue. */
function remember ({ history, input, running }: Turn): Remembered {
  const thinking = new Map([...history.thinking, ...running.reasoningById])
  return { id: running.response.id, conversation: { items: [...history.items, ...input, ...(running.response.output as InputItem[])], thinking } }
}

/** What a warm-up (`generate: false`) answers instead of the model: nothing, at no cost. */
function emptyMessage (model: string): AnthropicResponse {
  return { id: newId('msg'), type: 'message', role: 'assistant', model, content: [], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } }
}

const checkCreate = Compile(ResponsesRequestSchema)

/** A response.create frame's body, checked by the schema POST /responses uses, errors named alike. */
function validateCreateFrame (body: Record<string, unknown>): ResponsesRequest {
  if (checkCreate.Check(body)) return body
  const validation = [...checkCreate.Errors(body)].slice(0, 1)
  throw toGatewayError(Object.assign(new Error('invalid body'), { validation, validationContext: 'body' }))
}

const WEBSOCKET_DESCRIPTION = 'Responses WebSocket mode: upgrade to a WebSocket, send {"type":"response.create", …} frames (the body of POST /responses), receive the stream\'s events one JSON frame each. Without an upgrade, or with RESPONSES_WEBSOCKET=false, the answer is 426.'

/** Codex (and other clients) fall back to HTTP at once on 426, and only on 426. */
function upgradeRequired (): GatewayError {
  return new GatewayError(426, 'invalid_request_error', 'GET /v1/responses is only for WebSocket mode, and it is turned off on this gateway (RESPONSES_WEBSOCKET=false) unless the request asks for an upgrade; use POST /v1/responses', { code: 'upgrade_required' })
}

function notFound (id: string): GatewayError {
  return new GatewayError(404, 'not_found_error', `Response with id '${id}' not found.`, { param: 'id', code: 'response_not_found' })
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

  /**
   * Replayed history, referenced items and stored thinking: everything the translation needs
   * from the store; references and thinking in a fixed number of round trips (the history walks
   * its previous_response_id chain, one read per response). The request's counts and references are
   * checked first (checkResponsesBounds); what the references add up to is bounded by the body limit.
   */
  async function inputContext (request: FastifyRequest, identity: string, body: { input?: ResponsesRequest['input']; previous_response_id?: string | null; tools?: ResponsesRequest['tools']; metadata?: ResponsesRequest['metadata'] }, remembered?: Conversation): Promise<{ history: Conversation; context: InputContext }> {
    const wanted = checkResponsesBounds(body)
    const history: Conversation = remembered ?? (body.previous_response_id
      ? await store.conversation(identity, body.previous_response_id)
      : { items: [], thinking: new Map() })
    const found = await store.findItems(identity, wanted, request.routeOptions.bodyLimit ?? config.bodyLimit)
    const references = new Map<string, InputItem>()
    const thinkingById = new Map<string, ReasoningBlock[]>(history.thinking)
    for (const [id, entry] of found) {
      references.set(id, entry.item)
      if (entry.thinking) thinkingById.set(id, entry.thinking)
    }
    const callIds = toolCallIdsOf([...history.items, ...inputItems(body.input), ...references.values()])
    const context: InputContext = {
      unseal: (blob, param) => seal.unseal(blob, identity, param),
      uncompact: (blob, param) => seal.unsealSummary(blob, identity, param),
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
  async function keep (request: FastifyRequest, { identity, input, plan, running: done }: Turn): Promise<void> {
    for (const turn of done.toolTurnReasoning) await thinkingStore.save(identity, turn.callIds, turn.blocks)
    if (!plan.store) return
    try {
      const kept = await store.save(identity, { response: done.response, input, thinking: Object.fromEntries(done.reasoningById) })
      if (!kept) request.log.warn({ response: done.response.id }, 'the response is too large to store; a later retrieve or continuation will not find it')
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

  /** Everything one response needs before the upstream call, the same for HTTP and WebSocket. */
  /**
   * Everything one response needs before the upstream call, the same for HTTP and WebSocket: the
   * client's model access and limits are checked per turn; a WebSocket turn (no reply of its own)
   * gets the function that gives its concurrency slot back.
   */
  async function prepareTurn (request: FastifyRequest, reply: FastifyReply | undefined, body: ResponsesRequest, signal: AbortSignal, remembered?: Conversation, limits = true): Promise<Turn & { release: () => void }> {
    const identity = identityOf(request)
    const { history, context } = await inputContext(request, identity, body, remembered)
    const plan = translateResponsesRequest(body, history.items, context, translateOptions)
    const release = await fastify.teams.admit(request, reply, { requested: body.model, upstream: plan.body.model }, { limits })
    const input = withIds(inputItems(body.input).map((item) => item.type === 'item_reference' && typeof item.id === 'string' ? context.references.get(item.id) ?? item : item))
    const running = translator(responseShell(newId('resp'), body, plan), plan, identity)
    // plan.body holds the whole conversation (rebuilt from previous_response_id), so a chain keeps one name.
    const affinity = `${identity}:${conversationAffinity({ sessionId: sessionIdFromHeaders(request.headers), promptCacheKey: body.prompt_cache_key ?? undefined }, plan.body)}`
    const call: UpstreamCall = { body: plan.body, signal, log: request.log, callerKey: request.callerAnthropicKey, affinity, onCacheOutcome: (outcome) => { request.cacheOutcome = outcome }, served: (answer) => request.ledgerAccount?.served(answer) }
    return { identity, plan, input, history, running, call, release }
  }

  fastify.post('/responses', {
    bodyLimit: config.bodyLimit,
    schema: { body: ResponsesRequestSchema, response: { 200: ResponseObjectSchema, ...errorResponses } }
  }, async (request, reply) => {
    const turn = await prepareTurn(request, reply, request.body, abortOnDisconnect(request, reply))
    const { plan, running } = turn
    if (plan.dropped.length > 0) reply.header('x-claude2api-dropped-fields', droppedFieldsHeader(plan.dropped))
    if (!plan.stream) {
      const message = await fastify.claude.createMessage(turn.call)
      fastify.metrics.recordUsage(request, plan.body.model, message.usage, message.stop_reason)
      for (const event of eventsOfMessage(message)) running.handle(event)
      await keep(request, turn)
      return running.response
    }
    const source = fastify.metrics.observeStream(request, plan.body.model, await fastify.claude.openStream(turn.call))
    const body = withKeepAlive(streamBody(source, running, async () => await keep(request, turn)), config.responses.keepAliveMs, KEEP_ALIVE)
    return await (reply as FastifyReply)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(Readable.from(body))
  })

  /** WebSocket mode: the same turns as POST /responses with stream, each event one text frame. */
  const runner = (request: FastifyRequest): TurnRunner => ({
    validate: validateCreateFrame,
    describe: (error) => toGatewayError(error as Error),
    run: async (body, remembered, emit, signal) => {
      const turn = await prepareTurn(request, undefined, { ...body, stream: true }, signal, remembered)
      try {
        const source = fastify.metrics.observeStream(request, turn.plan.body.model, await fastify.claude.openStream(turn.call))
        for await (const text of streamBody(source, turn.running, async () => await keep(request, turn))) {
          for (const payload of payloadsOfSse(text)) emit(payload)
        }
        return turn.running.response.status === 'failed' ? undefined : remember(turn)
      } finally {
        turn.release()
      }
    },
    warmUp: async (body, remembered, emit) => {
      // A warm-up calls no model: only the model check, no limits spent.
      const turn = await prepareTurn(request, undefined, { ...body, stream: true }, AbortSignal.abort(), remembered, false)
      for (const event of eventsOfMessage(emptyMessage(turn.plan.body.model))) {
        for (const payload of payloadsOfSse(turn.running.handle(event))) emit(payload)
      }
      await keep(request, turn)
      return remember(turn)
    }
  })

  if (fastify.hasDecorator('responsesSockets')) {
    fastify.route({
      method: 'GET',
      url: '/responses',
      schema: { description: WEBSOCKET_DESCRIPTION, response: errorResponses },
      // An upgrade over the limit is refused before it becomes a socket, like any other request.
      preHandler: async (request) => { if (request.ws) fastify.responsesSockets.admit(identityOf(request)) },
      handler: async () => { throw upgradeRequired() },
      wsHandler: (socket, request) => { fastify.responsesSockets.serve(socket, request, identityOf(request), runner(request)) }
    })
  } else {
    fastify.get('/responses', { schema: { description: WEBSOCKET_DESCRIPTION, response: errorResponses } }, async () => { throw upgradeRequired() })
  }

  fastify.post('/responses/compact', {
    bodyLimit: config.bodyLimit,
    schema: { body: CompactRequestSchema, response: { 200: CompactionSchema, ...errorResponses } }
  }, async (request, reply) => {
    const identity = identityOf(request)
    const { model, input, instructions, previous_response_id: previousResponseId, tools, tool_choice: toolChoice, parallel_tool_calls: parallelToolCalls, prompt_cache_key: promptCacheKey } = request.body
    const wanted: ResponsesRequest = { model, input, instructions, previous_response_id: previousResponseId, tools, tool_choice: toolChoice, parallel_tool_calls: parallelToolCalls, prompt_cache_key: promptCacheKey, store: false }
    const { history, context } = await inputContext(request, identity, wanted)
    const plan = translateResponsesRequest(wanted, history.items, context, translateOptions)
    await fastify.teams.admit(request, reply, { requested: model, upstream: plan.body.model }, { limits: true })
    const body = summaryRequest(plan.body)
    const affinity = `${identity}:${conversationAffinity({ sessionId: sessionIdFromHeaders(request.headers), promptCacheKey: promptCacheKey ?? undefined }, plan.body)}`
    const message = await fastify.claude.createMessage({ body, signal: abortOnDisconnect(request, reply), log: request.log, callerKey: request.callerAnthropicKey, affinity, served: (answer) => request.ledgerAccount?.served(answer) })
    fastify.metrics.recordUsage(request, body.model, message.usage, message.stop_reason)
    return {
      id: newId('resp'),
      object: 'response.compaction' as const,
      created_at: Math.floor(Date.now() / 1000),
      output: [{ type: 'compaction' as const, id: newId('cmp'), encrypted_content: seal.sealSummary(summaryText(message), identity) }],
      usage: responseUsage(message.usage)
    }
  })

  fastify.post('/responses/input_tokens', {
    bodyLimit: config.bodyLimit,
    schema: { body: InputTokensRequestSchema, response: { 200: InputTokensSchema, ...errorResponses } }
  }, async (request, reply) => {
    const identity = identityOf(request)
    const { history, context } = await inputContext(request, identity, request.body)
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
