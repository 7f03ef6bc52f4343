import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, authHeaders, parseChunks, readSse, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const CALLER_KEY = anthropicApiKey('caller-own-key')
const OTHER_CALLER_KEY = anthropicApiKey('another-caller')
const MIRROR_CONFIG = { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' }

async function setup (t: Tap, logLines?: string[]): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: MIRROR_CONFIG, logLines })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

/** What went upstream besides the key check mirror mode makes once per caller key (a GET of the model list). */
function posted (stub: AnthropicStub): Array<string | undefined> {
  return stub.requests.filter((request) => request.method === 'POST').map((request) => request.key)
}

async function chat (gateway: RunningGateway, path: string, key: string, stream: boolean): Promise<Response> {
  return await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }], stream })
  })
}

for (const stream of [false, true]) {
  test(`mirror (${stream ? 'stream' : 'non-stream'}): the caller's own key goes upstream, the pool is not used`, async (t) => {
    const logLines: string[] = []
    const { stub, gateway } = await setup(t, logLines)
    const response = await chat(gateway, '/mirror/v1/chat/completions', CALLER_KEY, stream)
    t.equal(response.status, 200)
    const content = stream
      ? parseChunks(await readSse(response)).map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('')
      : ((await response.json()) as any).choices[0].message.content
    t.equal(content, 'Hello from the stub.')
    t.same(posted(stub), [CALLER_KEY], 'the upstream saw the caller key, once')
    t.notOk(logLines.some((line) => line.includes(CALLER_KEY.slice(12))), 'the caller key is not logged')
  })
}

test('mirror: a caller key the upstream rejects gives the caller 401 and leaves the pool alone', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.keyBehaviour.set(CALLER_KEY, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  const response = await chat(gateway, '/mirror/v1/chat/completions', CALLER_KEY, false)
  t.equal(response.status, 401)
  // Anthropic refuses a dead key on every endpoint, so the key check before the body already says so.
  t.match(await response.json(), { error: { type: 'authentication_error', message: /does not accept the API key/ } })
  t.ok(stub.requests.every((request) => request.key === CALLER_KEY), 'no pool key was tried instead')
  t.same(posted(stub), [], 'the message was never sent: the key check refused it first')
  t.match(gateway.app.keyPool.status(), { total: UPSTREAM_KEYS.length, healthy: UPSTREAM_KEYS.length, disabled: 0 })
})

test('mirror: a rate-limited caller key gives the caller 429 with retry-after; the pool does not cool', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.keyBehaviour.set(CALLER_KEY, { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '9' } })
  const response = await chat(gateway, '/mirror/v1/chat/completions', CALLER_KEY, true)
  t.equal(response.status, 429)
  t.equal(response.headers.get('retry-after'), '9')
  t.same(posted(stub), [CALLER_KEY], 'only the caller key, no pool key instead')
  t.match(gateway.app.keyPool.status(), { healthy: UPSTREAM_KEYS.length, cooling: 0 })

  // A second request with the same key before its retry-after: answered by the gateway itself.
  stub.keyBehaviour.delete(CALLER_KEY)
  const again = await chat(gateway, '/mirror/v1/chat/completions', CALLER_KEY, false)
  t.equal(again.status, 429, 'still rate limited')
  const wait = Number(again.headers.get('retry-after'))
  t.ok(wait >= 1 && wait <= 9, `retry-after ${wait}: what is left of the 9 s`)
  t.same(posted(stub), [CALLER_KEY], 'not sent upstream again before its retry-after')

  // Another caller's key is not held back by it.
  const other = await chat(gateway, '/mirror/v1/chat/completions', OTHER_CALLER_KEY, false)
  t.equal(other.status, 200)
})

test('mirror: the model list is fetched with the caller key', async (t) => {
  const { stub, gateway } = await setup(t)
  const response = await fetch(`${gateway.url}/mirror/v1/models`, { headers: { authorization: `Bearer ${CALLER_KEY}` } })
  t.equal(response.status, 200)
  t.ok(stub.requests.length > 0 && stub.requests.every((request) => request.key === CALLER_KEY), 'only the caller key was used')
})

test('an Anthropic key presented at /v1 is refused with 401; the upstream is not asked', async (t) => {
  const { stub, gateway } = await setup(t)
  for (const stream of [false, true]) {
    const response = await chat(gateway, '/v1/chat/completions', CALLER_KEY, stream)
    t.equal(response.status, 401)
    t.match(await response.json(), { error: { type: 'authentication_error', code: 'invalid_api_key' } })
  }
  t.equal(stub.requests.length, 0)
})

test('the mirror refuses what is not an Anthropic API key, without asking the upstream', async (t) => {
  const { stub, gateway } = await setup(t)
  const clientKey = authHeaders.authorization.slice('Bearer '.length)
  for (const key of [clientKey, 'sk-ant-sid01-a-web-session-cookie']) {
    const response = await chat(gateway, '/mirror/v1/chat/completions', key, false)
    t.equal(response.status, 401, `refused: ${key.slice(0, 10)}…`)
  }
  t.equal(stub.requests.length, 0)
})

test('/v1 with the client key still uses the pool while the mirror is on', async (t) => {
  const { stub, gateway } = await setup(t)
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }] }) })
  t.equal(response.status, 200)
  t.ok(UPSTREAM_KEYS.includes(stub.requests[0]?.key ?? ''), 'a pool key was used')
})
