// The retry loop of the upstream client (plugins/claude-client.ts: withRetries, judge, nextKey,
// finalError, openStream, passThrough's opening error event), called directly on a small Fastify
// instance with only the plugins it needs, against the strict Anthropic stand-in or a raw server.
// The backoff sleep is replaced (t.mockImport of node:timers/promises) so that the tests see each
// backoff asked for without waiting for it; nothing here measures time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import * as timersPromises from 'node:timers/promises'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { test } from 'tap'
import type { AnthropicRequest } from '../../lib/anthropic/types.js'
import * as errors from '../../lib/errors.js'
import affinityPlugin from '../../plugins/affinity.js'
import type { ClaudeClient, UpstreamCall } from '../../plugins/claude-client.js'
import configPlugin from '../../plugins/config.js'
import keyPoolPlugin from '../../plugins/key-pool.js'
import metricsPlugin from '../../plugins/metrics.js'
import statePlugin from '../../plugins/state.js'
import tracingPlugin from '../../plugins/tracing.js'
import { startAnthropicStub, type AnthropicStub, type StubOptions, type StubReply } from '../helpers/anthropic-stub.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]
type Sleep = (ms?: number, value?: unknown, options?: { signal?: AbortSignal }) => Promise<unknown>

const KEYS = ['sk-ant-api03-retry-alpha-1111111111111111', 'sk-ant-api03-retry-bravo-2222222222222222', 'sk-ant-api03-retry-charlie-33333333333333']
const CALLER = 'sk-ant-api03-retry-caller-9999999999999999'
const BODY: AnthropicRequest = { model: 'claude-haiku-4-5-20251001', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }

// Loaded once with its backoff sleep replaced; each harness says what the sleep does. Its error
// classes stay the ones the rest of the gateway has (metrics sort failures by class).
let sleep: Sleep = async () => undefined
const { default: claudeClientPlugin } = await t.mockImport<typeof import('../../plugins/claude-client.js')>(new URL('../../plugins/claude-client.js', import.meta.url).href, {
  'node:timers/promises': { ...timersPromises, setTimeout: async (ms?: number, value?: unknown, options?: { signal?: AbortSignal }) => await sleep(ms, value, options) },
  [new URL('../../lib/errors.js', import.meta.url).href]: errors
})

interface Harness {
  fastify: FastifyInstance
  claude: ClaudeClient
  /** The backoffs asked for, in milliseconds, in order. */
  sleeps: number[]
  /** What the gateway logged at warn level and above, parsed. */
  logs: () => Array<Record<string, unknown>>
  call: (extra?: Partial<UpstreamCall>) => UpstreamCall
}

/** A backoff that is over at once (unless the call is already cancelled, like the real one). */
function instantSleep (sleeps: number[]): Sleep {
  return async (ms, value, options) => {
    sleeps.push(ms ?? 0)
    if (options?.signal?.aborted === true) throw new DOMException('The operation was aborted', 'AbortError')
    return value
  }
}

async function harness (t: Tap, upstreamUrl: string, config: Record<string, unknown> = {}, makeSleep: (sleeps: number[]) => Sleep = instantSleep): Promise<Harness> {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    }
  })
  const fastify = Fastify({ logger: { level: 'warn', stream } })
  await fastify.register(configPlugin, {
    configData: {
      ANTHROPIC_API_KEYS: KEYS.join(','),
      APIKEY: 'test-client-key-0123456789',
      ANTHROPIC_BASE_URL: upstreamUrl,
      MAX_EVENT_LOOP_DELAY_MS: 0,
      KEY_RECHECK_SECONDS: 0,
      ...config
    }
  })
  await fastify.register(tracingPlugin)
  await fastify.register(statePlugin)
  await fastify.register(keyPoolPlugin)
  await fastify.register(affinityPlugin)
  await fastify.register(metricsPlugin)
  const sleeps: number[] = []
  sleep = makeSleep(sleeps)
  await fastify.register(claudeClientPlugin)
  await fastify.ready()
  t.teardown(async () => { await fastify.close() })
  return {
    fastify,
    claude: fastify.claude,
    sleeps,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    call: (extra = {}) => ({ body: BODY, signal: new AbortController().signal, log: fastify.log, ...extra })
  }
}

async function stubFor (t: Tap, options: StubOptions = {}): Promise<AnthropicStub> {
  const stub = await startAnthropicStub(options)
  t.teardown(async () => { await stub.close() })
  return stub
}

