import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'

test('/health answers 200 without a key and reports the key pool', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  const anonymous = await app.inject({ method: 'GET', url: '/health' })
  t.equal(anonymous.statusCode, 200)
  t.match(anonymous.headers['content-type'], /^application\/json/)
  t.same(anonymous.json(), { status: 'ok', keys: { total: UPSTREAM_KEYS.length, healthy: UPSTREAM_KEYS.length, cooling: 0, disabled: 0 } })

  const withWrongKey = await app.inject({ method: 'GET', url: '/health', headers: { authorization: 'Bearer wrong' } })
  t.equal(withWrongKey.statusCode, 200, 'a wrong key does not matter on /health')
  const head = await app.inject({ method: 'HEAD', url: '/health' })
  t.equal(head.statusCode, 200, 'HEAD works for load balancers that probe with it')
})

test('/health follows the pool as keys are rate limited or rejected upstream', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  stub.keyBehaviour.set(UPSTREAM_KEYS[0], { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  stub.keyBehaviour.set(UPSTREAM_KEYS[1], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '60' } })
  const chat = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    payload: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] }
  })
  t.equal(chat.statusCode, 429, 'with one key rejected and the other rate limited, the client is told to retry later')

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, '/health itself stays up')
  t.same(health.json(), { status: 'ok', keys: { total: 2, healthy: 0, cooling: 1, disabled: 1 } })
})

test('/health in mirror mode without pool keys', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { ANTHROPIC_API_KEYS: '', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' } })
  t.teardown(async () => { await app.close(); await stub.close() })
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok', keys: { total: 0, healthy: 0, cooling: 0, disabled: 0 } })
})
