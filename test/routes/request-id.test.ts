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
  const ok = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: { model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'hi' }] } })
  const refused = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })
  t.equal(ok.statusCode, 200)
  t.equal(refused.statusCode, 401)
  const ids = [ok.headers['x-request-id'], refused.headers['x-request-id']]
  t.ok(ids.every((id) => typeof id === 'string' && id.length > 0), 'both answers have an id')
  t.not(ids[0], ids[1], 'ids differ between requests')
  for (const id of ids) t.ok(logLines.some((line) => (JSON.parse(line) as { reqId?: string }).reqId === id), `the log has lines for ${String(id)}`)
})