/** A plain HTTP server standing in for the upstream, for answers the stub does not give. */
async function rawUpstream (t: Tap, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

/** What a call failed with (the test fails if it did not). */
async function failure (t: Tap, promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Record<string, unknown>
  }
  t.fail('the call succeeded')
  return {}
}

/** Keys of the calls made for requests, leaving out the models calls that confirm a refused key. */
const keysOf = (stub: AnthropicStub): Array<string | undefined> => stub.requests.filter((request) => !isKeyCheck(request)).map((request) => request.key)
const isKeyCheck = (request: AnthropicStub['requests'][number]): boolean => request.path === '/v1/models' && request.query === '?limit=1'
const rateLimited = (retryAfter?: string): StubReply => ({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } })
const serverError = { kind: 'error' as const, status: 500, type: 'api_error', message: 'Internal server error' }
const overloaded = { kind: 'error' as const, status: 529, type: 'overloaded_error', message: 'Overloaded' }

test('server faults on every key: each key once, a backoff before each retry that doubles, then the last fault', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 3 })
  stub.enqueue(serverError, serverError, overloaded)
  const error = await failure(t, h.claude.createMessage(h.call()))
  t.match(error, { name: 'GatewayError', status: 503, type: 'server_error', code: 'overloaded_error' })
  t.same(keysOf(stub), KEYS)
  t.equal(h.sleeps.length, 2, 'a backoff between attempts, none after the last')
  t.ok(h.sleeps[0] >= 20 && h.sleeps[0] <= 40, `first backoff ${h.sleeps[0]} ms is 20-40 ms`)
  t.ok(h.sleeps[1] >= 40 && h.sleeps[1] <= 80, `second backoff ${h.sleeps[1]} ms is 40-80 ms`)
  t.match(h.logs().filter((line) => line.msg === 'upstream failed'), [
    { level: 40, key: 'sk-ant-api03-…1111', status: 500 },
    { level: 40, key: 'sk-ant-api03-…2222', status: 500 },
    { level: 40, key: 'sk-ant-api03-…3333', status: 529 }
  ])
})

test('a 500 on the only key is retried on that key', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0], RETRY_COUNT: 2 })
  stub.enqueue(serverError)
  const answer = await h.claude.createMessage(h.call())
  t.match(answer, { type: 'message', content: [{ type: 'text', text: 'Hello from the stub.' }] })
  t.same(keysOf(stub), [KEYS[0], KEYS[0]])
})

test('a connection refused on the only key is retried on that key; refused every time, it is a 502 upstream_unreachable', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0], RETRY_COUNT: 2 })
  stub.keyBehaviour.set(KEYS[0], { kind: 'fault', fault: 'refuse' })
  const error = await failure(t, h.claude.createMessage(h.call()))
  t.match(error, { name: 'GatewayError', status: 502, type: 'server_error', code: 'upstream_unreachable' })
  t.same(keysOf(stub), [KEYS[0], KEYS[0]])
  t.match(h.logs().filter((line) => line.msg === 'upstream unreachable'), [
    { level: 40, key: 'sk-ant-api03-…1111', code: 'ECONNRESET' },
    { level: 40, key: 'sk-ant-api03-…1111', code: 'ECONNRESET' }
  ])
})

test('once every key was tried, only a server fault goes back to a key that already failed', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 3 })
  // The first key's 500 is followed by the second key's 429: the last word is a rate limit.
  stub.enqueue(serverError)
  stub.keyBehaviour.set(KEYS[1], rateLimited('9'))
  const error = await failure(t, h.claude.createMessage(h.call()))
  t.match(error, { name: 'GatewayError', status: 429, type: 'rate_limit_error', code: 'rate_limit_error' })
  t.same((error as { headers: unknown }).headers, { 'retry-after': '9' })
  t.same(keysOf(stub), KEYS.slice(0, 2))
})

test('a 400 is the request\'s fault: no other key is tried', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 3 })
  stub.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'messages: too short' })
  const error = await failure(t, h.claude.createMessage(h.call()))
  t.match(error, { name: 'GatewayError', status: 400, type: 'invalid_request_error', code: 'invalid_request_error' })
  t.same(keysOf(stub), [KEYS[0]])
  t.same(h.sleeps, [])
})

