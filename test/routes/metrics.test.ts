import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, buildGateway, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { moved, parseMetrics, sample, scrape } from '../helpers/metrics.js'

const AUTH = { authorization: `Bearer ${CLIENT_KEY}` }
const MODEL = 'claude-sonnet-4-6'
const ROUTE = '/v1/chat/completions'
/** How the two test keys are labelled (UPSTREAM_KEYS end in AAAA and BBBB). */
const KEY_LABELS = ['sk-ant-api03-…AAAA', 'sk-ant-api03-…BBBB']
const chat = (stream = false, model = MODEL): Record<string, unknown> => ({ model, stream, messages: [{ role: 'user', content: 'Hello' }] })

test('/metrics needs a client key unless METRICS_PUBLIC=true, and speaks Prometheus text', async (t) => {
  const stub = await startAnthropicStub()
  const closed = await buildGateway(stub.url)
  const open = await buildGateway(stub.url, { config: { METRICS_PUBLIC: true } })
  t.teardown(async () => { await closed.close(); await open.close(); await stub.close() })

  t.equal((await closed.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  t.equal((await closed.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401)
  const viaApiKey = await closed.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': CLIENT_KEY } })
  t.equal(viaApiKey.statusCode, 200)
  t.equal(viaApiKey.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  const samples = parseMetrics(viaApiKey.body)
  t.equal(samples.get('claude2api_redis_up'), 1, 'memory mode reports 1: nothing to be down')
  t.equal(samples.get(sample('claude2api_state_store_info', { kind: 'memory' })), 1)
  t.equal(samples.get('claude2api_open_streams'), 0)
  t.ok(samples.has('claude2api_process_cpu_seconds_total'), 'default process metrics, prefixed')
  t.ok(samples.has('claude2api_nodejs_heap_size_used_bytes'))
  for (const label of KEY_LABELS) {
    t.equal(samples.get(sample('claude2api_key_state', { key: label, state: 'healthy' })), 1, `${label} is healthy`)
    t.equal(samples.get(sample('claude2api_key_state', { key: label, state: 'cooling' })), 0)
  }
  t.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'public when configured')
})

test('each counter moves by exactly the traffic sent', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const before = await scrape(app, AUTH)
  const send = async (body: Record<string, unknown>): Promise<number> =>
    (await app.inject({ method: 'POST', url: ROUTE, headers: authHeaders, payload: body })).statusCode

  // Two plain answers; the second comes after a 429 on the first key and a 500 on the second.
  stub.enqueue({ content: [{ type: 'text', text: 'one' }], usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 40 } })
  t.equal(await send(chat()), 200)
  stub.enqueue(
    { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '60' } },
    { kind: 'error', status: 500, type: 'api_error', message: 'boom' },
    { content: [{ type: 'text', text: 'two' }], usage: { input_tokens: 7, output_tokens: 3 } }
  )
  t.equal(await send(chat()), 200)
  // Two streams with thinking tokens.
  for (let index = 0; index < 2; index++) {
    stub.enqueue({ content: [{ type: 'text', text: 'streamed answer' }], usage: { input_tokens: 11, output_tokens: 13, output_tokens_details: { thinking_tokens: 5 } } })
    t.equal(await send(chat(true)), 200)
  }
  // A request the gateway refuses before any upstream call.
  t.equal(await send({ model: MODEL }), 400)

  const after = await scrape(app, AUTH)
  const requests = (statusClass: string): number => moved(before, after, sample('claude2api_requests_total', { route: ROUTE, status_class: statusClass, model: MODEL }))
  t.equal(requests('2xx'), 4, 'four answered')
  t.equal(requests('4xx'), 1, 'one refused')
  t.equal(moved(before, after, sample('claude2api_request_duration_seconds_count', { route: ROUTE })), 5)
  t.equal(moved(before, after, sample('claude2api_time_to_first_token_seconds_count', { model: MODEL })), 2, 'one first token per stream')
  const attempts = (outcome: string): number => KEY_LABELS.reduce((sum, key) => sum + moved(before, after, sample('claude2api_upstream_attempts_total', { outcome, key })), 0)
  t.same({ ok: attempts('ok'), rate_limited: attempts('rate_limited'), server_error: attempts('server_error'), rejected: attempts('rejected'), network: attempts('network') },
    { ok: 4, rate_limited: 1, server_error: 1, rejected: 0, network: 0 })
  const tokens = (kind: string): number => moved(before, after, sample('claude2api_tokens_total', { model: MODEL, kind }))
  t.same({ input: tokens('input'), output: tokens('output'), cache_read: tokens('cache_read'), cache_write: tokens('cache_write'), reasoning: tokens('reasoning') },
    { input: 100 + 7 + 11 + 11, output: 20 + 3 + 13 + 13, cache_read: 30, cache_write: 40, reasoning: 5 + 5 })
  t.equal(after.get('claude2api_open_streams'), 0, 'no stream left open')
  const inState = (state: string): number => KEY_LABELS.reduce((sum, key) => sum + (after.get(sample('claude2api_key_state', { key, state })) ?? 0), 0)
  t.same({ healthy: inState('healthy'), cooling: inState('cooling'), disabled: inState('disabled') }, { healthy: 1, cooling: 1, disabled: 0 }, 'the rate-limited key shows as cooling')
})

