// The Messages pass-through spoken with raw fetch, as Claude Code speaks it: x-api-key and
// anthropic-version 2023-06-01. Bodies must reach the upstream byte for byte.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, CLIENT_KEY, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const HEADERS = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
const CALLER_KEY = anthropicApiKey('caller-own-key')

// Odd spacing, key order, escapes and a metadata.user_id that is itself JSON, as Claude Code sends it.
const BODY = '{ "max_tokens":64,\n "model" : "claude-sonnet-4-6", "messages":[{"role":"user","content":"Caf\\u00e9 \\"quoted\\" \\ud83c\\udf26 <tag>"}],' +
  '"metadata":{"user_id":"{\\"device_id\\":\\"abc\\",\\"session_id\\":\\"s-1\\"}"},"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}]}'

async function setup (t: Tap, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  // A fixed day for the stub, so the models it lists do not change as models retire.
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  const gateway = await startGateway(stub.url, { config })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

async function post (gateway: RunningGateway, path: string, body: string, headers: Record<string, string> = HEADERS): Promise<Response> {
  return await fetch(gateway.url + path, { method: 'POST', headers, body })
}

/** Ids differ per answer; everything else must be the same bytes. */
function withoutIds (text: string): string {
  return text.replace(/"msg_[A-Za-z0-9]+"/g, '"msg_X"')
}

test('non-streamed: the body reaches the upstream byte for byte, with a pool key and the client\'s version and betas', async (t) => {
  const { stub, gateway } = await setup(t)
  const response = await post(gateway, '/v1/messages?beta=true', BODY, { ...HEADERS, 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.match(response.headers.get('request-id'), /^req_/, 'the upstream request-id is kept')
  const answer = await response.json() as { type: string; model: string; content: Array<{ text: string }> }
  t.same([answer.type, answer.model, answer.content[0].text], ['message', 'claude-sonnet-4-6', 'Hello from the stub.'])

  const upstream = stub.requests[0]
  t.equal(upstream.rawBody?.toString('utf8'), BODY, 'the very bytes the client sent')
  t.equal(upstream.path, '/v1/messages')
  t.equal(upstream.headers['anthropic-version'], '2023-06-01')
  t.equal(upstream.headers['anthropic-beta'], 'claude-code-20250219,interleaved-thinking-2025-05-14')
  t.ok(UPSTREAM_KEYS.includes(upstream.key ?? ''), 'a pool key went upstream')
  t.notOk(JSON.stringify(upstream.headers).includes(CLIENT_KEY), 'the client key did not')
})

test('streamed: the events come back as the upstream sent them', async (t) => {
  const { stub, gateway } = await setup(t)
  const body = BODY.replace('"max_tokens":64,', '"max_tokens":64,"stream":true,')
  const response = await post(gateway, '/v1/messages?beta=true', body)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  const viaGateway = await response.text()
  const direct = await fetch(`${stub.url}/v1/messages`, { method: 'POST', headers: { ...HEADERS, 'x-api-key': UPSTREAM_KEYS[0] }, body })
  t.equal(withoutIds(viaGateway), withoutIds(await direct.text()), 'the same bytes as the upstream answered directly')
  t.ok(viaGateway.trimEnd().endsWith('data: {"type":"message_stop"}'))
  t.equal(stub.requests[0].rawBody?.toString('utf8'), body)
})

test('count_tokens, /hf/v1 and Bearer credentials', async (t) => {
  const { stub, gateway } = await setup(t)
  const body = '{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"count me"}]}'
  const counted = await post(gateway, '/hf/v1/messages/count_tokens', body, { authorization: `Bearer ${CLIENT_KEY}`, 'anthropic-version': '2026-10-21', 'content-type': 'application/json' })
  t.equal(counted.status, 200)
  t.match(await counted.json(), { input_tokens: Number })
  t.equal(stub.requests[0].path, '/v1/messages/count_tokens')
  t.equal(stub.requests[0].rawBody?.toString('utf8'), body)
  t.equal(stub.requests[0].headers['anthropic-version'], '2026-10-21')
  t.equal(stub.requests[0].headers.authorization, undefined, 'the client\'s bearer token does not go upstream')
})

test('gateway errors are Anthropic-shaped with a request-id header', async (t) => {
  const { gateway } = await setup(t, { BODY_LIMIT: 2048 })
  const cases: Array<{ what: string; path?: string; body?: string; headers?: Record<string, string>; status: number; type: string; message: RegExp }> = [
    { what: 'no key', headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, status: 401, type: 'authentication_error', message: /Missing API key/ },
    { what: 'wrong key', headers: { ...HEADERS, 'x-api-key': 'wrong' }, status: 401, type: 'authentication_error', message: /Invalid API key/ },
    { what: 'not JSON', body: '{"model": nope}', status: 400, type: 'invalid_request_error', message: /must be a JSON object/ },
    { what: 'an array', body: '[{"model":"x"}]', status: 400, type: 'invalid_request_error', message: /must be a JSON object/ },
    { what: 'empty', body: '', status: 400, type: 'invalid_request_error', message: /empty/ },
    { what: 'too large', body: `{"model":"${'x'.repeat(4096)}"}`, status: 413, type: 'request_too_large', message: /too large/ },
    { what: 'text/plain', headers: { ...HEADERS, 'content-type': 'text/plain' }, status: 415, type: 'invalid_request_error', message: /Content-Type/ },
    { what: 'unknown route', path: '/v1/messages/batches/x', status: 404, type: 'not_found_error', message: /Unknown route/ }
  ]
  for (const item of cases) {
    const response = await post(gateway, item.path ?? '/v1/messages', item.body ?? BODY, item.headers ?? HEADERS)
    t.equal(response.status, item.status, item.what)
    const requestId = response.headers.get('request-id')
    t.ok(requestId, `${item.what}: request-id header`)
    t.match(await response.json(), { type: 'error', error: { type: item.type, message: item.message }, request_id: requestId }, item.what)
  }
})

test('upstream errors come back with their status and Anthropic\'s own body', async (t) => {
  const { stub, gateway } = await setup(t)
  const invalid = await post(gateway, '/v1/messages', '{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"x"}]}')
  t.equal(invalid.status, 400)
  t.match(await invalid.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: /^req_/ })
  t.equal(stub.requests.length, 1, 'a 400 is not retried')

  stub.reset()
  stub.enqueue(
    { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
    { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }
  )
  const overloaded = await post(gateway, '/v1/messages', BODY)
  t.equal(overloaded.status, 529, '529 stays 529 on this route')
  t.match(await overloaded.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
  t.equal(stub.requests.length, 2, 'retried once on the other key before giving up')
})

test('pool semantics: a 429 moves to the next key before the first byte; all cooling is a 429, all rejected a 503', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.keyBehaviour.set(UPSTREAM_KEYS[0], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '30', 'anthropic-ratelimit-requests-remaining': '0' } })
  const first = await post(gateway, '/v1/messages', BODY)
  t.equal(first.status, 200, 'answered by the second key')
  t.same(stub.requests.map((request) => request.key).sort(), [...UPSTREAM_KEYS].sort())

  stub.keyBehaviour.set(UPSTREAM_KEYS[1], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '20' } })
  const cooling = await post(gateway, '/v1/messages', BODY)
  t.equal(cooling.status, 429)
  t.ok(Number(cooling.headers.get('retry-after')) > 0, 'with retry-after')
  t.match(await cooling.json(), { type: 'error', error: { type: 'rate_limit_error' } })

  const rejecting = await setup(t)
  for (const key of UPSTREAM_KEYS) rejecting.stub.keyBehaviour.set(key, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  const rejected = await post(rejecting.gateway, '/v1/messages', BODY)
  t.equal(rejected.status, 503)
  t.match(await rejected.json(), { type: 'error', error: { type: 'api_error', message: /No usable upstream API key/ } })
})

