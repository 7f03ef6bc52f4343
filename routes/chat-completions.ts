import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { conversationAffinity, sessionIdFromHeaders } from '../lib/core/affinity.js'
import { abortOnDisconnect } from './client-disconnect.js'
import { completionStream } from '../lib/chat/completion-stream.js'
import { CapabilityTable } from '../lib/anthropic/capabilities.js'
import { translateRequest, type TranslateOptions, type TranslationPlan } from '../lib/chat/translate-request.js'
import { toolCallTurns } from '../lib/chat/translate-messages.js'
import { checkChatBounds } from '../lib/chat/request-bounds.js'
import { buildCompletion, translateMessage } from '../lib/chat/translate-response.js'
import { droppedFieldsHeader } from '../lib/core/unsupported-fields.js'
import type { UpstreamCall, UpstreamStream } from '../plugins/claude-client.js'
import { ChatCompletionRequestSchema, ChatCompletionSchema, type ChatCompletion } from '../schemas/chat-completion.js'
import { errorResponses } from '../schemas/error.js'

// Ids need to be unique, not secret: a random per-process prefix and a counter are enough,
// and cost nothing per request.
const ID_PREFIX = `chatcmpl-${randomBytes(9).toString('base64url')}`
let idCounter = 0

export function completionId (): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER
  return ID_PREFIX + idCounter.toString(36)
}

/**
 * One upstream call per choice, side by side. The first failure cancels the other choices'
 * calls (their answers could not be used) and is the error reported; whatever did open is released.
 */
async function perChoice<T> (n: number, call: UpstreamCall, run: (call: UpstreamCall) => Promise<T>, release: (value: T) => void): Promise<T[]> {
  if (n === 1) return [await run(call)]
  const siblings = new AbortController()
  const shared: UpstreamCall = { ...call, signal: AbortSignal.any([call.signal, siblings.signal]) }
  let firstFailure: { error: unknown } | undefined
  const settled = await Promise.allSettled(Array.from({ length: n }, async () => {
    try {
      return await run(shared)
    } catch (error) {
      firstFailure ??= { error }
      siblings.abort()
      throw error
    }
  }))
  const values = settled.filter((result): result is PromiseFulfilledResult<Awaited<T>> => result.status === 'fulfilled').map((result) => result.value)
  if (firstFailure === undefined) return values
  for (const value of values) release(value)
  throw firstFailure.error
}

/** `prompt_cache_key`, when the client sent one (it is not sent upstream: Claude has no such field). */
function promptCacheKeyOf (body: object): string | undefined {
  const value = (body as { prompt_cache_key?: unknown }).prompt_cache_key
  return typeof value === 'string' ? value : undefined
}

const chatCompletionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config, thinkingStore } = fastify
  const translateOptions: TranslateOptions = {
    capabilities: new CapabilityTable(config.capabilityOverrides, config.anthropicVersion),
    defaultMaxTokens: config.defaultMaxTokens,
    unsupportedFields: config.unsupportedFields,
    autoCache: config.autoCache,
    maxHistoryChars: config.maxHistoryChars,
    resolveModel: (requested) => config.modelAliases.resolveModel(requested),
    webSearch: config.webSearch
  }

  async function answer (request: FastifyRequest, plan: TranslationPlan, call: UpstreamCall, owner: string): Promise<ChatCompletion> {
    const id = completionId()
    const created = Math.floor(Date.now() / 1000)
    const messages = await perChoice(plan.n, call, async (shared) => await fastify.claude.createMessage(shared), () => {})
    for (const message of messages) fastify.metrics.recordUsage(request, plan.body.model, message.usage, message.stop_reason)
    const translated = messages.map((message, index) => translateMessage(message, index, plan.jsonTool, config.thinkingFormat))
    for (const item of translated) if (item.reasoning) await thinkingStore.save(owner, item.reasoning.toolCallIds, item.reasoning.blocks)
    return buildCompletion(id, created, plan.requestedModel, translated)
  }

  async function stream (reply: FastifyReply, plan: TranslationPlan, call: UpstreamCall, owner: string): Promise<FastifyReply> {
    const open = async (shared: UpstreamCall): Promise<UpstreamStream> => fastify.metrics.observeStream(reply.request, plan.body.model, await fastify.claude.openStream(shared))
    const sources = await perChoice(plan.n, call, open, (source: UpstreamStream) => source.close())
    const body = completionStream(sources, {
      identity: { id: completionId(), created: Math.floor(Date.now() / 1000), model: plan.requestedModel, includeUsage: plan.includeUsage },
      jsonTool: plan.jsonTool,
      thinkingFormat: config.thinkingFormat,
      onReasoning: async (ids, blocks) => { await thinkingStore.save(owner, ids, blocks) }
    })
    return await reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(Readable.from(body))
  }

  fastify.post('/chat/completions', {
    bodyLimit: config.bodyLimit,
    schema: {
      body: ChatCompletionRequestSchema,
      response: { 200: ChatCompletionSchema, ...errorResponses }
    }
  }, async (request, reply) => {
    checkChatBounds(request.body)
    const owner = fastify.teams.callerOf(request)
    const thinking = await thinkingStore.recall(owner, toolCallTurns(request.body.messages))
    const plan = translateRequest(request.body, { ...translateOptions, thinkingStore: thinking })
    await fastify.teams.admit(request, reply, { requested: request.body.model, upstream: plan.body.model }, { limits: true })
    if (plan.dropped.length > 0) reply.header('x-claude2api-dropped-fields', droppedFieldsHeader(plan.dropped))
    const affinity = `${owner}:${conversationAffinity({ sessionId: sessionIdFromHeaders(request.headers), promptCacheKey: promptCacheKeyOf(request.body) }, plan.body)}`
    const call: UpstreamCall = { body: plan.body, signal: abortOnDisconnect(request, reply), log: request.log, callerKey: request.callerAnthropicKey, affinity, onCacheOutcome: (outcome) => { request.cacheOutcome = outcome }, served: (answer) => request.ledgerAccount?.served(answer) }
    if (plan.stream) return await stream(reply, plan, call, owner)
    return await answer(request, plan, call, owner)
  })
}

export default chatCompletionRoutes