test('every key rejected: 503 no_upstream_keys, and the next call asks nobody', async (t) => {
  const stub = await stubFor(t, { keys: ['sk-ant-api03-some-other-key-000000000000'] })
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 1 })
  for (const round of [1, 2]) {
    const error = await failure(t, h.claude.createMessage(h.call()))
    t.match(error, { name: 'GatewayError', status: 503, type: 'server_error', code: 'no_upstream_keys' }, `call ${round}`)
    t.same((error as { headers: unknown }).headers, { 'retry-after': '60' }, `call ${round}`)
  }
  t.same(keysOf(stub), KEYS.slice(0, 2), 'each key asked once')
  t.match(h.logs().filter((line) => line.msg === 'upstream key rejected; removed from the pool'), [
    { level: 50, key: 'sk-ant-api03-…1111', status: 401 },
    { level: 50, key: 'sk-ant-api03-…2222', status: 401 }
  ])
})

test('a rejected key is left out of later calls', async (t) => {
  const stub = await stubFor(t, { keys: [KEYS[1]] })
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 1 })
  await h.claude.createMessage(h.call())
  await h.claude.createMessage(h.call())
  t.same(keysOf(stub), [KEYS[0], KEYS[1], KEYS[1]])
})

test('a 429 without retry-after cools the key for 30 s: the next call is refused without asking', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0] })
  stub.enqueue(rateLimited())
  const first = await failure(t, h.claude.createMessage(h.call()))
  t.match(first, { name: 'GatewayError', status: 429, type: 'rate_limit_error', code: 'rate_limit_error' })
  t.same((first as { headers: unknown }).headers, { 'retry-after': '30' })
  const second = await failure(t, h.claude.createMessage(h.call()))
  t.match(second, { name: 'GatewayError', status: 429, type: 'rate_limit_error', code: 'upstream_keys_cooling' })
  // A moment has passed since the cooldown began: 30 or 29 s remain.
  t.match((second as { headers: Record<string, string> }).headers, { 'retry-after': /^(30|29)$/ })
  t.same(keysOf(stub), [KEYS[0]])
  t.match(h.logs().filter((line) => line.msg === 'upstream key rate limited; cooling down'), [{ level: 40, key: 'sk-ant-api03-…1111' }])
})

test('a 429 with retry-after 0: the client is told 0, not a default', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0] })
  stub.enqueue(rateLimited('0'))
  const error = await failure(t, h.claude.createMessage(h.call()))
  t.match(error, { name: 'GatewayError', status: 429, code: 'rate_limit_error' })
  t.same((error as { headers: unknown }).headers, { 'retry-after': '0' })
  t.same(keysOf(stub), [KEYS[0]])
})

test('a rate-limited key is logged with its retry-after', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0] })
  stub.enqueue(rateLimited('12'))
  await failure(t, h.claude.createMessage(h.call()))
  t.match(h.logs().filter((line) => line.msg === 'upstream key rate limited; cooling down'), [{ level: 40, key: 'sk-ant-api03-…1111', retryAfter: 12 }])
})

test('the caller\'s own key (mirror mode): used as given, the pool untouched', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 2 })
  stub.enqueue(serverError)
  // A conversation id changes nothing for a caller's key: there is no pool key to keep to.
  await h.claude.createMessage(h.call({ callerKey: CALLER, affinity: 'conversation-m' }))
  t.same(keysOf(stub), [CALLER, CALLER], 'a server fault retried with the same caller key')
  t.match(h.logs().filter((line) => line.msg === 'upstream failed'), [{ level: 40, status: 500 }])
  await h.claude.createMessage(h.call())
  t.same(keysOf(stub).slice(2), [KEYS[0]], 'the pool still starts at its first key')
})

test('the caller\'s own key refused by the upstream: a 401 for the caller, no pool key disabled', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0], RETRY_COUNT: 2 })
  const error = await failure(t, h.claude.createMessage(h.call({ callerKey: 'not-a-key' })))
  t.match(error, { name: 'GatewayError', status: 401, type: 'authentication_error', code: 'authentication_error' })
  t.same(keysOf(stub), ['not-a-key'])
  await h.claude.createMessage(h.call())
  t.same(keysOf(stub).slice(1), [KEYS[0]])
})

test('the caller\'s own key unreachable: retried with it, then a 502 upstream_unreachable', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 2 })
  stub.keyBehaviour.set(CALLER, { kind: 'fault', fault: 'refuse' })
  const error = await failure(t, h.claude.createMessage(h.call({ callerKey: CALLER })))
  t.match(error, { name: 'GatewayError', status: 502, code: 'upstream_unreachable' })
  t.same(keysOf(stub), [CALLER, CALLER])
})

