import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubOptions, type StubReply } from '../helpers/anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const MODEL = 'claude-haiku-4-5-20251001'
const STUB_ANSWER = 'Hello from the stub.'
const LONG_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(20)

function chat (stream: boolean): Record<string, unknown> {
  return { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream }
}

async function setup (t: Tap, options: { stub?: StubOptions; config?: Record<string, unknown> } = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub(options.stub)
  const gateway = await startGateway(stub.url, { config: options.config })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

interface Outcome { status: number; elapsedMs: number; content: string; payloads: string[]; body: any }

/** Sends one request and reads its whole answer, streamed or not. */
async function ask (gateway: RunningGateway, stream: boolean): Promise<Outcome> {
  const started = Date.now()
  const response = await postChat(gateway.url, chat(stream))
  const isSse = (response.headers.get('content-type') ?? '').startsWith('text/event-stream')
  if (!isSse) {
    const body: any = await response.json()
    return { status: response.status, elapsedMs: Date.now() - started, content: body.choices?.[0]?.message?.content ?? '', payloads: [], body }
  }
  const payloads = await readSse(response)
  const content = parseChunks(payloads).map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('')
  return { status: response.status, elapsedMs: Date.now() - started, content, payloads, body: undefined }
}

/** The mid-stream promise: an error object in the stream, no finish_reason and no [DONE]. */
function expectVisibleStreamError (t: Tap, outcome: Outcome, code: RegExp): void {
  const chunks = parseChunks(outcome.payloads)
  const errors = chunks.filter((chunk) => chunk.error !== undefined)
  t.equal(outcome.status, 200, 'the stream had started')
  t.equal(errors.length, 1, 'one error object in the stream')
  t.match(errors[0]?.error, { type: 'server_error', code }, 'the error says what failed')
  t.notOk(chunks.some((chunk) => chunk.choices?.some((choice: any) => choice.finish_reason)), 'no finish_reason chunk')
  t.notOk(outcome.payloads.includes('[DONE]'), 'no [DONE]')
}

const RETRIED_STATUSES: Array<{ name: string; reply: StubReply }> = [
  { name: '529 overloaded', reply: { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' } },
  { name: '500 api error', reply: { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' } },
  { name: '502 bad gateway', reply: { kind: 'error', status: 502, type: 'api_error', message: 'Bad gateway' } },
  { name: 'reset before headers', reply: { kind: 'fault', fault: 'refuse' } }
]

for (const { name, reply } of RETRIED_STATUSES) {
  for (const stream of [false, true]) {
    test(`${name} (${stream ? 'stream' : 'non-stream'}): retried on another key, the client gets the answer`, async (t) => {
      const { stub, gateway } = await setup(t)
      stub.enqueue(reply)
      const outcome = await ask(gateway, stream)
      t.equal(outcome.status, 200)
      t.equal(outcome.content, STUB_ANSWER)
      const keys = stub.requests.map((request) => request.key)
      t.equal(keys.length, 2, 'one failed attempt, one good one')
      t.not(keys[0], keys[1], 'the retry used another key')
    })
  }
}

test('a 429 with retry-after on one key: the next key answers and the limited key cools down', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.keyBehaviour.set(UPSTREAM_KEYS[0], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '20' } })
  for (const stream of [false, true, false]) {
    const outcome = await ask(gateway, stream)
    t.equal(outcome.status, 200)
    t.equal(outcome.content, STUB_ANSWER)
  }
  const limitedTries = stub.requests.filter((request) => request.key === UPSTREAM_KEYS[0]).length
  t.equal(limitedTries, 1, 'the limited key was tried once, then left alone while it cools')
  t.match(gateway.app.keyPool.status(), { total: 2, healthy: 1, cooling: 1, disabled: 0 })
})

test('connection refused (base URL on a closed port): a quick 502 upstream_unreachable', async (t) => {
  const port = await freePort()
  const gateway = await startGateway(`http://127.0.0.1:${port}`)
  t.teardown(() => gateway.close())
  for (const stream of [false, true]) {
    const outcome = await ask(gateway, stream)
    t.equal(outcome.status, 502)
    t.match(outcome.body, { error: { type: 'server_error', code: 'upstream_unreachable', message: /ECONNREFUSED/ } })
  }
})

// Timing bounds below are generous on purpose (CI machines are busy): each only has to tell the
// timeout under test from the much longer one that would otherwise have fired.
const FIRST_BYTE_CONFIG = { FIRST_BYTE_TIMEOUT_MS: 300, IDLE_TIMEOUT_MS: 20000, TOTAL_TIMEOUT_MS: 60000 }

for (const fault of ['headers-then-silence', 'silence'] as const) {
  for (const stream of [false, true]) {
    test(`${fault} (${stream ? 'stream' : 'non-stream'}): the first-byte timeout fires and another key answers`, async (t) => {
      const { stub, gateway } = await setup(t, { config: FIRST_BYTE_CONFIG })
      stub.enqueue({ kind: 'fault', fault })
      const outcome = await ask(gateway, stream)
      t.equal(outcome.status, 200)
      t.equal(outcome.content, STUB_ANSWER)
      t.equal(stub.requests.length, 2)
      t.ok(outcome.elapsedMs >= 300 && outcome.elapsedMs < 20000, `first byte timed out after 300 ms, before the 20 s idle timeout (took ${outcome.elapsedMs} ms)`)
    })
  }
}

test('every attempt silent: 504 upstream_timeout naming the first-byte timeout', async (t) => {
  const { stub, gateway } = await setup(t, { config: FIRST_BYTE_CONFIG })
  stub.respondWith(() => ({ kind: 'fault', fault: 'headers-then-silence' }))
  for (const stream of [false, true]) {
    const outcome = await ask(gateway, stream)
    t.equal(outcome.status, 504)
    t.match(outcome.body, { error: { type: 'server_error', code: 'upstream_timeout', message: /first-byte/ } })
    t.ok(outcome.elapsedMs < 20000, `answered before the 20 s idle timeout (took ${outcome.elapsedMs} ms)`)
  }
})

const IDLE_CONFIG = { FIRST_BYTE_TIMEOUT_MS: 20000, IDLE_TIMEOUT_MS: 300, TOTAL_TIMEOUT_MS: 60000 }

test('stall mid-stream: the idle timeout ends the stream with a visible error, without a retry', async (t) => {
  const { stub, gateway } = await setup(t, { config: IDLE_CONFIG })
  stub.enqueue({ kind: 'fault', fault: 'stall-mid-stream', afterEvents: 4 })
  const outcome = await ask(gateway, true)
  expectVisibleStreamError(t, outcome, /upstream_stream_failed/)
  t.match(parseChunks(outcome.payloads).find((chunk) => chunk.error)?.error.message, /idle timeout/)
  t.ok(outcome.elapsedMs >= 300 && outcome.elapsedMs < 20000, `cut by the 300 ms idle timeout, before the 20 s first-byte one (took ${outcome.elapsedMs} ms)`)
  t.equal(stub.requests.length, 1, 'no retry once the client has bytes')
})

test('stall halfway through a non-stream body: idle timeout, then retried since the client has nothing yet', async (t) => {
  const { stub, gateway } = await setup(t, { config: IDLE_CONFIG })
  stub.enqueue({ kind: 'fault', fault: 'stall-mid-stream' })
  const outcome = await ask(gateway, false)
  t.equal(outcome.status, 200)
  t.equal(outcome.content, STUB_ANSWER)
  t.equal(stub.requests.length, 2)
})

test('stream cut mid-way: a visible error, without a retry', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream', afterEvents: 4 })
  const outcome = await ask(gateway, true)
  expectVisibleStreamError(t, outcome, /upstream_stream_failed/)
  t.equal(stub.requests.length, 1)
})

test('non-stream body cut halfway: retried, the client gets the answer', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream' })
  const outcome = await ask(gateway, false)
  t.equal(outcome.status, 200)
  t.equal(outcome.content, STUB_ANSWER)
  t.equal(stub.requests.length, 2)
})

