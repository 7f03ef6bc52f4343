import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubModel } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, buildGateway, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'

/** The built-in list, written out: each model followed by its -thinking variant. */
const BUILT_IN_IDS = [
  'claude-opus-5', 'claude-opus-5-thinking',
  'claude-sonnet-5', 'claude-sonnet-5-thinking',
  'claude-fable-5', 'claude-fable-5-thinking',
  'claude-opus-4-8', 'claude-opus-4-8-thinking',
  'claude-opus-4-7', 'claude-opus-4-7-thinking',
  'claude-opus-4-6', 'claude-opus-4-6-thinking',
  'claude-sonnet-4-6', 'claude-sonnet-4-6-thinking',
  'claude-haiku-4-5-20251001', 'claude-haiku-4-5-20251001-thinking'
]

const AUTH = { authorization: `Bearer ${CLIENT_KEY}` }
const STUB_MODELS: StubModel[] = [
  { id: 'claude-test-large-9', display_name: 'Claude Test Large 9', created_at: '2026-03-01T00:00:00Z' },
  { id: 'claude-test-small-2-20260115', display_name: 'Claude Test Small 2', created_at: '2026-01-15T12:00:00Z' },
  { id: 'claude-nameless' }
]

interface ModelJson { id: string; object: string; created: number; owned_by: string; type: string; display_name: string; created_at: string }

/** The list page around the models, in OpenAI's and Anthropic's fields at once. */
function page (data: ModelJson[]): Record<string, unknown> {
  return { object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
}

/** What the gateway must list for the stub's models: each one followed by its `-thinking` variant. */
function expectedModels (models: StubModel[]): ModelJson[] {
  return models.flatMap((model) => {
    const createdAt = model.created_at ?? '2025-01-01T00:00:00Z' // the stub's date for undated models
    const created = Math.floor(Date.parse(createdAt) / 1000)
    const name = model.display_name ?? model.id // the stub names nameless models by their id
    const common = { object: 'model', created, owned_by: 'anthropic', type: 'model', created_at: createdAt }
    return [
      { id: model.id, ...common, display_name: name },
      { id: `${model.id}-thinking`, ...common, display_name: `${name} (thinking)` }
    ]
  })
}

const modelListCalls = (stub: AnthropicStub): number => stub.requests.filter((request) => request.method === 'GET' && request.path === '/v1/models').length

/** A loopback URL where nothing listens. */
async function closedPortUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

test('/v1/models lists the upstream models, each with a -thinking variant', async (t) => {
  const stub = await startAnthropicStub({ models: STUB_MODELS })
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })

  const response = await app.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.equal(response.statusCode, 200)
  t.same(response.json(), page(expectedModels(STUB_MODELS)))
  const upstream = stub.requests.find((request) => request.path === '/v1/models')
  t.ok(UPSTREAM_KEYS.includes(upstream?.key ?? ''), 'the list is fetched with a pool key')
  t.ok(upstream?.headers['anthropic-version'], 'and with an anthropic-version header')
})

test('/v1/models pages with limit, after_id and before_id; a bad one is a 400', async (t) => {
  const stub = await startAnthropicStub({ models: STUB_MODELS })
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const ids = async (query: string): Promise<Record<string, unknown>> => {
    const response = await app.inject({ method: 'GET', url: `/v1/models?${query}`, headers: AUTH })
    t.equal(response.statusCode, 200, query)
    const body = response.json()
    return { ids: body.data.map((model: ModelJson) => model.id), has_more: body.has_more, first_id: body.first_id, last_id: body.last_id }
  }
  t.same(await ids('limit=2'), { ids: ['claude-test-large-9', 'claude-test-large-9-thinking'], has_more: true, first_id: 'claude-test-large-9', last_id: 'claude-test-large-9-thinking' })
  t.same(await ids('limit=2&after_id=claude-test-large-9-thinking'), { ids: ['claude-test-small-2-20260115', 'claude-test-small-2-20260115-thinking'], has_more: true, first_id: 'claude-test-small-2-20260115', last_id: 'claude-test-small-2-20260115-thinking' })
  t.same(await ids('limit=5&after_id=claude-test-small-2-20260115-thinking'), { ids: ['claude-nameless', 'claude-nameless-thinking'], has_more: false, first_id: 'claude-nameless', last_id: 'claude-nameless-thinking' })
  t.same(await ids('after_id=claude-nameless-thinking'), { ids: [], has_more: false, first_id: null, last_id: null })
  t.same(await ids('limit=2&before_id=claude-nameless'), { ids: ['claude-test-small-2-20260115', 'claude-test-small-2-20260115-thinking'], has_more: true, first_id: 'claude-test-small-2-20260115', last_id: 'claude-test-small-2-20260115-thinking' })
  t.same(await ids('before_id=claude-test-large-9-thinking'), { ids: ['claude-test-large-9'], has_more: false, first_id: 'claude-test-large-9', last_id: 'claude-test-large-9' })

  const unknown = await app.inject({ method: 'GET', url: '/v1/models?after_id=claude-none', headers: AUTH })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { error: { type: 'invalid_request_error', param: 'after_id', message: /claude-none/ } })
  for (const limit of ['0', '1001', 'two']) {
    const bad = await app.inject({ method: 'GET', url: `/v1/models?limit=${limit}`, headers: { ...AUTH, 'anthropic-version': '2023-06-01' } })
    t.equal(bad.statusCode, 400, `limit=${limit}`)
    t.match(bad.json(), { type: 'error', error: { type: 'invalid_request_error', message: /limit/ } }, 'in Anthropic shape for an Anthropic client')
  }
})