test('the caller\'s own key rate limited: its retry-after, even while pool keys cool longer, and the next call is refused here', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS[0] })
  stub.keyBehaviour.set(KEYS[0], rateLimited('50'))
  stub.keyBehaviour.set(CALLER, rateLimited('7'))
  await failure(t, h.claude.createMessage(h.call()))
  const first = await failure(t, h.claude.createMessage(h.call({ callerKey: CALLER })))
  t.match(first, { name: 'GatewayError', status: 429, type: 'rate_limit_error', code: 'rate_limit_error' })
  t.same((first as { headers: unknown }).headers, { 'retry-after': '7' })
  const second = await failure(t, h.claude.createMessage(h.call({ callerKey: CALLER })))
  t.match(second, { name: 'GatewayError', status: 429, type: 'rate_limit_error', code: 'caller_key_rate_limited' })
  t.match((second as { headers: Record<string, string> }).headers, { 'retry-after': /^(7|6)$/ })
  t.same(keysOf(stub), [KEYS[0], CALLER], 'the second caller call did not go upstream')
  stub.keyBehaviour.delete(CALLER)
  await h.claude.createMessage(h.call({ callerKey: 'sk-ant-api03-retry-other-caller-88888888' }))
  t.equal(stub.requests.length, 3, 'another caller key is not held back')
})

test('the caller\'s own key rate limited without retry-after: held back for 30 s', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url)
  stub.enqueue(rateLimited())
  await failure(t, h.claude.createMessage(h.call({ callerKey: CALLER })))
  const second = await failure(t, h.claude.createMessage(h.call({ callerKey: CALLER })))
  t.match(second, { name: 'GatewayError', status: 429, code: 'caller_key_rate_limited' })
  t.match((second as { headers: Record<string, string> }).headers, { 'retry-after': /^(30|29)$/ })
  t.same(keysOf(stub), [CALLER])
})

test('a conversation goes back to the key it used, and its key is written down only when it changes', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 1 })
  // The shared state (Redis with several instances) is read only for calls that belong to a conversation.
  const lookedUp: string[] = []
  const remembered: Array<[string, string]> = []
  const { preferredKey, remember } = h.fastify.affinity
  h.fastify.affinity.preferredKey = async (affinity) => {
    lookedUp.push(affinity)
    return await preferredKey(affinity)
  }
  h.fastify.affinity.remember = async (affinity, keyId) => {
    remembered.push([affinity, keyId])
    await remember(affinity, keyId)
  }
  const [alpha, , charlie] = h.fastify.keyPool.all
  await h.claude.createMessage(h.call({ affinity: 'conversation-a' }))
  await h.claude.createMessage(h.call())
  await h.claude.createMessage(h.call({ affinity: 'conversation-m', callerKey: CALLER }))
  await h.claude.createMessage(h.call({ affinity: 'conversation-a' }))
  t.same(keysOf(stub), [KEYS[0], KEYS[1], CALLER, KEYS[0]], 'the conversation\'s next call is back on the first key')
  t.same(lookedUp, ['conversation-a', 'conversation-a'], 'no look-up for a call without a conversation or with the caller\'s own key')
  t.same(remembered, [['conversation-a', alpha.id]], 'written once: the second time it was the same key')
  stub.keyBehaviour.set(KEYS[0], rateLimited('20'))
  await h.claude.createMessage(h.call({ affinity: 'conversation-a' }))
  t.same(keysOf(stub).slice(4), [KEYS[0], KEYS[2]], 'rate limited there, it moves on with the rotation')
  t.same(remembered, [['conversation-a', alpha.id], ['conversation-a', charlie.id]], 'and the new key is written down')
})

test('a client that leaves during an attempt: 499 client_closed_request, nothing retried', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { RETRY_COUNT: 1 })
  const controller = new AbortController()
  stub.respondWith(() => {
    setImmediate(() => controller.abort())
    return { kind: 'fault', fault: 'silence' }
  })
  const error = await failure(t, h.claude.createMessage(h.call({ signal: controller.signal })))
  t.match(error, { name: 'GatewayError', status: 499, type: 'invalid_request_error', code: 'client_closed_request' })
  t.same(keysOf(stub), [KEYS[0]])
})

