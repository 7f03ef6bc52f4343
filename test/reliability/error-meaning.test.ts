import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubReply } from '../helpers/anthropic-stub.js'
import { postChat, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

async function setup (t: Tap): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

interface Case {
  name: string
  reply: StubReply
  status: number
  type: string
  /** Whether another key may help, so every key is asked before the client gets the error. */
  retried: boolean
}

const CASES: Case[] = [
  { name: '400 stays 400 with the upstream message', reply: { kind: 'error', status: 400, type: 'invalid_request_error', message: 'messages.0.content: text content blocks must be non-empty' }, status: 400, type: 'invalid_request_error', retried: false },
  { name: '429 stays 429 with retry-after', reply: { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit', headers: { 'retry-after': '7' } }, status: 429, type: 'rate_limit_error', retried: true },
  { name: '529 becomes 503', reply: { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }, status: 503, type: 'server_error', retried: true },
  { name: '500 becomes 502', reply: { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' }, status: 502, type: 'server_error', retried: true }
]

for (const testCase of CASES) {
  for (const stream of [false, true]) {
    test(`${testCase.name} (${stream ? 'stream' : 'non-stream'}), in the OpenAI error shape`, async (t) => {
      const { stub, gateway } = await setup(t)
      stub.respondWith(() => testCase.reply)
      const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }], stream })
      const body: any = await response.json()
      t.equal(response.status, testCase.status)
      t.match(response.headers.get('content-type'), /^application\/json/)
      t.same(Object.keys(body), ['error'])
      t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'request_id', 'type'])
      t.equal(body.error.type, testCase.type)
      t.ok(body.error.message.includes(testCase.reply.kind === 'error' ? testCase.reply.message : ''), `the upstream message is kept: ${body.error.message}`)
      t.equal(stub.requests.length, testCase.retried ? 2 : 1, testCase.retried ? 'tried on each key' : 'not retried')
      if (testCase.status === 429) {
        const retryAfter = Number(response.headers.get('retry-after'))
        t.ok(retryAfter >= 1 && retryAfter <= 7, `retry-after: ${response.headers.get('retry-after')}`)
      }
    })
  }
}
