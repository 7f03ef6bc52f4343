// Every client-controlled count has a bound, checked before any translation or state lookup,
// with an error that names the limit and the count.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, buildGateway } from '../helpers/gateway.js'
import type { FastifyInstance } from 'fastify'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

async function setup (t: Tap, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; app: FastifyInstance }> {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config })
  t.teardown(async () => { await app.close(); await stub.close() })
  return { stub, app }
}

async function post (app: FastifyInstance, url: string, payload: unknown): Promise<{ status: number; body: any }> {
  const answer = await app.inject({ method: 'POST', url, headers: authHeaders, payload: JSON.stringify(payload) })
  return { status: answer.statusCode, body: answer.json() }
}

test('chat: messages, content parts and tools per request are capped, the error naming limit and count', async (t) => {
  const { stub, app } = await setup(t)
  const turn = (index: number): unknown => ({ role: index % 2 === 0 ? 'user' : 'assistant', content: 'x' })
  const messages = Array.from({ length: 10_001 }, (_, index) => turn(index))
  const tooMany = await post(app, '/v1/chat/completions', { model: 'claude-sonnet-4-6', messages })
  t.equal(tooMany.status, 400)
  t.match(tooMany.body, { error: { type: 'invalid_request_error', param: 'messages', code: 'too_many_items', message: /10001.*10000|10000.*10001/ } })

  const parts = Array.from({ length: 10_001 }, () => ({ type: 'text', text: 'x' }))
  const manyParts = await post(app, '/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: parts }] })
  t.equal(manyParts.status, 400)
  t.match(manyParts.body, { error: { code: 'too_many_items', message: /content parts.*10001/ } })

  const tools = Array.from({ length: 513 }, (_, index) => ({ type: 'function', function: { name: `tool_${index}`, parameters: { type: 'object' } } }))
  const manyTools = await post(app, '/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }], tools })
  t.equal(manyTools.status, 400)
  t.match(manyTools.body, { error: { param: 'tools', code: 'too_many_items', message: /513.*512|512.*513/ } })
  t.equal(stub.requests.length, 0, 'nothing went upstream')
})

test('responses: input items, content parts and tools per request are capped', async (t) => {
  const { stub, app } = await setup(t)
  const input = Array.from({ length: 10_001 }, (_, index) => ({ type: 'function_call_output', call_id: `call_${index}`, output: 'x' }))
  const tooMany = await post(app, '/v1/responses', { model: 'claude-sonnet-4-6', input })
  t.equal(tooMany.status, 400)
  t.match(tooMany.body, { error: { param: 'input', code: 'too_many_items', message: /10001.*10000|10000.*10001/ } })

  const parts = Array.from({ length: 10_001 }, () => ({ type: 'input_text', text: 'x' }))
  const manyParts = await post(app, '/v1/responses', { model: 'claude-sonnet-4-6', input: [{ role: 'user', content: parts }] })
  t.equal(manyParts.status, 400)
  t.match(manyParts.body, { error: { code: 'too_many_items', message: /content parts.*10001/ } })

  const tools = Array.from({ length: 513 }, (_, index) => ({ type: 'function', name: `tool_${index}`, parameters: { type: 'object' } }))
  const manyTools = await post(app, '/v1/responses', { model: 'claude-sonnet-4-6', input: 'Hi', tools })
  t.equal(manyTools.status, 400)
  t.match(manyTools.body, { error: { param: 'tools', code: 'too_many_items' } })
  const counted = await post(app, '/v1/responses/input_tokens', { model: 'claude-sonnet-4-6', input })
  t.equal(counted.status, 400, 'input_tokens has the same caps')
  t.equal(stub.requests.length, 0, 'nothing went upstream')
})

test('metadata follows OpenAI\'s limits: 16 pairs, keys up to 64 characters, values up to 512', async (t) => {
  const { stub, app } = await setup(t, { UNSUPPORTED_FIELDS: 'drop' })
  const pairs = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']))
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['17 pairs', pairs(17), /16/],
    ['a 65-character key', { ['k'.repeat(65)]: 'v' }, /64/],
    ['a 513-character value', { key: 'v'.repeat(513) }, /512/],
    ['a 1 MB value', { key: 'v'.repeat(1024 * 1024) }, /512/]
  ]
  for (const [what, metadata, limit] of cases) {
    const chat = await post(app, '/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }], metadata })
    t.equal(chat.status, 400, `chat, ${what}: 400`)
    t.match(chat.body, { error: { type: 'invalid_request_error', message: limit } })
    t.match(chat.body.error.param, /^metadata/)
    const responses = await post(app, '/v1/responses', { model: 'claude-sonnet-4-6', input: 'Hi', metadata })
    t.equal(responses.status, 400, `responses, ${what}: 400`)
    t.match(responses.body, { error: { type: 'invalid_request_error', message: limit } })
    t.ok(JSON.stringify(responses.body).length < 4096, 'the error is short')
  }
  t.equal(stub.requests.length, 0, 'nothing went upstream')
  const fine = await post(app, '/v1/responses', { model: 'claude-sonnet-4-6', input: 'Hi', metadata: { ...pairs(15), ['k'.repeat(64)]: 'v'.repeat(512) } })
  t.equal(fine.status, 200, '16 pairs at the limits are accepted')
  t.equal(fine.body.metadata['k'.repeat(64)], 'v'.repeat(512), 'and echoed')
})
