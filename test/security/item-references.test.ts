// item_reference (and reasoning items without encrypted_content) read stored items: one entry
// per item, each read once per request, a bounded number of them, of a bounded total size.
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

async function post (app: FastifyInstance, payload: unknown): Promise<{ status: number; body: any }> {
  const answer = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: JSON.stringify(payload) })
  return { status: answer.statusCode, body: answer.json() }
}

/** Stores a response whose input is the given texts, one user message each; returns the input items' ids. */
async function storeTexts (t: Tap, app: FastifyInstance, texts: string[], metadata?: Record<string, string>): Promise<string[]> {
  const stored = await post(app, { model: 'claude-sonnet-4-6', input: texts.map((text) => ({ role: 'user', content: text })), metadata })
  t.equal(stored.status, 200, 'stored')
  const items = await app.inject({ method: 'GET', url: `/v1/responses/${String(stored.body.id)}/input_items?order=asc&limit=100`, headers: authHeaders })
  return (items.json() as { data: Array<{ id: string }> }).data.map((item) => item.id)
}

test('a repeated reference is refused, naming it', async (t) => {
  const { app } = await setup(t)
  const [id] = await storeTexts(t, app, ['remember this'])
  const answer = await post(app, { model: 'claude-sonnet-4-6', input: [{ type: 'item_reference', id }, { type: 'item_reference', id }, { role: 'user', content: 'and?' }] })
  t.equal(answer.status, 400)
  t.match(answer.body, { error: { type: 'invalid_request_error', param: 'input[1].id', code: 'duplicate_item_reference' } })
  const once = await post(app, { model: 'claude-sonnet-4-6', input: [{ type: 'item_reference', id }, { role: 'user', content: 'and?' }] })
  t.equal(once.status, 200, 'one reference is fine')
})

test('references per request are capped, the error naming the limit', async (t) => {
  const { stub, app } = await setup(t)
  const input = Array.from({ length: 257 }, (_, index) => ({ type: 'item_reference', id: `msg_${index}` }))
  const answer = await post(app, { model: 'claude-sonnet-4-6', input })
  t.equal(answer.status, 400)
  t.match(answer.body, { error: { param: 'input', code: 'too_many_item_references', message: /256/ } })
  t.equal(stub.requests.length, 0)
})

test('a referenced item is read without the rest of its response', async (t) => {
  const { app } = await setup(t)
  const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`, 'm'.repeat(512)]))
  const ids = await storeTexts(t, app, ['small item', 'x'.repeat(512 * 1024)], metadata)
  const reads: number[] = []
  const state = app.state as unknown as Record<string, (...args: any[]) => Promise<any>>
  for (const method of ['get', 'getMany']) {
    const original = state[method].bind(app.state)
    state[method] = async (...args: any[]) => {
      const value = await original(...args)
      for (const one of [value].flat()) if (typeof one === 'string') reads.push(one.length)
      return value
    }
  }
  const answer = await post(app, { model: 'claude-sonnet-4-6', store: false, input: [{ type: 'item_reference', id: ids[0] }, { role: 'user', content: 'and?' }] })
  t.equal(answer.status, 200)
  t.ok(reads.length > 0, 'the store was read')
  t.ok(Math.max(...reads) < 4096, `no read returned the whole stored response (largest ${Math.max(...reads)} characters)`)
})

test('the total size of what references resolve to is bounded by the body limit', async (t) => {
  const { stub, app } = await setup(t, { BODY_LIMIT: 1024 * 1024 })
  const first = await storeTexts(t, app, ['a'.repeat(300 * 1024), 'b'.repeat(300 * 1024), 'c'.repeat(300 * 1024)])
  const second = await storeTexts(t, app, ['d'.repeat(300 * 1024), 'e'.repeat(300 * 1024), 'f'.repeat(300 * 1024)])
  const before = stub.requests.length
  const input = [...first, ...second].map((id) => ({ type: 'item_reference', id }))
  const answer = await post(app, { model: 'claude-sonnet-4-6', input: [...input, { role: 'user', content: 'and?' }] })
  t.equal(answer.status, 400)
  t.match(answer.body, { error: { param: 'input', code: 'item_references_too_large' } })
  t.equal(stub.requests.length, before, 'nothing more went upstream')
  const some = await post(app, { model: 'claude-sonnet-4-6', input: [...input.slice(0, 2), { role: 'user', content: 'and?' }] })
  t.equal(some.status, 200, 'references within the limit are served')
})

test('a deleted response\'s items can no longer be referenced', async (t) => {
  const { app } = await setup(t)
  const stored = await post(app, { model: 'claude-sonnet-4-6', input: [{ role: 'user', content: 'forget me' }] })
  const items = await app.inject({ method: 'GET', url: `/v1/responses/${String(stored.body.id)}/input_items`, headers: authHeaders })
  const [item] = (items.json() as { data: Array<{ id: string }> }).data
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/responses/${String(stored.body.id)}`, headers: { authorization: authHeaders.authorization } })
  t.equal(deleted.statusCode, 200)
  const answer = await post(app, { model: 'claude-sonnet-4-6', input: [{ type: 'item_reference', id: item.id }, { role: 'user', content: 'and?' }] })
  t.equal(answer.status, 400)
  t.match(answer.body, { error: { code: 'item_not_found' } })
})
