// Client-chosen text that ends up in headers, error bodies and log lines is bounded and encoded:
// a huge or odd field name costs a few hundred bytes, never a megabyte or a 500.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, authHeaders, buildGateway } from '../helpers/gateway.js'
import type { FastifyInstance } from 'fastify'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const CHAT = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] }
const RESPONSES = { model: 'claude-sonnet-4-6', input: 'Hi' }

async function setup (t: Tap, config: Record<string, unknown> = {}, logLines?: string[]): Promise<{ stub: AnthropicStub; app: FastifyInstance }> {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config, logLines })
  t.teardown(async () => { await app.close(); await stub.close() })
  return { stub, app }
}

test('a 1 MB field name gives a short error body and short log lines', async (t) => {
  const logLines: string[] = []
  const { app } = await setup(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror', MIRROR_BODY_LIMIT: 4 * 1024 * 1024 }, logLines)
  const field = 'f'.repeat(1024 * 1024)
  const cases: Array<[string, Record<string, string>]> = [
    ['/v1/chat/completions', authHeaders],
    ['/v1/responses', authHeaders],
    ['/mirror/v1/chat/completions', { authorization: `Bearer ${anthropicApiKey('client-text-caller')}`, 'content-type': 'application/json' }]
  ]
  for (const [url, headers] of cases) {
    const base = url.endsWith('responses') ? RESPONSES : CHAT
    const answer = await app.inject({ method: 'POST', url, headers, payload: JSON.stringify({ ...base, [field]: 1 }) })
    t.ok(answer.statusCode === 400 || answer.statusCode === 401, `${url}: refused (${answer.statusCode})`)
    t.ok(answer.body.length < 4096, `${url}: the error body is short (${answer.body.length} bytes)`)
  }
  const longest = Math.max(...logLines.map((line) => line.length))
  t.ok(longest < 8192, `no log line is long (longest ${longest} characters)`)
})

test('UNSUPPORTED_FIELDS=drop: odd or countless dropped names give a bounded, valid header, never a 500', async (t) => {
  const { app } = await setup(t, { UNSUPPORTED_FIELDS: 'drop' })
  const odd = { ...CHAT, 'bad\r\nx-injected: yes': 1, 'ünïcødé-名前': 2 }
  for (const [url, body] of [['/v1/chat/completions', odd], ['/v1/responses', { ...RESPONSES, 'bad\r\nx-injected: yes': 1, 'ünïcødé-名前': 2 }]] as const) {
    const answer = await app.inject({ method: 'POST', url, headers: authHeaders, payload: JSON.stringify(body) })
    t.equal(answer.statusCode, 200, `${url}: served`)
    const header = String(answer.headers['x-claude2api-dropped-fields'])
    t.notOk(/[\r\n]/.test(header), 'no CR or LF in the header')
    t.ok(/^[\x20-\x7e]*$/.test(header), 'the header is printable ASCII')
    t.equal(answer.headers['x-injected'], undefined, 'no header was injected')
    t.ok(header.includes(encodeURIComponent('ünïcødé-名前')), 'the non-Latin-1 name is percent-encoded')
  }
  const many: Record<string, unknown> = { ...CHAT }
  for (let index = 0; index < 3000; index++) many[`unknown_field_${index}`] = index
  const answer = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: JSON.stringify(many) })
  t.equal(answer.statusCode, 200)
  const header = String(answer.headers['x-claude2api-dropped-fields'])
  t.ok(header.length < 2048, `the header is bounded (${header.length} characters)`)
  t.match(header, /^unknown_field_0,unknown_field_1,.*,\.\.\.\+\d+ more$/, 'it lists the first names, then how many more')
})

test('an x-request-id that looks like a key is not echoed: a fresh id is made', async (t) => {
  const { app } = await setup(t)
  for (const incoming of ['sk-ant-api03-abcdefghij', 'sk-proj-abcdefghijklmnop', 'test-client-key-0123456789']) {
    const answer = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': incoming } })
    t.match(String(answer.headers['x-request-id']), /^[0-9a-f]{24}$/, `${incoming.slice(0, 8)}…: replaced`)
  }
  const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-1234.abcd' } })
  t.equal(kept.headers['x-request-id'], 'trace-1234.abcd', 'an ordinary id is kept')
})

test('the status page forbids framing and foreign scripts', async (t) => {
  const { app } = await setup(t)
  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200)
  t.equal(page.headers['x-frame-options'], 'DENY')
  const policy = String(page.headers['content-security-policy'])
  t.match(policy, /default-src 'none'/)
  t.match(policy, /frame-ancestors 'none'/)
})

test('client-chosen item ids are bounded in length and characters', async (t) => {
  const { stub, app } = await setup(t)
  const bad = ['x'.repeat(300), 'id with spaces', 'id\u0000nul', '../../etc']
  for (const id of bad) {
    const input = [{ type: 'message', id, role: 'user', content: 'Hi' }]
    const answer = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: { ...RESPONSES, input } })
    t.equal(answer.statusCode, 400, `${JSON.stringify(id.slice(0, 12))}: refused`)
    t.match(answer.json(), { error: { type: 'invalid_request_error', param: 'input[0].id' } })
  }
  const reference = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: { ...RESPONSES, input: [{ type: 'item_reference', id: 'y'.repeat(5000) }] } })
  t.equal(reference.statusCode, 400, 'an item_reference with a huge id is refused')
  t.ok(reference.body.length < 4096)
  t.equal(stub.requests.length, 0, 'nothing went upstream')
  const good = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: { ...RESPONSES, input: [{ type: 'message', id: 'msg_abc-123', role: 'user', content: 'Hi' }] } })
  t.equal(good.statusCode, 200, 'an ordinary id is fine')
})
