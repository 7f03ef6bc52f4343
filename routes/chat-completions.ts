import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { completionStream } from '../lib/completion-stream.js'
import { CapabilityTable } from '../lib/model-capabilities.js'
import { MemoryThinkingStore } from '../lib/thinking-store.js'
import { translateRequest, type TranslateOptions, type TranslationPlan } from '../lib/translate-request.js'
import { buildCompletion, translateMessage } from '../lib/translate-response.js'
import type { UpstreamCall, UpstreamStream } from '../plugins/claude-client.js'
import { ChatCompletionRequestSchema, ChatCompletionSchema, type ChatCompletion } from '../schemas/chat-completion.js'
import { errorResponses } from '../schemas/error.js'

export function completionId (): string {
  return `chatcmpl-${randomBytes(12).toString('base64url')}`
}

/** Aborts the upstream work as soon as the client goes away before its answer is complete. */
function abortOnDisconnect (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort()
  })
  return controller.signal
}

const chatCompletionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  const thinkingStore = new MemoryThinkingStore(config.thinkingStoreSize)
  const translateOptions: TranslateOptions = {
    capabilities: new CapabilityTable(config.capabilityOverrides),
    defaultMaxTokens: config.defaultMaxTokens,
    unsupportedFields: config.unsupportedFields,
    autoCache: config.autoCache,
    maxHistoryChars: config.maxHistoryChars,
    thinkingStore
  }

  async function answer (plan: TranslationPlan, call: UpstreamCall): Promise<ChatCompletion> {
    const id = completionId()
    const created = Math.floor(Date.now() / 1000)
    const choices = Array.from({ length: plan.n }, (_, index) => index)
    const messages = await Promise.all(choices.map(async () => await fastify.claude.createMessage(call)))
    const translated = messages.map((message, index) => translateMessage(message, index, plan.jsonTool, config.thinkingFormat))
    for (const item of translated) if (item.reasoning) thinkingStore.save(item.reasoning.toolCallIds, item.reasoning.blocks)
    return buildCompletion(id, created, plan.requestedModel, translated)
  }

  async function stream (reply: FastifyReply, plan: TranslationPlan, call: UpstreamCall): Promise<FastifyReply> {
    const opened = await Promise.allSettled(Array.from({ length: plan.n }, async () => await fastify.claude.openStream(call)))
    const failed = opened.find((result) => result.status === 'rejected')
    const sources = opened.filter((result): result is PromiseFulfilledResult<UpstreamStream> => result.status === 'fulfilled').map((result) => result.value)
    if (failed) {
      for (const source of sources) source.close()
      throw failed.reason
    }
    const body = completionStream(sources, {
      identity: { id: completionId(), created: Math.floor(Date.now() / 1000), model: plan.requestedModel, includeUsage: plan.includeUsage },
      jsonTool: plan.jsonTool,
      thinkingFormat: config.thinkingFormat,
      onReasoning: (ids, blocks) => thinkingStore.save(ids, blocks)
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
    const plan = translateRequest(request.body, translateOptions)
    if (plan.dropped.length > 0) reply.header('x-claude2api-dropped-fields', plan.dropped.join(','))
    const call: UpstreamCall = { body: plan.body, signal: abortOnDisconnect(reply), log: request.log, callerKey: request.callerAnthropicKey }
    if (plan.stream) return await stream(reply, plan, call)
    return await answer(plan, call)
  })
}

export default chatCompletionRoutes
