import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, buildGateway } from '../helpers/gateway.js'

test('every answer, success or error, carries the x-request-id the gateway logs', async (t) => {
  const stub = await startAnthropicStub()
  const logLines: string[] = []
  const app = await buildGateway(stub.url, { logLines, config: { LOG_LEVEL: 'debug' } })
  t.teardown(async () => {
    await app.close()
    await stub.close()
  })
  const ok = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'hi' }] } })
  const refused = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })
  t.equal(ok.statusCode, 200)
  t.equal(refused.statusCode, 401)
  const ids = [ok.headers['x-request-id'], refused.headers['x-request-id']]
  t.ok(ids.every((id) => typeof id === 'string' && id.length > 0), 'both answers have an id')
  t.not(ids[0], ids[1], 'ids differ between requests')
  for (const id of ids) t.ok(logLines.some((line) => (JSON.parse(line) as { reqId?: string }).reqId === id), `the log has lines for ${String(id)}`)
})

test('generated ids are 96 random bits in hex, never a per-process counter', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const ids = new Set<string>()
  for (let index = 0; index < 20; index++) {
    const answer = await app.inject({ method: 'GET', url: '/health' })
    const id = String(answer.headers['x-request-id'])
    t.match(id, /^[0-9a-f]{24}$/)
    ids.add(id)
  }
  t.equal(ids.size, 20, 'no id repeats')
})

test('a well-formed incoming x-request-id is kept; a malformed one is replaced', async (t) => {
  const stub = await startAnthropicStub()
  const logLines: string[] = []
  const app = await buildGateway(stub.url, { logLines })
  t.teardown(async () => { await app.close(); await stub.close() })

  const kept = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong', 'x-request-id': 'lb-trace.0042:abcDEF_-' } })
  t.equal(kept.headers['x-request-id'], 'lb-trace.0042:abcDEF_-')
  t.equal(kept.json().error.request_id, 'lb-trace.0042:abcDEF_-', 'the error body names the same id')
  t.ok(logLines.some((line) => (JSON.parse(line) as { reqId?: string }).reqId === 'lb-trace.0042:abcDEF_-'), 'the log line carries it')

  for (const bad of ['short', 'x'.repeat(65), 'has space in it', 'semi;colon;id', 'ünïcode-id-value']) {
    const answer = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } })
    t.match(String(answer.headers['x-request-id']), /^[0-9a-f]{24}$/, `${JSON.stringify(bad)} is replaced by a fresh id`)
  }
})

test('error bodies carry the request id: validation, auth, unknown route', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const answers = [
    await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: { model: 'claude-sonnet-4-6' } }),
    await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } }),
    await app.inject({ method: 'GET', url: '/no/such/route' })
  ]
  t.same(answers.map((answer) => answer.statusCode), [400, 401, 404])
  for (const answer of answers) {
    const body = answer.json()
    t.equal(body.error.request_id, answer.headers['x-request-id'])
    t.type(body.error.message, 'string')
  }
})