test('labels stay bounded and never carry secrets: odd model ids fold into other', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  for (let index = 0; index < 40; index++) await app.inject({ method: 'POST', url: ROUTE, headers: authHeaders, payload: chat(false, `claude-made-up-${index}`) })
  for (const odd of [UPSTREAM_KEYS[0], 'a prompt with spaces in it', 'x'.repeat(200)]) await app.inject({ method: 'POST', url: ROUTE, headers: authHeaders, payload: chat(false, odd) })
  await app.inject({ method: 'GET', url: '/v1/models/claude-some-id-in-the-url', headers: AUTH })
  await app.inject({ method: 'GET', url: '/nowhere/42' })

  const answer = await app.inject({ method: 'GET', url: '/metrics', headers: AUTH })
  const requestSamples = [...parseMetrics(answer.body).entries()].filter(([key]) => key.startsWith('claude2api_requests_total{'))
  const models = new Set(requestSamples.map(([key]) => /model="([^"]*)"/.exec(key)![1]))
  const madeUp = [...models].filter((model) => model.startsWith('claude-made-up-'))
  t.equal(madeUp.length, 32, 'the first 32 unknown ids are kept')
  t.ok(models.has('other'), 'the rest fold into other')
  t.equal(requestSamples.find(([key]) => key.includes('model="other"'))![1], 8 + 3, '8 past the cap and the 3 odd ids')
  const routes = new Set(requestSamples.map(([key]) => /route="([^"]*)"/.exec(key)![1]))
  t.ok(routes.has('/v1/models/:id'), 'the route pattern, not the URL')
  t.ok(routes.has('unmatched'), 'unknown URLs share one label')
  t.notOk(answer.body.includes('claude-some-id-in-the-url'))
  t.notOk(answer.body.includes('/nowhere/42'))
  for (const secret of [...UPSTREAM_KEYS, CLIENT_KEY]) t.notOk(answer.body.includes(secret), 'no key appears')
  t.notOk(answer.body.includes('a prompt with spaces'), 'no request text appears')
})