test('a client that leaves during a backoff: the call ends at once and takes no further key', async (t) => {
  const stub = await stubFor(t)
  const controller = new AbortController()
  let endBackoff = (): void => {}
  let backoffBegun = (): void => {}
  const begun = new Promise<void>((resolve) => { backoffBegun = resolve })
  // A backoff that ends only when the call is cancelled (or the test lets it go); the client leaves during it.
  const h = await harness(t, stub.url, { RETRY_COUNT: 3 }, (sleeps) => async (ms, value, options) => {
    sleeps.push(ms ?? 0)
    controller.abort()
    backoffBegun()
    await new Promise<void>((resolve, reject) => {
      endBackoff = resolve
      if (options?.signal?.aborted === true) reject(new DOMException('The operation was aborted', 'AbortError'))
    })
    return value
  })
  stub.enqueue(serverError)
  const settled = h.claude.createMessage(h.call({ signal: controller.signal })).then(() => 'answered', (error: unknown) => error)
  // (A call that fails before any backoff ends the wait too, so that it fails this test rather than hanging it.)
  await Promise.race([begun, settled])
  const outcome = await Promise.race([settled, new Promise((resolve) => { setImmediate(() => { resolve('still in the backoff') }) })])
  endBackoff()
  await settled
  t.match(outcome, { name: 'GatewayError', status: 499, code: 'client_closed_request' })
  t.same(keysOf(stub), [KEYS[0]])
  await h.claude.createMessage(h.call())
  t.same(keysOf(stub).slice(1), [KEYS[1]], 'the next call goes on with the second key: the cancelled one took no other')
})

