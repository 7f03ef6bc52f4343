import { connect, type Socket } from 'node:net'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, authHeaders, startGateway, type RunningGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const CALLER_KEY = anthropicApiKey('mirror-limits-caller')
const CHAT = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] }

async function setup (t: Tap, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror', ...config } })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  return { stub, gateway }
}

async function mirrorChat (gateway: RunningGateway, key: string, body: unknown = CHAT, signal?: AbortSignal): Promise<Response> {
  return await fetch(`${gateway.url}/mirror/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal
  })
}

test('the mirror takes only keys with the documented shape of an API key: no bare prefixes, no admin keys', async (t) => {
  const { stub, gateway } = await setup(t)
  const refused: Array<[string, RegExp]> = [
    ['sk-ant-', /shape/],
    ['sk-ant-api03-', /shape/],
    ['sk-ant-api03-REPLACE-ME-1', /shape/],
    [CALLER_KEY.slice(0, -2), /shape/],
    [`${CALLER_KEY.slice(0, 50)}!${CALLER_KEY.slice(51)}`, /shape/],
    [`sk-ant-admin01-${'a'.repeat(93)}AA`, /Admin API key/],
    ['sk-ant-sid01-a-web-session-cookie', /web session/]
  ]
  for (const [key, reason] of refused) {
    const response = await mirrorChat(gateway, key)
    t.equal(response.status, 401, `refused: ${key.slice(0, 16)}…`)
    const body = await response.json() as any
    t.match(body, { error: { type: 'authentication_error', code: 'invalid_api_key', message: reason } })
  }
  t.equal(stub.requests.length, 0, 'the upstream was never asked')
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200, 'a well-formed key is served')
})

test('mirror routes have their own, smaller body limit (MIRROR_BODY_LIMIT)', async (t) => {
  const { stub, gateway } = await setup(t, { MIRROR_BODY_LIMIT: 4096 })
  const big = { ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(8000) }] }
  const mirror = await mirrorChat(gateway, CALLER_KEY, big)
  t.equal(mirror.status, 413)
  t.match(await mirror.json(), { error: { type: 'invalid_request_error', code: 'request_too_large' } })
  t.equal(stub.requests.filter((request) => request.method === 'POST').length, 0, 'only the key was checked; the body never went upstream')
  const pooled = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify(big) })
  t.equal(pooled.status, 200, 'the same body is fine on /v1 (BODY_LIMIT)')
})

test('mirror requests per client address are limited (MIRROR_RATE_LIMIT) with a 429 that says why', async (t) => {
  const { gateway } = await setup(t, { MIRROR_RATE_LIMIT: 2 })
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200)
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200)
  const limited = await mirrorChat(gateway, CALLER_KEY)
  t.equal(limited.status, 429)
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'retry-after is set')
  const body = await limited.json() as any
  t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'request_id', 'type'], 'the OpenAI error shape')
  t.match(body, { error: { type: 'rate_limit_error', code: 'mirror_rate_limited', message: /2 requests per minute per client address/ } })
  const pooled = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify(CHAT) })
  t.equal(pooled.status, 200, '/v1 is not limited by the mirror limit')
})

test('mirror requests in flight are capped (MIRROR_MAX_CONCURRENT); a slot is given back when a request ends', async (t) => {
  const { stub, gateway } = await setup(t, { MIRROR_MAX_CONCURRENT: 1 })
  const held = anthropicApiKey('held-open')
  stub.keyBehaviour.set(held, { kind: 'fault', fault: 'silence' })
  const abort = new AbortController()
  const first = mirrorChat(gateway, held, CHAT, abort.signal).catch(() => undefined)
  while (!stub.requests.some((request) => request.method === 'POST')) await new Promise((resolve) => setTimeout(resolve, 10))
  const second = await mirrorChat(gateway, CALLER_KEY)
  t.equal(second.status, 429)
  t.equal(second.headers.get('retry-after'), '1')
  t.match(await second.json(), { error: { type: 'rate_limit_error', code: 'mirror_busy', message: /1 requests at once/ } })
  abort.abort()
  await first
  let after: Response
  do after = await mirrorChat(gateway, CALLER_KEY)
  while (after.status === 429 && (await after.json() as any).error.code === 'mirror_busy')
  t.equal(after.status, 200, 'served again once the held request is gone')
})

/** Opens a mirror request whose body never finishes: the head and a few bytes of a 10,000-byte body. */
async function unfinishedMirrorRequest (t: Tap, gateway: RunningGateway, key: string): Promise<Socket> {
  const { port } = new URL(gateway.url)
  const socket = connect(Number(port), '127.0.0.1')
  socket.on('error', () => {})
  t.teardown(() => { socket.destroy() })
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(`POST /mirror/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"model":`)
  return socket
}

test('requests whose bodies never finish hold no mirror slot: a slot is taken once the body has arrived', async (t) => {
  const { stub, gateway } = await setup(t, { MIRROR_MAX_CONCURRENT: 2, MIRROR_RATE_LIMIT: 1000 })
  const stalled = await Promise.all([1, 2, 3, 4].map(async (index) => await unfinishedMirrorRequest(t, gateway, anthropicApiKey(`stalled-${index}`))))
  // Each stalled request has passed onRequest (key shape, rate limit) before this one is sent.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const served = await mirrorChat(gateway, CALLER_KEY)
  t.equal(served.status, 200, 'a caller whose body arrives is served')
  t.equal(stub.requests.filter((request) => request.method === 'POST').length, 1, 'one request went upstream (besides the key check)')
  for (const socket of stalled) socket.destroy()
})

test('a slot is given back after a client error (400) as after a success', async (t) => {
  const { gateway } = await setup(t, { MIRROR_MAX_CONCURRENT: 1, MIRROR_RATE_LIMIT: 1000 })
  for (let round = 0; round < 3; round++) {
    const invalid = await mirrorChat(gateway, CALLER_KEY, { model: 'claude-sonnet-4-6', messages: 'not a list' })
    t.equal(invalid.status, 400, `round ${round}: a client error`)
    await invalid.text()
  }
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200, 'the single slot is free')
})

test('one client address may hold at most MIRROR_MAX_CONCURRENT_PER_ADDRESS mirror requests at once', async (t) => {
  const { stub, gateway } = await setup(t, { MIRROR_MAX_CONCURRENT: 16, MIRROR_MAX_CONCURRENT_PER_ADDRESS: 1, MIRROR_RATE_LIMIT: 1000 })
  const held = anthropicApiKey('held-by-one-address')
  stub.keyBehaviour.set(held, { kind: 'fault', fault: 'silence' })
  const abort = new AbortController()
  const first = mirrorChat(gateway, held, CHAT, abort.signal).catch(() => undefined)
  while (!stub.requests.some((request) => request.method === 'POST')) await new Promise((resolve) => setTimeout(resolve, 10))
  const second = await mirrorChat(gateway, CALLER_KEY)
  t.equal(second.status, 429)
  t.equal(second.headers.get('retry-after'), '1')
  t.match(await second.json(), { error: { type: 'rate_limit_error', code: 'mirror_busy_address', message: /1 requests at once from one client address/ } })
  abort.abort()
  await first
})

test('with Redis unreachable the mirror rate limit does not fail open: a local counter takes over', async (t) => {
  const port = await freePort()
  const { gateway } = await setup(t, { MIRROR_RATE_LIMIT: 2, REDIS_URL: `redis://127.0.0.1:${port}` })
  t.equal(gateway.app.state.connected, false, 'Redis is down')
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200)
  t.equal((await mirrorChat(gateway, CALLER_KEY)).status, 200)
  const limited = await mirrorChat(gateway, CALLER_KEY)
  t.equal(limited.status, 429)
  t.match(await limited.json(), { error: { code: 'mirror_rate_limited' } })
})

