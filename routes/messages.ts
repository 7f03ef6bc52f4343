import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { networkErrorToClient, UpstreamNetworkError } from '../lib/errors.js'
import { checkNotRetired } from '../lib/anthropic/model-lifecycle.js'
import { conversationAffinity, sessionIdFromHeaders } from '../lib/core/affinity.js'
import { withCheckedErrorEvents } from '../lib/messages/error-frames.js'
import { echoRequestedModel } from '../lib/messages/model-echo.js'
import { UsageWatch } from '../lib/messages/usage-watch.js'
import { conversationStartOf, readRequestHead, replaceString } from '../lib/messages/request-head.js'
import { anthropicErrorResponses } from '../schemas/error.js'
import { withoutUpstreamRateLimits } from '../lib/clients/answers.js'
import { MessageSchema, TokenCountSchema } from '../schemas/messages.js'
import type { RawAnswer } from '../plugins/claude-client.js'
import { abortOnDisconnect } from './client-disconnect.js'

function headerValue (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

/** The query string as the client sent it (Claude Code adds `?beta=true`). */
function queryOf (url: string): string {
  const at = url.indexOf('?')
  return at < 0 ? '' : url.slice(at)
}

async function * bodyOf (answer: RawAnswer): AsyncGenerator<Buffer> {
  yield answer.first
  yield * answer.rest
}

/**
 * The answer's bytes as they arrive, a stream's `error` events checked and redacted. A stream
 * that fails after it began ends with an SSE `error` event, which Anthropic's clients report;
 * a JSON answer can only be cut.
 */
async function * relay (answer: RawAnswer, signal: AbortSignal, log: FastifyBaseLogger, redact: (text: string) => string, watch?: UsageWatch, onFailure?: (type: string) => void): AsyncGenerator<Buffer> {
  const stream = answer.headers['content-type']?.startsWith('text/event-stream') === true
  const body = stream ? withCheckedErrorEvents(bodyOf(answer), redact) : bodyOf(answer)
  try {
    for await (const chunk of body) {
      watch?.see(chunk)
      yield chunk
    }
  } catch (error) {
    if (signal.aborted || !stream) throw error
    const message = error instanceof UpstreamNetworkError ? networkErrorToClient(error).message : 'Upstream failed mid-stream'
    log.warn({ err: message }, 'upstream failed mid-stream')
    const type = message.includes('timed out') ? 'timeout_error' : 'api_error'
    onFailure?.(type)
    yield Buffer.from(`\n\nevent: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`)
  }
}

/**
 * Anthropic's Messages API, passed through: the body goes upstream byte for byte (an alias
 * changes only the model string), with the client's anthropic-version and anthropic-beta and
 * a pool key (or the mirror caller's key); the answer's bytes come back as they arrive.
 */
const messagesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  // The body stays bytes here: it is scanned, never parsed and re-serialised.
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })

  async function forward (request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> {
    const head = readRequestHead(request.body as Buffer | undefined)
    let body = request.body as Buffer
    const upstreamModel = head.model === undefined ? undefined : config.modelAliases.resolveModel(head.model)
    if (upstreamModel !== undefined) checkNotRetired(upstreamModel, new Date())
    const account = request.ledgerAccount
    if (account) {
      account.requestedModel = head.model ?? null
      account.streamed = head.stream
    }
    await fastify.teams.admit(request, reply, { requested: head.model, upstream: upstreamModel }, { limits: path === '/v1/messages' })
    if (head.modelSpan && upstreamModel !== undefined && upstreamModel !== head.model) body = replaceString(body, head.modelSpan, upstreamModel)
    if (head.model !== undefined) fastify.tracing.annotate(request, { 'gen_ai.request.model': head.model.slice(0, 200) })
    const signal = abortOnDisconnect(request, reply)
    // Claude Code names its session; without a name, the conversation's start names it.
    const sessionId = sessionIdFromHeaders(request.headers)
    const affinity = upstreamModel === undefined
      ? undefined
      : `${fastify.teams.callerOf(request)}:${conversationAffinity({ sessionId }, sessionId === undefined ? conversationStartOf(request.body as Buffer, head, upstreamModel) : { model: upstreamModel, messages: [] })}`
    const answer = await fastify.claude.passThrough({
      method: 'POST',
      path: path + queryOf(request.url),
      body,
      version: headerValue(request.headers['anthropic-version']) ?? config.anthropicVersion,
      beta: headerValue(request.headers['anthropic-beta']),
      signal,
      log: request.log,
      callerKey: request.callerAnthropicKey,
      affinity,
      onCacheOutcome: (outcome) => { request.cacheOutcome = outcome },
      served: (served) => account?.served(served)
    })
    const counted = path === '/v1/messages' && answer.status === 200 && upstreamModel !== undefined
    const watch = counted ? new UsageWatch(answer.headers['content-type']) : undefined
    if (counted && head.stream) fastify.metrics.recordFirstToken(request, upstreamModel)
    let chunks = relay(answer, signal, request.log, (text) => fastify.redactor.redact(text), watch, (type) => account?.fail(type))
    if (upstreamModel !== undefined && upstreamModel !== head.model) chunks = echoRequestedModel(chunks, upstreamModel, head.model!)
    // With the pool, the upstream's rate-limit headers describe the pool's organisation, not the
    // caller; a mirror caller's own key's headers are its own.
    reply.code(answer.status).headers(request.callerAnthropicKey === undefined ? withoutUpstreamRateLimits(answer.headers) : answer.headers)
    if (answer.status === 200 && path === '/v1/messages') reply.headers(fastify.teams.messagesHeaders(request))
    if (head.stream) reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no')
    if (watch) {
      // 'close' as well for a client that left half way: the usage it was sent until then is owed.
      const release = account?.hold() ?? (() => {})
      reply.raw.once('close', () => {
        const usage = watch.finish()
        if (usage) fastify.metrics.recordUsage(request, upstreamModel!, usage, watch.stopReason)
        if (watch.failure !== undefined) account?.fail(watch.failure)
        release()
      })
    }
    return await reply.send(Readable.from(chunks, { objectMode: false }))
  }

  // No body schema: the body is scanned, not parsed (see above), and goes upstream as it came.
  const options = { bodyLimit: config.bodyLimit, config: { errorShape: 'anthropic' as const } }
  fastify.post('/messages', { ...options, schema: { response: { 200: MessageSchema, ...anthropicErrorResponses } } }, async (request, reply) => await forward(request, reply, '/v1/messages'))
  fastify.post('/messages/count_tokens', { ...options, schema: { response: { 200: TokenCountSchema, ...anthropicErrorResponses } } }, async (request, reply) => await forward(request, reply, '/v1/messages/count_tokens'))
}

export default messagesRoutes
