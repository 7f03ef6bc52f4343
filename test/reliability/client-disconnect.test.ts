import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubReply } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

// The abort's latency (about 100 ms and less) is a figure for the benchmark, not a test bound: a
// busy CI machine may take longer. These tests check the order of events: the client leaves,
// then the upstream request is aborted, long before it would have ended or timed out.
/** A generous bound: the slow answer takes 400 events × 50 ms = 20 s, the silent one 60 s to time out. */
const ABORT_BOUND_MS = 10_000
const SLOW_ANSWER: StubReply = { content: [{ type: 'text', text: 'word '.repeat(400) }] }

async function setup (t: Tap, logLines?: string[]): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ eventDelayMs: 50, chunkSize: 5 })
  const gateway = await startGateway(stub.url, { logLines, config: { FIRST_BYTE_TIMEOUT_MS: 60_000, IDLE_TIMEOUT_MS: 60_000 } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

async function waitFor (condition: () => boolean, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs
  while (!condition() && Date.now() < until) await sleep(2)
  return condition()
}

/** Starts a request the client will abandon; resolves once the response is under way. */
async function startRequest (gateway: RunningGateway, stream: boolean, controller: AbortController): Promise<Response | undefined> {
  const request = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: authHeaders,
    body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Talk slowly' }], stream }),
    signal: controller.signal
  })
  if (!stream) {
    request.catch(() => {})
    return undefined
  }
  return await request
}

/** Aborts the client and measures how long the gateway takes to drop the upstream request. */
async function abortAndMeasure (t: Tap, stub: AnthropicStub, controller: AbortController): Promise<number> {
  const abortedAt = Date.now()
  controller.abort()
  t.ok(await waitFor(() => stub.abortedAt.length > 0, ABORT_BOUND_MS), 'the upstream request was aborted')
  const latency = (stub.abortedAt[0] ?? Infinity) - abortedAt
  t.ok(latency >= 0, 'the abort came after the client left')
  return latency
}

test('a client leaving mid-stream makes the gateway abort the upstream before the answer would have ended', async (t) => {
  const { stub, gateway } = await setup(t)
  const latencies: number[] = []
  for (let round = 0; round < 5; round++) {
    stub.reset()
    stub.enqueue(SLOW_ANSWER)
    const controller = new AbortController()
    const response = await startRequest(gateway, true, controller)
    const reader = response!.body!.getReader()
    let received = ''
    while (!received.includes('"content":"word')) received += new TextDecoder().decode((await reader.read()).value)
    latencies.push(await abortAndMeasure(t, stub, controller))
    t.equal(stub.requests.length, 1, 'no other upstream request was made')
  }
  t.comment(`upstream aborted ${latencies.join(', ')} ms after the client left`)
  t.ok(Math.max(...latencies) < ABORT_BOUND_MS, 'every abort came before the 20 s answer could have ended')
})

for (const stream of [false, true]) {
  test(`a client leaving while the upstream is still silent (${stream ? 'stream' : 'non-stream'}) aborts it before any timeout`, async (t) => {
    const logLines: string[] = []
    const { stub, gateway } = await setup(t, logLines)
    stub.enqueue({ kind: 'fault', fault: 'headers-then-silence' })
    const controller = new AbortController()
    const started = startRequest(gateway, stream, controller)
    started.catch(() => {})
    t.ok(await waitFor(() => stub.requests.length === 1, ABORT_BOUND_MS), 'the upstream request is under way')
    await sleep(50)
    const latency = await abortAndMeasure(t, stub, controller)
    t.comment(`upstream aborted ${latency} ms after the client left`)
    t.ok(latency < ABORT_BOUND_MS, 'aborted by the client leaving, long before the 60 s first-byte timeout')
    await sleep(100)
    t.equal(stub.requests.length, 1, 'the abort was not taken for a failure to retry')
    const errors = logLines.filter((line) => JSON.parse(line).level >= 50)
    t.same(errors, [], 'a client leaving is not logged as a gateway error')
  })
}