test('TRUST_PROXY: behind a proxy each caller is keyed by the address it forwards; without it, by the socket, whatever the header says', async (t) => {
  const forwarded = async (gateway: RunningGateway, address: string): Promise<number> => {
    const response = await fetch(`${gateway.url}/mirror/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${CALLER_KEY}`, 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify(CHAT)
    })
    await response.text()
    return response.status
  }
  for (const trust of ['1', 'true', '127.0.0.1', 'loopback']) {
    const { gateway } = await setup(t, { MIRROR_RATE_LIMIT: 1, TRUST_PROXY: trust })
    t.equal(await forwarded(gateway, '203.0.113.1'), 200, `TRUST_PROXY=${trust}: first caller`)
    t.equal(await forwarded(gateway, '203.0.113.1'), 429, 'the same caller again is limited')
    t.equal(await forwarded(gateway, '203.0.113.2'), 200, 'another caller behind the same proxy has its own bucket')
  }
  const { gateway } = await setup(t, { MIRROR_RATE_LIMIT: 1 })
  t.equal(await forwarded(gateway, '203.0.113.1'), 200)
  t.equal(await forwarded(gateway, '203.0.113.2'), 429, 'without TRUST_PROXY a forged header changes nothing')
})

test('TRUST_PROXY that is not an address list stops start-up with a message naming it', async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  await t.rejects(startGateway(stub.url, { config: { TRUST_PROXY: '10.0.0.0/99' } }), /TRUST_PROXY/)
})
