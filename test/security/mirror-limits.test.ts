import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, authHeaders, startGateway, type RunningGateway } from '../helpers/gateway.js'

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
  while (stub.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
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