/** SSE for the beginning of a streamed answer. */
const MESSAGE_START = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5-20251001', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n`
const errorEvent = (type: string, message: string): string => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`

test('openStream: asks the upstream for a stream and opens on message_start', async (t) => {
  const stub = await stubFor(t, { keys: [KEYS[1]], chunkSize: 100 })
  const h = await harness(t, stub.url, { RETRY_COUNT: 1 })
  const stream = await h.claude.openStream(h.call())
  t.match(stream.first, { type: 'message_start', message: { role: 'assistant', model: 'claude-haiku-4-5-20251001' } })
  const types: string[] = []
  for await (const event of stream.rest) types.push(event.type)
  t.same(types, ['content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'])
  t.same(keysOf(stub), [KEYS[0], KEYS[1]], 'a rejected key, then the next one')
  t.equal((stub.requests.at(-1)!.body as { stream?: unknown }).stream, true)
})

test('openStream: pings before message_start are passed over', async (t) => {
  const upstream = await rawUpstream(t, (request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    response.end('event: ping\ndata: {"type":"ping"}\n\nevent: ping\ndata: {"type":"ping"}\n\n' + MESSAGE_START + 'event: message_stop\ndata: {"type":"message_stop"}\n\n')
  })
  const h = await harness(t, upstream.url)
  const stream = await h.claude.openStream(h.call())
  t.match(stream.first, { type: 'message_start', message: { id: 'msg_1' } })
  const rest: unknown[] = []
  for await (const event of stream.rest) rest.push(event)
  t.same(rest, [{ type: 'message_stop' }])
})

test('openStream: an opening overloaded error event on every key is a 503 overloaded_error', async (t) => {
  const stub = await stubFor(t)
  const h = await harness(t, stub.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 2 })
  for (const key of KEYS.slice(0, 2)) stub.keyBehaviour.set(key, { kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 0 })
  const error = await failure(t, h.claude.openStream(h.call()))
  t.match(error, { name: 'GatewayError', status: 503, type: 'server_error', code: 'overloaded_error' })
  t.same(keysOf(stub), KEYS.slice(0, 2))
})

test('openStream: an opening error event of another type is a 502 with that type; the upstream connection is closed', async (t) => {
  const closes: Array<Promise<void>> = []
  const upstream = await rawUpstream(t, (request, response) => {
    request.resume()
    closes.push(new Promise((resolve) => { response.on('close', resolve) }))
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    // The error event, and then the upstream keeps the stream open.
    response.write(errorEvent('api_error', 'Internal error'))
  })
  const h = await harness(t, upstream.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 2 })
  const error = await failure(t, h.claude.openStream(h.call()))
  t.match(error, { name: 'GatewayError', status: 502, type: 'server_error', code: 'api_error', message: 'Upstream: Internal error' })
  t.equal(closes.length, 2, 'each key tried')
  // Waits for the gateway to hang up both answers (one left open would keep this test waiting).
  await Promise.all(closes)
})

test('openStream: a stream that ends before message_start on every key is a 502 upstream_unreachable', async (t) => {
  let hits = 0
  const upstream = await rawUpstream(t, (request, response) => {
    hits++
    request.resume()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    response.end('event: ping\ndata: {"type":"ping"}\n\n')
  })
  const h = await harness(t, upstream.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 2 })
  const error = await failure(t, h.claude.openStream(h.call()))
  t.match(error, { name: 'GatewayError', status: 502, code: 'upstream_unreachable' })
  t.equal(hits, 2)
})

test('countTokens: the upstream\'s count, with the same key rotation as a message', async (t) => {
  const stub = await stubFor(t, { keys: [KEYS[1]] })
  const h = await harness(t, stub.url, { RETRY_COUNT: 1 })
  const tokens = await h.claude.countTokens({ body: { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }] }, signal: new AbortController().signal, log: h.fastify.log })
  // The stand-in counts JSON characters / 4: {"messages":[{"role":"user","content":"Hi"}]} is 46.
  t.equal(tokens, 12)
  t.same(keysOf(stub), [KEYS[0], KEYS[1]])
})

test('listModels: the upstream\'s list, with the same key rotation as a message', async (t) => {
  const stub = await stubFor(t, { keys: [KEYS[1]], models: [{ id: 'claude-test-a', display_name: 'Test A', created_at: '2026-01-02T00:00:00Z' }, { id: 'claude-test-b', display_name: 'Test B', created_at: '2026-01-01T00:00:00Z' }] })
  const h = await harness(t, stub.url, { RETRY_COUNT: 1 })
  const models = await h.claude.listModels({ log: h.fastify.log })
  t.same(models.map((model) => model.id), ['claude-test-a', 'claude-test-b'])
  t.same(keysOf(stub), [KEYS[0], KEYS[1]])
})

test('countTokens: an answer that is JSON but no count is not retried, and its error reaches the caller as it was', async (t) => {
  let hits = 0
  const upstream = await rawUpstream(t, (request, response) => {
    hits++
    request.resume()
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end('null')
  })
  const h = await harness(t, upstream.url, { RETRY_COUNT: 3 })
  const error = await failure(t, h.claude.countTokens({ body: { model: 'claude-haiku-4-5-20251001', messages: [] }, signal: new AbortController().signal, log: h.fastify.log }))
  t.match(error, { name: 'TypeError', message: /input_tokens/ })
  t.equal(hits, 1)
})

test('every attempt is counted by its outcome and key label', async (t) => {
  const stub = await stubFor(t, { keys: [KEYS[0], KEYS[2]] })
  const h = await harness(t, stub.url, { RETRY_COUNT: 3 })
  stub.keyBehaviour.set(KEYS[0], rateLimited('40'))
  stub.enqueue(serverError)
  await h.claude.createMessage(h.call())
  // The rate-limited key, the rejected one, the third key's 500, then the third key again.
  t.same(keysOf(stub), [KEYS[0], KEYS[1], KEYS[2], KEYS[2]])
  const { body } = await h.fastify.metrics.render(false)
  const counted = body.split('\n').filter((line) => line.startsWith('claude2api_upstream_attempts_total{') && !line.endsWith(' 0')).sort()
  t.same(counted, [
    'claude2api_upstream_attempts_total{outcome="ok",key="sk-ant-api03-…3333"} 1',
    'claude2api_upstream_attempts_total{outcome="rate_limited",key="sk-ant-api03-…1111"} 1',
    'claude2api_upstream_attempts_total{outcome="rejected",key="sk-ant-api03-…2222"} 1',
    'claude2api_upstream_attempts_total{outcome="server_error",key="sk-ant-api03-…3333"} 1'
  ], 'each attempt under the label of the key it used')
  t.equal(body.split('\n').filter((line) => line.startsWith('claude2api_upstream_attempts_total{outcome="network"')).length, 3, 'every key has every outcome from the start')
})

test('passThrough: an answer that opens with anything but an error event is given back as it came', async (t) => {
  const stub = await stubFor(t, { chunkSize: 100 })
  const h = await harness(t, stub.url)
  for (const stream of [true, false]) {
    const answer = await h.claude.passThrough({ ...h.call(), method: 'POST', path: '/v1/messages', body: Buffer.from(JSON.stringify({ ...BODY, stream })), version: '2023-06-01', beta: undefined })
    let text = answer.first.toString('utf8')
    for await (const chunk of answer.rest) text += chunk.toString('utf8')
    t.equal(answer.status, 200)
    if (stream) t.match(text, /^event: message_start\n[^]*event: message_stop\n/)
    else t.match(JSON.parse(text), { type: 'message', content: [{ type: 'text', text: 'Hello from the stub.' }] })
  }
  t.same(keysOf(stub), [KEYS[0], KEYS[1]])
})

/** passThrough of a POST /v1/messages that streams, answered by a raw upstream that writes `opening` first (and then ends, or keeps the answer open). */
async function passThroughOpening (t: Tap, opening: string, end = true): Promise<{ error: Record<string, unknown>; hits: number }> {
  let hits = 0
  const upstream = await rawUpstream(t, (request, response) => {
    hits++
    request.resume()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    if (end) response.end(opening)
    else response.write(opening)
  })
  const h = await harness(t, upstream.url, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 2 })
  const error = await failure(t, h.claude.passThrough({ ...h.call(), method: 'POST', path: '/v1/messages', body: Buffer.from(JSON.stringify({ ...BODY, stream: true })), version: '2023-06-01', beta: undefined }))
  return { error, hits }
}

test('passThrough: an opening overloaded error event is retried on the next key, then a 503 overloaded_error', async (t) => {
  const { error, hits } = await passThroughOpening(t, errorEvent('overloaded_error', 'Overloaded, try later'))
  t.match(error, { name: 'GatewayError', status: 503, code: 'overloaded_error', message: 'Upstream: Overloaded, try later' })
  t.equal(hits, 2)
})

test('passThrough: an opening error event whose data is no JSON counts as an api_error', async (t) => {
  const { error, hits } = await passThroughOpening(t, 'event: error\ndata: {"type":"error","error":\n\n')
  t.match(error, { name: 'GatewayError', status: 502, code: 'api_error', message: 'Upstream: upstream error' })
  t.equal(hits, 2)
})

test('passThrough: an opening error event whose data has not come yet counts as an api_error', async (t) => {
  const { error, hits } = await passThroughOpening(t, 'event: error\n', false)
  t.match(error, { name: 'GatewayError', status: 502, code: 'api_error', message: 'Upstream: upstream error' })
  t.equal(hits, 2)
})

test('passThrough: an opening error event whose data field has no space after the colon is read all the same', async (t) => {
  const { error } = await passThroughOpening(t, `event: error\ndata:${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`)
  t.match(error, { name: 'GatewayError', status: 503, code: 'overloaded_error', message: 'Upstream: Overloaded' })
})

test('passThrough: only a data line is read, not a comment that mentions data', async (t) => {
  const { error } = await passThroughOpening(t, `event: error\n: data: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`)
  t.match(error, { name: 'GatewayError', status: 502, code: 'api_error', message: 'Upstream: upstream error' })
})

test('passThrough: an opening error event without an error object counts as an api_error', async (t) => {
  const { error } = await passThroughOpening(t, 'event: error\ndata: {"type":"error"}\n\n')
  t.match(error, { name: 'GatewayError', status: 502, code: 'api_error', message: 'Upstream: upstream error' })
})

// Mutants of the retry area that no test can kill, because behaviour cannot change (lines of
// plugins/claude-client.ts):
// - judge, `if (!(error instanceof UpstreamError)) return 'give-up'` made `if (false)`: an error
//   that is neither an UpstreamNetworkError nor an UpstreamError (a TypeError from a malformed
//   answer) has no `status` and no `retryable`, so it skips the 429 and rejection branches and
//   ends at the same `return 'give-up'`, with nothing logged or changed on the way.
// - judge, `if (callerKey)` made `if (true)`: this branch runs only without a pool key, and
//   withRetries reaches an attempt without one only for a caller's own key (otherwise it stops
//   at `if (!call.callerKey && !key) break`), so callerKey is always set there.
// - openStream, `if (first.done) throw …ESTREAMCUT` with the throw removed or the test made
//   `false`, and the ping loop's `first.done !== true` made `true`: readEvents ends without
//   throwing only after it yielded a `message_stop` or `error` event, and either ends the ping
//   loop as `first`; so `first.done` is never true here (the check narrows the type).