test('OpenMetrics scrapes carry request-id exemplars', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const sent = await app.inject({ method: 'POST', url: ROUTE, headers: { ...authHeaders, 'x-request-id': 'trace-0123456789abcdef' }, payload: chat(true) })
  t.equal(sent.statusCode, 200)
  const answer = await app.inject({ method: 'GET', url: '/metrics', headers: { ...AUTH, accept: 'application/openmetrics-text; version=1.0.0' } })
  t.equal(answer.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8')
  const lines = answer.body.split('\n')
  t.ok(lines.some((line) => line.startsWith('claude2api_requests_total{route="/v1/chat/completions",status_class="2xx",model="claude-sonnet-4-6"} 1 # {request_id="trace-0123456789abcdef"} 1')), 'the request counter points at the request')
  t.ok(lines.some((line) => line.startsWith('claude2api_time_to_first_token_seconds_bucket{') && line.includes('# {request_id="trace-0123456789abcdef"}')), 'so does a first-token bucket')
  t.ok(answer.body.trimEnd().endsWith('# EOF'), 'a complete OpenMetrics exposition')
  const plain = await app.inject({ method: 'GET', url: '/metrics', headers: AUTH })
  t.notOk(plain.body.includes('request_id='), 'the classic text format has no exemplars')
})

test('the Responses route counts its tokens and first tokens too', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const before = await scrape(app, AUTH)
  stub.enqueue({ content: [{ type: 'text', text: 'plain' }], usage: { input_tokens: 50, output_tokens: 6 } })
  const plain = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: { model: MODEL, input: 'hi', store: false } })
  t.equal(plain.statusCode, 200)
  stub.enqueue({ content: [{ type: 'text', text: 'streamed' }], usage: { input_tokens: 9, output_tokens: 4 } })
  const streamed = await app.inject({ method: 'POST', url: '/v1/responses', headers: authHeaders, payload: { model: MODEL, input: 'hi', stream: true, store: false } })
  t.equal(streamed.statusCode, 200)
  const after = await scrape(app, AUTH)
  t.equal(moved(before, after, sample('claude2api_tokens_total', { model: MODEL, kind: 'input' })), 59)
  t.equal(moved(before, after, sample('claude2api_tokens_total', { model: MODEL, kind: 'output' })), 10)
  t.equal(moved(before, after, sample('claude2api_time_to_first_token_seconds_count', { model: MODEL })), 1)
  t.equal(moved(before, after, sample('claude2api_requests_total', { route: '/v1/responses', status_class: '2xx', model: MODEL })), 2)
})

test('a model label is taken only once the upstream accepted a request: fake-key mirror callers cannot fill the label slots', async (t) => {
  const mirrorKey = (label: string): string => `sk-ant-api03-${label.padEnd(93, 'x').slice(0, 93)}AA`
  const stub = await startAnthropicStub({ keys: [...UPSTREAM_KEYS, mirrorKey('real-caller')] })
  const app = await buildGateway(stub.url, { config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror', MIRROR_RATE_LIMIT: 1000 } })
  t.teardown(async () => { await app.close(); await stub.close() })
  for (let index = 0; index < 40; index++) {
    const refused = await app.inject({ method: 'POST', url: `/mirror${ROUTE}`, headers: { authorization: `Bearer ${mirrorKey(`fake-${index}`)}`, 'content-type': 'application/json' }, payload: chat(false, `fake-model-${index}`) })
    t.equal(refused.statusCode, 401, `fake caller ${index} is refused upstream`)
  }
  // A real model the built-in list does not know, asked for after the fake ones.
  const real = 'claude-opus-4-5-20251101'
  const served = await app.inject({ method: 'POST', url: `/mirror${ROUTE}`, headers: { authorization: `Bearer ${mirrorKey('real-caller')}`, 'content-type': 'application/json' }, payload: chat(false, real) })
  t.equal(served.statusCode, 200)
  const samples = await scrape(app, AUTH)
  const labelled = [...samples.keys()].filter((key) => key.startsWith('claude2api_requests_total{'))
  t.notOk(labelled.some((key) => key.includes('fake-model-')), 'no refused model became a label')
  // The made-up keys are refused by the key check before their bodies are read, so no model is known at all.
  t.equal(samples.get(sample('claude2api_requests_total', { route: `/mirror${ROUTE}`, status_class: '4xx', model: 'none' })), 40, 'the refused requests are counted without a model')
  t.equal(samples.get(sample('claude2api_requests_total', { route: `/mirror${ROUTE}`, status_class: '2xx', model: real })), 1, 'the real model keeps its own label')
})