test('a stream that fails after it began ends with an error event; nothing is retried', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream', afterEvents: 3 })
  const response = await post(gateway, '/v1/messages', BODY.replace('"max_tokens":64,', '"max_tokens":64,"stream":true,'))
  t.equal(response.status, 200)
  const text = await response.text()
  t.match(text, /^event: message_start/)
  t.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Upstream/)
  t.equal(stub.requests.length, 1)
})

test('mirror: the caller\'s own Anthropic key goes upstream, and its errors come back as they are', async (t) => {
  const { stub, gateway } = await setup(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' })
  const ok = await post(gateway, '/mirror/v1/messages', BODY, { ...HEADERS, 'x-api-key': CALLER_KEY })
  t.equal(ok.status, 200)
  // Besides its one key check (a GET of the model list), the request went upstream with the caller's key.
  t.same(stub.requests.filter((request) => request.method === 'POST').map((request) => request.key), [CALLER_KEY])
  stub.keyBehaviour.set(CALLER_KEY, { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Rate limited', headers: { 'retry-after': '9', 'anthropic-ratelimit-tokens-remaining': '0' } })
  const limited = await post(gateway, '/mirror/v1/messages', BODY, { ...HEADERS, 'x-api-key': CALLER_KEY })
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '9')
  t.equal(limited.headers.get('anthropic-ratelimit-tokens-remaining'), '0')
  t.match(await limited.json(), { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } })
  const wrong = await post(gateway, '/mirror/v1/messages', BODY, HEADERS)
  t.equal(wrong.status, 401, 'a client key is no Anthropic key')
  t.match(await wrong.json(), { type: 'error', error: { type: 'authentication_error' } })
})

test('HEAD / and GET / answer 200 without a key', async (t) => {
  const { gateway } = await setup(t)
  t.equal((await fetch(gateway.url + '/', { method: 'HEAD' })).status, 200)
  const root = await fetch(gateway.url + '/')
  t.equal(root.status, 200)
  await root.arrayBuffer()
})

test('models: one shape for both SDKs; Anthropic clients get no -thinking variants', async (t) => {
  const { gateway } = await setup(t)
  const anthropic = await fetch(gateway.url + '/v1/models', { headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' } })
  t.equal(anthropic.status, 200)
  const page = await anthropic.json() as { data: Array<Record<string, unknown>>; has_more: boolean; first_id: string; last_id: string; object: string }
  t.equal(page.object, 'list')
  t.equal(page.has_more, false)
  t.equal(page.first_id, 'claude-opus-4-7')
  t.equal(page.last_id, 'claude-opus-4-1-20250805', 'the last model the stub lists on its day (Sonnet 4 and 4.5 are retired by then)')
  t.same(page.data[0], { id: 'claude-opus-4-7', object: 'model', created: 1776297600, owned_by: 'anthropic', type: 'model', display_name: 'Claude Opus 4.7', created_at: '2026-04-16T00:00:00Z' })
  t.notOk(page.data.some((model) => String(model.id).endsWith('-thinking')))
  const openai = await fetch(gateway.url + '/v1/models', { headers: { authorization: `Bearer ${CLIENT_KEY}` } })
  const ids = ((await openai.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id)
  t.same(ids.slice(0, 2), ['claude-opus-4-7', 'claude-opus-4-7-thinking'])
  const missing = await fetch(gateway.url + '/v1/models/claude-nope', { headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' } })
  t.equal(missing.status, 404)
  t.match(await missing.json(), { type: 'error', error: { type: 'not_found_error', message: "The model 'claude-nope' does not exist" } })
})

test('MODEL_ALIASES: only the model string changes upstream; the client sees the id it asked for, on every route', async (t) => {
  const { stub, gateway } = await setup(t, { MODEL_ALIASES: 'claude-opus-5-5=claude-opus-4-7, claude-3-5-sonnet-latest=claude-sonnet-4-6' })
  const body = BODY.replace('"claude-sonnet-4-6"', '"claude-opus-5-5"')
  const plain = await post(gateway, '/v1/messages', body)
  t.equal(plain.status, 200)
  t.equal((await plain.json() as { model: string }).model, 'claude-opus-5-5', 'the requested id is echoed')
  t.equal(stub.requests[0].rawBody?.toString('utf8'), BODY.replace('"claude-sonnet-4-6"', '"claude-opus-4-7"'), 'every other byte is as sent')

  const streamed = await post(gateway, '/v1/messages', body.replace('"max_tokens":64,', '"max_tokens":64,"stream":true,'))
  const text = await streamed.text()
  t.match(text, /"model":"claude-opus-5-5"/)
  t.notMatch(text, /claude-opus-4-7/)

  const chat = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-3-5-sonnet-latest', messages: [{ role: 'user', content: 'Hi' }] }) })
  t.equal(chat.status, 200)
  t.equal((await chat.json() as { model: string }).model, 'claude-3-5-sonnet-latest')
  t.equal(stub.requests.at(-1)?.body.model, 'claude-sonnet-4-6', 'chat completions resolve the alias too')

  const models = await fetch(gateway.url + '/v1/models', { headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' } })
  const listed = (await models.json() as { data: Array<{ id: string; display_name: string; created_at: string }> }).data
  t.match(listed.find((model) => model.id === 'claude-opus-5-5'), { display_name: 'claude-opus-5-5 (alias of claude-opus-4-7)', created_at: '2026-04-16T00:00:00Z' })
  t.ok(listed.some((model) => model.id === 'claude-3-5-sonnet-latest'))
  const one = await fetch(gateway.url + '/v1/models/claude-opus-5-5', { headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' } })
  t.equal(one.status, 200)
})

test('MODEL_ALIASES that are not alias=target pairs stop start-up naming the entry', async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  await t.rejects(startGateway(stub.url, { config: { MODEL_ALIASES: 'claude-a=claude-b,broken' } }), /MODEL_ALIASES: 'broken' is not of the form alias=target/)
  await t.rejects(startGateway(stub.url, { config: { MODEL_ALIASES: 'claude-a=claude-a' } }), /maps a model onto itself/)
})