test('event: error mid-stream: the upstream error reaches the client in the stream', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.enqueue({ kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 4 })
  const outcome = await ask(gateway, true)
  expectVisibleStreamError(t, outcome, /overloaded_error/)
  t.match(parseChunks(outcome.payloads).find((chunk) => chunk.error)?.error.message, /Overloaded/)
  t.equal(stub.requests.length, 1)
})

test('a stream cut before message_start is retried: the client had no byte yet', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream', afterEvents: 0 })
  const outcome = await ask(gateway, true)
  t.equal(outcome.status, 200)
  t.equal(outcome.content, STUB_ANSWER)
  t.ok(outcome.payloads.includes('[DONE]'))
  t.equal(stub.requests.length, 2)
})

test('a stream longer than the total timeout is cut with a visible error', async (t) => {
  const { stub, gateway } = await setup(t, { stub: { eventDelayMs: 50, chunkSize: 16 }, config: { FIRST_BYTE_TIMEOUT_MS: 30000, IDLE_TIMEOUT_MS: 30000, TOTAL_TIMEOUT_MS: 500 } })
  stub.enqueue({ content: [{ type: 'text', text: LONG_TEXT }] })
  const outcome = await ask(gateway, true)
  expectVisibleStreamError(t, outcome, /upstream_stream_failed/)
  t.match(parseChunks(outcome.payloads).find((chunk) => chunk.error)?.error.message, /timeout/)
  t.ok(outcome.elapsedMs < 30000, `cut by the 500 ms total timeout, not the 30 s idle one (took ${outcome.elapsedMs} ms)`)
  t.equal(stub.requests.length, 1)
})
