import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'

const AUTH = { authorization: `Bearer ${CLIENT_KEY}` }
const CHAT = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] }

test('/health answers ok without a key and shows nothing of the pool', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  const anonymous = await app.inject({ method: 'GET', url: '/health' })
  t.equal(anonymous.statusCode, 200)
  t.match(anonymous.headers['content-type'], /^application\/json/)
  t.same(anonymous.json(), { status: 'ok' })

  const withWrongKey = await app.inject({ method: 'GET', url: '/health', headers: { authorization: 'Bearer wrong' } })
  t.equal(withWrongKey.statusCode, 200, 'a wrong key does not matter on /health')
  const head = await app.inject({ method: 'HEAD', url: '/health' })
  t.equal(head.statusCode, 200, 'HEAD works for load balancers that probe with it')
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { ready: true, status: 'ok' })
})

test('/health/details needs a client key and has the counts, state store and version', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  const anonymous = await app.inject({ method: 'GET', url: '/health/details' })
  t.equal(anonymous.statusCode, 401)
  const details = await app.inject({ method: 'GET', url: '/health/details', headers: AUTH })
  t.equal(details.statusCode, 200)
  const body = details.json()
  t.equal(body.status, 'ok')
  t.same(body.keys, { total: UPSTREAM_KEYS.length, healthy: UPSTREAM_KEYS.length, cooling: 0, disabled: 0 })
  t.same(body.state, { kind: 'memory', connected: true })
  t.equal(body.version, '0.1.0', 'the version of package.json')
  t.equal(body.mirror, false)
  t.ok(Number.isInteger(body.uptime_seconds) && body.uptime_seconds >= 0)
  for (const secret of UPSTREAM_KEYS) t.notOk(details.body.includes(secret.slice(10)), 'no upstream key appears')
})

test('every key cooling or disabled: degraded but alive; every key rejected: unavailable (503)', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  stub.keyBehaviour.set(UPSTREAM_KEYS[0], { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  stub.keyBehaviour.set(UPSTREAM_KEYS[1], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '60' } })
  const chat = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...AUTH, 'content-type': 'application/json' }, payload: CHAT })
  t.equal(chat.statusCode, 429, 'with one key rejected and the other rate limited, the client is told to retry later')

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, '/health itself stays up')
  t.same(health.json(), { status: 'degraded', reason: 'every upstream key is cooling down or disabled' })
  const details = await app.inject({ method: 'GET', url: '/health/details', headers: AUTH })
  t.same(details.json().keys, { total: 2, healthy: 0, cooling: 1, disabled: 1 })

})

test('/health is unavailable once every pool key is rejected', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  for (const key of UPSTREAM_KEYS) stub.keyBehaviour.set(key, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  const chat = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...AUTH, 'content-type': 'application/json' }, payload: CHAT })
  t.equal(chat.statusCode, 503)

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.same(health.json(), { status: 'unavailable', reason: 'no usable upstream key' })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { ready: false, status: 'unavailable', reason: 'no usable upstream key' })
})

test('readiness fails while draining; liveness says why', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  t.equal(app.draining, false)
  app.startDraining()
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { ready: false, status: 'draining', reason: 'shutting down' })
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 503)
  t.same(health.json(), { status: 'draining', reason: 'shutting down' })
})

test('closing the app marks it draining', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await stub.close() })
  await app.close()
  t.equal(app.draining, true)
})

test('/health in mirror mode without pool keys', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { ANTHROPIC_API_KEYS: '', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' } })
  t.teardown(async () => { await app.close(); await stub.close() })
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const details = await app.inject({ method: 'GET', url: '/health/details', headers: AUTH })
  t.same(details.json().keys, { total: 0, healthy: 0, cooling: 0, disabled: 0 })
  t.equal(details.json().mirror, true)
})

test('while load is shed, the health routes answer in their own schema: liveness 200, readiness 503 with retry-after', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { MAX_EVENT_LOOP_DELAY_MS: 1 } })
  // The loop is kept blocked 50 ms at a time, so the measured delay stays far above the 1 ms limit.
  const blocker = setInterval(() => { const until = Date.now() + 50; while (Date.now() < until) { /* hold the loop */ } }, 1)
  t.teardown(async () => { clearInterval(blocker); await app.close(); await stub.close() })
  const lagging = (): boolean => { const delay = app.memoryUsage().eventLoopDelay; return delay > 1 && Number.isFinite(delay) }
  while (!lagging()) await new Promise((resolve) => setTimeout(resolve, 20))

  const chat = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...AUTH, 'content-type': 'application/json' }, payload: CHAT })
  const health = await app.inject({ method: 'GET', url: '/health' })
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  const details = await app.inject({ method: 'GET', url: '/health/details', headers: AUTH })
  clearInterval(blocker)
  t.equal(chat.statusCode, 503, 'the API itself is shed')
  t.equal(health.statusCode, 200, 'liveness is not shed: a busy instance is alive')
  t.match(health.json(), { status: 'degraded', reason: /overloaded/ })
  t.equal(ready.statusCode, 503, 'readiness says: send traffic elsewhere')
  t.equal(ready.headers['retry-after'], '5')
  t.match(ready.json(), { ready: false, status: 'degraded', reason: /overloaded/ })
  t.equal(details.statusCode, 200)
  t.match(details.json(), { status: 'degraded', reason: /overloaded/, keys: { total: UPSTREAM_KEYS.length } })
})
