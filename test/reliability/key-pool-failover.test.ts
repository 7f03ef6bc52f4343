import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type RecordedRequest, type StubOptions, type StubReply } from '../helpers/anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const MODEL = 'claude-haiku-4-5-20251001'
const KEYS = ['sk-ant-api03-pool-alpha-1111111111111111', 'sk-ant-api03-pool-bravo-2222222222222222', 'sk-ant-api03-pool-charlie-33333333333333']

async function setup (t: Tap, options: { stub?: StubOptions; config?: Record<string, unknown>; logLines?: string[] } = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub(options.stub)
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: KEYS.join(','), ...options.config }, logLines: options.logLines })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

function chat (prompt: string, stream: boolean): Record<string, unknown> {
  return { model: MODEL, messages: [{ role: 'user', content: prompt }], stream }
}

/** The last user message of an upstream request, as plain text. */
function promptOf (request: RecordedRequest): string {
  const content = request.body?.messages?.at(-1)?.content
  return typeof content === 'string' ? content : (content ?? []).map((block: { text?: string }) => block.text ?? '').join('')
}

function answerFor (prompt: string): string {
  return `answer to ${prompt}`
}

interface Answer { status: number; content: string; complete: boolean; headers: Headers; body: any }

async function ask (gateway: RunningGateway, prompt: string, stream: boolean): Promise<Answer> {
  const response = await postChat(gateway.url, chat(prompt, stream))
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const body: any = await response.json()
    const content = body.choices?.[0]?.message?.content ?? ''
    return { status: response.status, content, complete: body.choices?.[0]?.finish_reason === 'stop', headers: response.headers, body }
  }
  const payloads = await readSse(response)
  const chunks = parseChunks(payloads)
  const content = chunks.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('')
  const complete = payloads.at(-1) === '[DONE]' && !chunks.some((chunk) => chunk.error)
  return { status: response.status, content, complete, headers: response.headers, body: undefined }
}

/** A small deterministic generator, so a failing run can be replayed. */
function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

const BAD_KEY_FAILURES: StubReply[] = [
  { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' },
  { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
  { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '1' } },
  { kind: 'fault', fault: 'refuse' }
]

async function runPool<T> (count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      results[index] = await work(index)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return results
}

test('while one key of three is healthy, 1000 requests (two keys failing at random) all succeed', async (t) => {
  const { stub, gateway } = await setup(t)
  const random = seededRandom(20260817)
  const healthyKey = KEYS[2]
  // The first failing key never answers 429, so it stays in the rotation instead of cooling down.
  const failuresByKey = new Map([[KEYS[0], BAD_KEY_FAILURES.filter((reply) => reply.kind !== 'error' || reply.status !== 429)], [KEYS[1], BAD_KEY_FAILURES]])
  const failureCounts = new Map<string, number>()
  stub.respondWith((request) => {
    const failures = failuresByKey.get(request.key ?? '')
    if (failures === undefined || random() >= 0.9) return { content: [{ type: 'text', text: answerFor(promptOf(request)) }] }
    const failure = failures[Math.floor(random() * failures.length)]
    const name = failure.kind === 'error' ? String(failure.status) : failure.kind === 'fault' ? failure.fault : 'message'
    failureCounts.set(name, (failureCounts.get(name) ?? 0) + 1)
    return failure
  })
  const started = Date.now()
  const answers = await runPool(1000, 20, async (index) => await ask(gateway, `request ${index}`, index % 2 === 0))
  const lost = answers.filter((answer, index) => answer.status !== 200 || !answer.complete || answer.content !== answerFor(`request ${index}`))
  const failed = [...failureCounts.values()].reduce((sum, count) => sum + count, 0)
  const mix = [...failureCounts].map(([name, count]) => `${name}: ${count}`).join(', ')
  t.comment(`1000 requests in ${Date.now() - started} ms: ${lost.length} lost; ${stub.requests.length} upstream attempts, ${failed} failed (${mix})`)
  t.equal(lost.length, 0, 'no request lost')
  t.ok(failed >= 300, 'the failing keys were really in the rotation')
  t.ok(failureCounts.get('429') !== undefined, 'rate limits were part of the mix')
})

test('a cooling key is not tried again before its retry-after has passed', async (t) => {
  const { stub, gateway } = await setup(t, { config: { ANTHROPIC_API_KEYS: KEYS.slice(0, 2).join(',') } })
  let limited = false
  stub.respondWith((request) => {
    if (request.key !== KEYS[0] || limited) return undefined
    limited = true
    return { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '1' } }
  })
  // A fixed number of requests while the key cools, a wait past its retry-after, then a few more:
  // the count never depends on how fast the machine is.
  for (let round = 0; round < 12; round++) t.equal((await ask(gateway, `cooling ${round}`, round % 2 === 0)).status, 200)
  const limitedAt = stub.requests.find((request) => request.key === KEYS[0])!.receivedAt
  await sleep(1200)
  for (let round = 0; round < 4; round++) t.equal((await ask(gateway, `after ${round}`, round % 2 === 0)).status, 200)
  const laterUses = stub.requests.filter((request) => request.key === KEYS[0] && request.receivedAt > limitedAt).map((request) => request.receivedAt - limitedAt)
  t.ok(laterUses.length > 0, 'the key came back into use after its cool-down')
  t.ok(laterUses.every((delay) => delay >= 1000), `never reused before its retry-after (first reuse ${laterUses[0]} ms after the 429, retry-after: 1 s)`)
})