test('/v1/models/:id returns one model or a 404 in OpenAI shape', async (t) => {
  const stub = await startAnthropicStub({ models: STUB_MODELS })
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const expected = expectedModels(STUB_MODELS)

  for (const model of expected) {
    const response = await app.inject({ method: 'GET', url: `/v1/models/${encodeURIComponent(model.id)}`, headers: AUTH })
    t.equal(response.statusCode, 200, model.id)
    t.same(response.json(), model)
  }
  for (const unknown of ['claude-unknown', 'claude-test-large-9-thinking-thinking', 'CLAUDE-TEST-LARGE-9', 'gpt-4o']) {
    const response = await app.inject({ method: 'GET', url: `/v1/models/${unknown}`, headers: AUTH })
    t.equal(response.statusCode, 404, `${unknown} is unknown`)
    t.has(response.json(), { error: { message: `The model '${unknown}' does not exist`, type: 'not_found_error', param: 'model', code: 'model_not_found' } })
  }
})

test('the built-in list is served when the upstream is unreachable or failing', async (t) => {
  const builtIn = BUILT_IN_IDS

  const unreachable = await buildGateway(await closedPortUrl(), { config: { CONNECT_TIMEOUT_MS: 1000 } })
  t.teardown(async () => { await unreachable.close() })
  const offline = await unreachable.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.equal(offline.statusCode, 200, 'nothing listening upstream')
  t.same((offline.json() as { data: ModelJson[] }).data.map((model) => model.id), builtIn)
  const one = await unreachable.inject({ method: 'GET', url: '/hf/v1/models/claude-opus-4-7-thinking', headers: AUTH })
  t.equal(one.statusCode, 200, 'single models come from the built-in list too')

  const stub = await startAnthropicStub({ models: STUB_MODELS, keys: ['sk-ant-api03-somebody-elses-key'] })
  const rejected = await buildGateway(stub.url)
  t.teardown(async () => { await rejected.close(); await stub.close() })
  const refused = await rejected.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.equal(refused.statusCode, 200, 'every pool key rejected upstream with 401')
  t.same((refused.json() as { data: ModelJson[] }).data.map((model) => model.id), builtIn)
  t.ok(modelListCalls(stub) >= 1, 'the upstream was asked first')
})

test('a fallback to the built-in list is not cached: the upstream list comes back once the upstream does', async (t) => {
  let healthy = false
  let calls = 0
  const upstream = createHttpServer((req, res) => {
    calls++
    if (!healthy) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } }))
      return
    }
    const data = STUB_MODELS.map((model) => ({ type: 'model', id: model.id, display_name: model.display_name ?? model.id, created_at: model.created_at ?? '2025-01-01T00:00:00Z' }))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, has_more: false, first_id: data[0].id, last_id: data.at(-1)?.id }))
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const app = await buildGateway(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)
  t.teardown(async () => {
    await app.close()
    await new Promise<void>((resolve) => { upstream.close(() => resolve()); upstream.closeAllConnections() })
  })

  const fallback = await app.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.same((fallback.json() as { data: ModelJson[] }).data.map((model) => model.id), BUILT_IN_IDS, 'built-in list while the upstream answers 500')
  t.ok(calls >= 1)
  healthy = true
  const recovered = await app.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.same(recovered.json(), page(expectedModels(STUB_MODELS)))
})

test('the model list is cached for MODELS_CACHE_SECONDS', async (t) => {
  const stub = await startAnthropicStub({ models: STUB_MODELS })
  const cached = await buildGateway(stub.url, { config: { MODELS_CACHE_SECONDS: 300 } })
  const uncached = await buildGateway(stub.url, { config: { MODELS_CACHE_SECONDS: 0 } })
  t.teardown(async () => { await cached.close(); await uncached.close(); await stub.close() })

  for (const url of ['/v1/models', '/hf/v1/models', '/v1/models/claude-nameless', '/hf/v1/models/claude-test-large-9-thinking']) {
    t.equal((await cached.inject({ method: 'GET', url, headers: AUTH })).statusCode, 200, url)
  }
  t.equal(modelListCalls(stub), 1, 'four calls within the cache time (across /v1 and /hf/v1, list and single model) hit the upstream once')

  stub.reset()
  for (let call = 0; call < 2; call++) await uncached.inject({ method: 'GET', url: '/v1/models', headers: AUTH })
  t.equal(modelListCalls(stub), 2, 'with MODELS_CACHE_SECONDS=0 every call asks the upstream')
})

test('mirror mode lists models with the caller\'s key, never from the pool cache', async (t) => {
  const callerKey = anthropicApiKey('caller-models-key')
  const stub = await startAnthropicStub({ models: STUB_MODELS, keys: [callerKey, ...UPSTREAM_KEYS] })
  const app = await buildGateway(stub.url, { config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' } })
  t.teardown(async () => { await app.close(); await stub.close() })

  await app.inject({ method: 'GET', url: '/v1/models', headers: AUTH }) // fills the pool cache
  stub.reset()
  for (let call = 0; call < 2; call++) {
    const response = await app.inject({ method: 'GET', url: '/mirror/v1/models', headers: { authorization: `Bearer ${callerKey}` } })
    t.same(response.json(), page(expectedModels(STUB_MODELS)))
  }
  // The first call also checks the key (GET /v1/models?limit=1, once per key); then each call lists with it.
  t.same(stub.requests.map((request) => request.key), [callerKey, callerKey, callerKey], 'each mirror call asks the upstream with the caller\'s key')

  // Well-formed, so the gateway passes it on; unknown to the upstream, which refuses it.
  const rejected = await app.inject({ method: 'GET', url: '/mirror/v1/models', headers: { authorization: `Bearer ${anthropicApiKey('revoked')}` } })
  t.equal(rejected.statusCode, 401, 'a caller key the upstream rejects is reported, not hidden behind the built-in list')
  t.match(rejected.json(), { error: { type: 'authentication_error' } })
})
