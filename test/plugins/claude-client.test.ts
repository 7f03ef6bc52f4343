import { createServer, type Server } from 'node:http'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubOptions } from '../helpers/anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEYS = ['sk-ant-api03-client-alpha-111111111111111', 'sk-ant-api03-client-bravo-222222222222222', 'sk-ant-api03-client-charlie-3333333333333']
const CHAT = { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }] }

async function setup (t: Tap, config: Record<string, unknown>, stubOptions: StubOptions = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub(stubOptions)
  const gateway = await startGateway(stub.url, { config })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

test('RETRY_COUNT above the number of keys: a server fault is retried on a key that already failed', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS[0], RETRY_COUNT: 3 })
  stub.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }, { kind: 'fault', fault: 'refuse' })
  const response = await postChat(gateway.url, CHAT)
  t.equal(response.status, 200)
  t.same(stub.requests.map((request) => request.key), [KEYS[0], KEYS[0], KEYS[0]])
})

test('RETRY_COUNT 1: a rate-limited or rejected key does not use up the attempt', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS.join(','), RETRY_COUNT: 1 }, { keys: [KEYS[0], KEYS[2]] })
  stub.keyBehaviour.set(KEYS[0], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '30' } })
  const response = await postChat(gateway.url, CHAT)
  t.equal(response.status, 200)
  t.same(stub.requests.filter((request) => request.path === '/v1/messages').map((request) => request.key), KEYS, 'the 429 key, the 401 key, then the good one')
})

test('RETRY_COUNT 1: a server fault uses the attempt up', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS.join(','), RETRY_COUNT: 1 })
  stub.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' })
  const response = await postChat(gateway.url, CHAT)
  t.equal(response.status, 502)
  t.equal(stub.requests.length, 1)
})

test('a server fault on one key and a rejection on the other: the client hears about the fault, not about keys', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(',') }, { keys: [KEYS[0]] })
  stub.keyBehaviour.set(KEYS[0], { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' })
  const response = await postChat(gateway.url, CHAT)
  t.equal(response.status, 502)
  t.match(await response.json(), { error: { type: 'server_error', code: 'api_error', message: /Internal server error/ } })
  t.same(stub.requests.filter((request) => request.path === '/v1/messages').map((request) => request.key), [KEYS[0], KEYS[1], KEYS[0]], 'the rejected key did not use up the second attempt')
})

async function startHtmlUpstream (t: Tap): Promise<{ url: string; hits: () => number }> {
  let hits = 0
  const server: Server = createServer((request, response) => {
    hits++
    request.resume()
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end('<html><body>Welcome to the captive portal</body></html>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits: () => hits }
}

test('a 200 whose body is not the API\'s JSON is retried, then reported as a 502', async (t) => {
  const upstream = await startHtmlUpstream(t)
  const gateway = await startGateway(upstream.url, { config: { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(',') } })
  t.teardown(() => gateway.close())
  for (const stream of [false, true]) {
    const before = upstream.hits()
    const response = await postChat(gateway.url, { ...CHAT, stream })
    t.equal(response.status, 502)
    t.match(await response.json(), { error: { type: 'server_error', message: /unreadable|ended before/ } })
    t.equal(upstream.hits() - before, 2, 'each key tried')
  }
})

/** SSE for a one-text-block answer, the way the Messages API streams it. */
function sseAnswer (text: string): string {
  const events: Array<[string, object]> = [
    ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5-20251001', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }],
    ['message_stop', { type: 'message_stop' }]
  ]
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('')
}

test('a stream that pings and then breaks before message_start is retried: the client had nothing yet', async (t) => {
  let hits = 0
  const server: Server = createServer((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    if (++hits === 1) {
      response.write('event: ping\ndata: {"type":"ping"}\n\n', () => response.socket?.destroy())
      return
    }
    response.end(sseAnswer('Second time lucky.'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const gateway = await startGateway(`http://127.0.0.1:${(server.address() as { port: number }).port}`, { config: { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(',') } })
  t.teardown(async () => {
    await gateway.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const response = await postChat(gateway.url, { ...CHAT, stream: true })
  const payloads = await readSse(response)
  t.equal(response.status, 200)
  t.equal(parseChunks(payloads).map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join(''), 'Second time lucky.')
  t.equal(payloads.at(-1), '[DONE]')
  t.equal(hits, 2)
})

test('an error event before message_start is retried on another key: the client had nothing yet', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(','), RETRY_COUNT: 2 })
  // A 200 whose very first event is `error` (afterEvents 0: not even message_start was sent).
  stub.keyBehaviour.set(KEYS[0], { kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 0 })
  const response = await postChat(gateway.url, { ...CHAT, stream: true })
  const payloads = await readSse(response)
  t.equal(response.status, 200)
  const chunks = parseChunks(payloads)
  t.same(chunks.filter((chunk) => chunk.error !== undefined), [], 'no error reached the client')
  t.equal(chunks.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join(''), 'Hello from the stub.')
  t.equal(payloads.at(-1), '[DONE]')
  t.same(stub.requests.map((request) => request.key), [KEYS[0], KEYS[1]], 'the second key answered')
})

// A ninth audit mutation (readEvents no longer counting an `error` event as the end of the
// stream) is equivalent: the stream translator stops pulling events at the first `error`, so
// the end-of-body check after the loop that the mutation would change is never reached.

test('every key rate limited: retry-after is the soonest cooldown, on the request and on the next one', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: KEYS.join(',') })
  const cooldowns = [40, 7, 90]
  KEYS.forEach((key, index) => stub.keyBehaviour.set(key, { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': String(cooldowns[index]) } }))
  const first = await postChat(gateway.url, CHAT)
  t.equal(first.status, 429)
  t.equal(first.headers.get('retry-after'), '7', 'the key that is back first decides')
  const second = await postChat(gateway.url, CHAT)
  t.equal(second.status, 429)
  const wait = Number(second.headers.get('retry-after'))
  // A moment has passed since the cooldowns began, so 7 or 6 s remain; never the 40 or 90 of the others.
  t.ok(wait >= 1 && wait <= 7, `retry-after ${wait} is the soonest cooldown`)
  t.equal(stub.requests.length, 3, 'the second request found every key cooling and did not go upstream')
})