for (const stream of [false, true]) {
  test(`every key cooling (${stream ? 'stream' : 'non-stream'}): a 429 with retry-after, without asking the upstream again`, async (t) => {
    const { stub, gateway } = await setup(t)
    stub.respondWith(() => ({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '30' } }))
    const first = await ask(gateway, 'hello', stream)
    t.equal(first.status, 429)
    t.equal(stub.requests.length, KEYS.length, 'each key tried once')
    for (let round = 0; round < 5; round++) {
      const answer = await ask(gateway, 'hello', stream)
      t.equal(answer.status, 429)
      t.match(answer.body, { error: { type: 'rate_limit_error', code: 'upstream_keys_cooling' } })
      const retryAfter = Number(answer.headers.get('retry-after'))
      t.ok(retryAfter >= 1 && retryAfter <= 30, `retry-after: ${retryAfter}`)
    }
    t.equal(stub.requests.length, KEYS.length, 'no upstream request while every key cools')
  })
}

const REJECTIONS: Array<{ name: string; stub: StubOptions; reply?: StubReply }> = [
  { name: '401', stub: { keys: ['sk-ant-api03-some-other-key'] } },
  { name: '403', stub: {}, reply: { kind: 'error', status: 403, type: 'permission_error', message: 'This key may not use the API' } }
]

for (const rejection of REJECTIONS) {
  test(`every key rejected by ${rejection.name}: a 503 with retry-after, without asking the upstream again`, async (t) => {
    const { stub, gateway } = await setup(t, { stub: rejection.stub })
    if (rejection.reply) for (const key of KEYS) stub.keyBehaviour.set(key, rejection.reply)
    for (let round = 0; round < 6; round++) {
      const answer = await ask(gateway, 'hello', round % 2 === 0)
      t.equal(answer.status, 503)
      // One request meets at most two refused keys; the third is found out by the next request.
      t.match(answer.body, { error: { type: 'server_error', code: round === 0 ? 'upstream_key_rejected' : 'no_upstream_keys' } })
      t.ok(Number(answer.headers.get('retry-after')) > 0, `retry-after: ${answer.headers.get('retry-after')}`)
    }
    t.equal(stub.requests.filter((request) => request.path === '/v1/messages').length, KEYS.length, 'each key tried once, then never again')
    t.match(gateway.app.keyPool.status(), { total: 3, healthy: 0, disabled: 3 })
  })
}

test('a key rejected with 401 or 403 leaves the pool for good; logs name it by label only', async (t) => {
  const logLines: string[] = []
  const { stub, gateway } = await setup(t, { stub: { keys: [KEYS[0], KEYS[2]] }, logLines })
  stub.keyBehaviour.set(KEYS[2], { kind: 'error', status: 403, type: 'permission_error', message: 'This key may not use the API' })
  const statuses: number[] = []
  for (let round = 0; round < 20; round++) statuses.push((await ask(gateway, `round ${round}`, round % 2 === 0)).status)
  // Round 2 meets both refused keys in a row: one key rejection per request, so it ends there.
  t.same(statuses.filter((status) => status !== 200), [503], 'one request met two refused keys and was answered 503')
  const uses = (key: string): number => stub.requests.filter((request) => request.key === key && request.path === '/v1/messages').length
  t.equal(uses(KEYS[1]), 1, 'the 401 key was used once')
  t.equal(uses(KEYS[2]), 1, 'the 403 key was used once')
  t.equal(uses(KEYS[0]), 19, 'the good key answered everything else')
  t.match(gateway.app.keyPool.status(), { total: 3, healthy: 1, disabled: 2 })

  const removals = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'upstream key rejected; removed from the pool')
  t.same(removals.map((entry) => [entry.key, entry.status]).sort(), [['sk-ant-api03-…2222', 401], ['sk-ant-api03-…3333', 403]], 'one log entry per removed key, naming its label')
  for (const key of KEYS) {
    const leaks = logLines.filter((line) => secretWindows(key).some((window) => line.includes(window)))
    t.equal(leaks.length, 0, `no log line holds any 12 characters of ${key.slice(0, 6)}…`)
  }
})

/** Every 12-character piece of a key beyond its public prefix. */
function secretWindows (key: string): string[] {
  const secret = key.slice('sk-ant-'.length)
  return Array.from({ length: secret.length - 11 }, (_, start) => secret.slice(start, start + 12))
}
