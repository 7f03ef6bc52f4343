/**
 * Who may use the gateway, and what a caller can and cannot make it do: keys on every route but
 * /health, constant-time key checks, mirror mode confined to its prefix, no client-chosen upstream,
 * no fetching of client URLs, and 5xx bodies free of internals.
 */
import { createHash } from 'node:crypto'
import * as crypto from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { test } from 'tap'
import { matchesAnyKey, presentedKey } from '../../plugins/auth.js'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, buildGateway, CLIENT_KEY, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'

const CALLER_ANTHROPIC_KEY = anthropicApiKey('caller-own-key')
const MIRROR_PREFIX = '/mirror'
const CHAT_BODY = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] }
const ERROR_FIELDS = ['code', 'message', 'param', 'request_id', 'type']

function isOpenAIError (body: unknown): boolean {
  const error = (body as { error?: Record<string, unknown> } | null)?.error
  return error !== undefined && error !== null && JSON.stringify(Object.keys(error).sort()) === JSON.stringify(ERROR_FIELDS) &&
    typeof error.message === 'string' && typeof error.type === 'string'
}

/** Stand-in for a third-party host (image CDN, attacker's server): records every request it gets. */
async function startRecordingHost (): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = []
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method ?? ''} ${req.url ?? ''}`)
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('89504e47', 'hex'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: async () => { await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() }) }
  }
}

/** A raw HTTP request, so headers fetch would refuse (host, forwarded…) can be sent as given. */
async function rawRequest (url: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')))
    req.end(body)
  })
}

/** Routes anyone may read: liveness, readiness, the status page shell (its details come from /status) and the API description. */
const PUBLIC_ROUTES = new Set(['/', '/health', '/health/ready', '/openapi.json', '/docs'])

/** What an authenticated caller sends to each protected route (by pattern); every protected route must be listed. */
const AUTHORISED_REQUESTS: Record<string, { payload?: Record<string, unknown>; id?: string; served?: number }> = {
  '/chat/completions': { payload: CHAT_BODY },
  '/models': {},
  '/models/:id': { id: 'claude-sonnet-4-6' },
  '/responses': { payload: { model: 'claude-sonnet-4-6', input: 'Hello' } },
  '/responses/input_tokens': { payload: { model: 'claude-sonnet-4-6', input: 'Hello' } },
  '/responses/compact': { payload: { model: 'claude-sonnet-4-6', input: 'Hello' } },
  '/responses/:id': { id: 'resp_unknown' },
  '/responses/:id/input_items': { id: 'resp_unknown' },
  '/messages': { payload: { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'Hello' }] } },
  '/messages/count_tokens': { payload: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] } },
  '/metrics': {},
  '/status': {},
  '/health/details': {},
  // A client's own standing; APIKEY's keys are unnamed clients, which have none to read.
  '/usage': { served: 404 },
  '/api/oauth/usage': {}
}

/** Routes for admin keys only: a client key is known but not enough (403); Anthropic's Admin API paths answer in its shape. */
function isAdminRoute (url: string): boolean {
  return url.startsWith('/admin/') || url.startsWith('/v1/organizations/')
}

function patternOf (url: string): string {
  return url.replace(/^\/(hf\/)?v1(?=\/)/, '')
}

function isAnthropicError (body: unknown): boolean {
  const parsed = body as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null
  return parsed?.type === 'error' && typeof parsed.error?.type === 'string' && typeof parsed.error?.message === 'string'
}

test('every route but the public ones requires a valid client key', async (t) => {
  const stub = await startAnthropicStub()
  const routes: Array<{ method: string; url: string }> = []
  const app = await buildGateway(stub.url, { routes })
  t.teardown(async () => { await app.close(); await stub.close() })

  const unlisted = routes.filter((route) => !PUBLIC_ROUTES.has(route.url) && !isAdminRoute(route.url) && !(patternOf(route.url) in AUTHORISED_REQUESTS))
  t.same(unlisted, [], 'every route is either public or has an authorised request in this test')
  t.ok(routes.some((route) => route.url === '/v1/chat/completions') && routes.some((route) => route.url === '/hf/v1/chat/completions'), 'the API is served under /v1 and /hf/v1')

  for (const route of routes) {
    const sample = AUTHORISED_REQUESTS[patternOf(route.url)] ?? {}
    const url = route.url.replace(':id', sample.id ?? 'x').replace(':name', 'x')
    const payload = route.method === 'POST' ? sample.payload : undefined
    const attempts: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['a wrong bearer key', { authorization: 'Bearer not-the-key' }],
      ['a wrong x-api-key', { 'x-api-key': `${CLIENT_KEY}-extra` }],
      ['the key in a Basic header', { authorization: `Basic ${CLIENT_KEY}` }],
      ['an upstream key instead of a client key', { authorization: `Bearer ${UPSTREAM_KEYS[0]}` }]
    ]
    for (const [what, headers] of attempts) {
      const response = await app.inject({ method: route.method as 'GET', url, headers, payload })
      if (PUBLIC_ROUTES.has(route.url)) {
        t.equal(response.statusCode, 200, `${route.method} ${url} answers with ${what}`)
        continue
      }
      t.equal(response.statusCode, 401, `${route.method} ${url} with ${what} → 401`)
      if (route.method === 'HEAD') continue
      const anthropicRoute = patternOf(route.url).startsWith('/messages') || route.url.startsWith('/v1/organizations/') || route.url === '/api/oauth/usage'
      t.ok(anthropicRoute ? isAnthropicError(response.json()) : isOpenAIError(response.json()), `${route.method} ${url} 401 body is ${anthropicRoute ? 'an Anthropic' : 'an OpenAI'} error`)
    }
    const allowed = await app.inject({ method: route.method as 'GET', url, headers: { authorization: `Bearer ${CLIENT_KEY}` }, payload })
    if (isAdminRoute(route.url)) {
      t.equal(allowed.statusCode, 403, `${route.method} ${url} with a client key is refused: admin keys only`)
      continue
    }
    if (sample.served !== undefined) {
      t.equal(allowed.statusCode, sample.served, `${route.method} ${url} with the client key is answered (${allowed.statusCode})`)
      continue
    }
    // GET /responses without an upgrade is WebSocket mode's own answer: 426, so clients fall back to HTTP.
    const upgradeOnly = route.method !== 'POST' && patternOf(route.url) === '/responses' && allowed.statusCode === 426
    t.ok(allowed.statusCode < 400 || upgradeOnly || (sample.id?.endsWith('unknown') === true && allowed.statusCode === 404), `${route.method} ${url} with the client key is served (${allowed.statusCode})`)
  }
})

test('the client key works as Bearer (any case, padded) and as x-api-key; a wrong key gets a 401 OpenAI error', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { APIKEY: `first-key,${CLIENT_KEY},third-key-that-is-much-longer-than-the-others` } })
  t.teardown(async () => { await app.close(); await stub.close() })
  const send = async (headers: Record<string, string>): Promise<{ statusCode: number; json: () => unknown }> =>
    await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...headers, 'content-type': 'application/json' }, payload: CHAT_BODY })

  const acceptedForms: Array<Record<string, string>> = [
    { authorization: `Bearer ${CLIENT_KEY}` }, { authorization: `bearer ${CLIENT_KEY}` }, { authorization: `  BEARER   ${CLIENT_KEY}  ` },
    { 'x-api-key': CLIENT_KEY }, { 'x-api-key': 'first-key' }, { authorization: 'Bearer third-key-that-is-much-longer-than-the-others' }
  ]
  for (const headers of acceptedForms) {
    t.equal((await send(headers)).statusCode, 200, `accepted: ${JSON.stringify(headers)}`)
  }
  const wrong = await send({ authorization: 'Bearer wrong-key' })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json(), { error: { type: 'authentication_error', code: 'invalid_api_key', param: null, message: String } })
  t.ok(isOpenAIError(wrong.json()))
  const missing = await send({})
  t.equal(missing.statusCode, 401)
  t.match(missing.json(), { error: { type: 'authentication_error', message: /Authorization: Bearer/ } })
  t.equal(stub.requests.filter((request) => request.path === '/v1/messages').length, 6, 'only the accepted requests reached the upstream')
})

test('matchesAnyKey is right for every key position and length, and compares against every key', async (t) => {
  const keys = ['k', CLIENT_KEY, 'ünïcødé-ключ-🔑', 'x'.repeat(4096), 'short2', ' spaced key ']
  const digests = keys.map((key) => createHash('sha256').update(key).digest())
  keys.forEach((key, position) => t.ok(matchesAnyKey(key, digests), `key at position ${position} (length ${key.length}) matches`))
  const nearMisses = ['', 'K', `${CLIENT_KEY}x`, CLIENT_KEY.slice(0, -1), CLIENT_KEY.toUpperCase(), 'x'.repeat(4095), 'x'.repeat(4097), 'spaced key', 'ünïcødé-ключ-']
  for (const candidate of nearMisses) t.notOk(matchesAnyKey(candidate, digests), `near miss ${JSON.stringify(candidate.slice(0, 40))} does not match`)
  t.notOk(matchesAnyKey(CLIENT_KEY, []), 'nothing matches an empty key list')

  // No early exit: one comparison per configured key whether the match is first, last or absent
  // (counted through the comparison seam, so a short-circuit after a match fails this).
  for (const candidate of [keys[0], keys.at(-1) ?? '', 'absent']) {
    let comparisons = 0
    const counting = (a: Buffer, b: Buffer): boolean => {
      comparisons++
      return crypto.timingSafeEqual(a, b)
    }
    const matched = matchesAnyKey(candidate, digests, counting)
    t.equal(matched, candidate !== 'absent', `${JSON.stringify(candidate.slice(0, 10))}: the right answer through the seam`)
    t.equal(comparisons, 6, `all 6 keys compared for ${JSON.stringify(candidate.slice(0, 10))}`)
  }
})

test('matchesAnyKey compares with crypto.timingSafeEqual on fixed-length digests', async (t) => {
  const compared: Array<[number, number]> = []
  // An absolute URL: tap resolves relative specifiers against the source-mapped .ts location.
  const authModule = new URL('../../plugins/auth.js', import.meta.url).href
  const { matchesAnyKey: instrumented } = await t.mockImport<typeof import('../../plugins/auth.js')>(authModule, {
    'node:crypto': {
      ...crypto,
      timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
        compared.push([a.byteLength, b.byteLength])
        return crypto.timingSafeEqual(a, b)
      }
    }
  })
  const keys = ['a', 'a-much-longer-key-with-more-bytes-than-a-digest-holds-0123456789']
  const digests = keys.map((key) => createHash('sha256').update(key).digest())
  for (const candidate of ['a', 'zz', keys[1], '']) {
    compared.length = 0
    instrumented(candidate, digests)
    t.same(compared, [[32, 32], [32, 32]], `${JSON.stringify(candidate.slice(0, 12))}: one constant-time comparison of 32-byte digests per key`)
  }
})

test('mirror mode answers only under its prefix, with the caller\'s Anthropic key', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: MIRROR_PREFIX } })
  const plain = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await plain.close(); await stub.close() })
  const post = async (gateway: FastifyInstance, url: string, key: string): Promise<{ statusCode: number; json: () => unknown }> =>
    await gateway.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: CHAT_BODY })

  stub.reset()
  const mirrored = await post(app, `${MIRROR_PREFIX}/v1/chat/completions`, CALLER_ANTHROPIC_KEY)
  t.equal(mirrored.statusCode, 200, 'the mirror route takes the caller\'s Anthropic key')
  t.same(stub.requests.filter((request) => request.method === 'POST').map((request) => request.key), [CALLER_ANTHROPIC_KEY], 'and the upstream sees that key, not a pool key')

  const models = await app.inject({ method: 'GET', url: `${MIRROR_PREFIX}/v1/models`, headers: { 'x-api-key': CALLER_ANTHROPIC_KEY } })
  t.equal(models.statusCode, 200, 'the mirror models route works too')
  t.equal(stub.requests.at(-1)?.key, CALLER_ANTHROPIC_KEY)

  stub.reset()
  t.equal((await post(app, `${MIRROR_PREFIX}/v1/chat/completions`, CLIENT_KEY)).statusCode, 401, 'a client key is no Anthropic key on the mirror route')
  t.equal((await post(app, `${MIRROR_PREFIX}/v1/chat/completions`, 'sk-ant-sid01-web-session')).statusCode, 401, 'a web session key is refused')
  const noKey = await app.inject({ method: 'POST', url: `${MIRROR_PREFIX}/v1/chat/completions`, headers: { 'content-type': 'application/json' }, payload: CHAT_BODY })
  t.equal(noKey.statusCode, 401)
  t.ok(isOpenAIError(noKey.json()))
  for (const prefix of ['/v1', '/hf/v1']) {
    t.equal((await post(app, `${prefix}/chat/completions`, CALLER_ANTHROPIC_KEY)).statusCode, 401, `${prefix} does not take an Anthropic key, even with mirror mode on`)
    t.equal((await post(app, `${prefix}/chat/completions`, CLIENT_KEY)).statusCode, 200, `${prefix} still takes the client key`)
  }
  t.notOk(stub.requests.some((request) => request.key === CALLER_ANTHROPIC_KEY || request.key === CLIENT_KEY), 'no refused key reached the upstream')
  for (const url of ['/mirror/v1/chat/completions', '/v1/mirror/v1/chat/completions', '/mirror/chat/completions']) {
    const response = await post(plain, url, CALLER_ANTHROPIC_KEY)
    t.equal(response.statusCode, 404, `${url} does not exist without mirror mode`)
  }
})

test('a client cannot choose the upstream: headers and body fields naming another host are ignored or refused', async (t) => {
  const stub = await startAnthropicStub()
  const decoy = await startRecordingHost()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await decoy.close(); await stub.close() })
  const decoyHost = decoy.url.replace('http://', '')
  const steeringHeaders: Record<string, string> = {
    host: decoyHost,
    'x-anthropic-base-url': decoy.url,
    'anthropic-base-url': decoy.url,
    'x-base-url': decoy.url,
    'x-forwarded-host': decoyHost,
    'x-forwarded-proto': 'http',
    'x-forwarded-port': decoyHost.split(':')[1],
    forwarded: `host=${decoyHost};proto=http`,
    'x-original-url': `${decoy.url}/v1/messages`,
    'x-rewrite-url': `${decoy.url}/v1/messages`,
    'x-real-ip': '127.0.0.1'
  }
  const headers = { ...steeringHeaders, authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }

  const steered = await rawRequest(gateway.url, '/v1/chat/completions', headers, JSON.stringify(CHAT_BODY))
  t.equal(steered.status, 200, 'the request is answered')
  t.equal(stub.requests.filter((request) => request.path === '/v1/messages').length, 1, 'by the configured upstream')

  for (const field of ['base_url', 'api_base', 'baseURL', 'anthropic_base_url', 'endpoint', 'url']) {
    const response = await rawRequest(gateway.url, '/v1/chat/completions', headers, JSON.stringify({ ...CHAT_BODY, [field]: decoy.url }))
    t.equal(response.status, 400, `body field ${field} is refused`)
    t.match(JSON.parse(response.body), { error: { type: 'invalid_request_error', param: field, code: 'unknown_parameter' } })
  }
  const models = await fetch(`${gateway.url}/v1/models`, { headers: { ...steeringHeaders, authorization: `Bearer ${CLIENT_KEY}` } })
  t.equal(models.status, 200)
  t.ok(stub.requests.some((request) => request.path === '/v1/models'), 'the model list also comes from the configured upstream')
  t.same(decoy.hits, [], 'the decoy host was never contacted')
})

test('image and file URLs go to Anthropic as url sources and are never fetched by the gateway', async (t) => {
  const stub = await startAnthropicStub()
  const imageHost = await startRecordingHost()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await imageHost.close(); await stub.close() })
  const headers = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }
  const post = async (body: unknown): Promise<Response> => await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) })
  const catUrl = `${imageHost.url}/cat.png?size=large`

  const answered = await post({
    model: 'claude-sonnet-4-6',
    tools: [{ type: 'function', function: { name: 'snapshot', parameters: { type: 'object', properties: {} } } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Compare' }, { type: 'image_url', image_url: { url: catUrl } }, { type: 'image_url', image_url: `${imageHost.url}/dog.jpg` }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'snapshot', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'here' }, { type: 'image_url', image_url: { url: `${imageHost.url}/shot.webp` } }] }
    ]
  })
  t.equal(answered.status, 200, await answered.clone().text())
  const sent = JSON.stringify(stub.requests.at(-1)?.body)
  for (const url of [catUrl, `${imageHost.url}/dog.jpg`, `${imageHost.url}/shot.webp`]) {
    t.ok(sent.includes(JSON.stringify({ type: 'url', url })), `${url} reached the upstream as a url source`)
  }

  for (const file of [{ file_data: `${imageHost.url}/report.pdf` }, { file_data: `${imageHost.url}/report.pdf`, filename: 'report.pdf' }, { file_id: `${imageHost.url}/report.pdf` }]) {
    const response = await post({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: 'Read' }, { type: 'file', file }] }] })
    t.equal(response.status, 400, `a file part given as a URL (${Object.keys(file).join(', ')}) is refused`)
    t.ok(isOpenAIError(await response.json()))
  }
  t.same(imageHost.hits, [], 'the image host received no request at all')
})

test('5xx bodies carry no stack traces, file paths or internal details', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { FIRST_BYTE_TIMEOUT_MS: 200, IDLE_TIMEOUT_MS: 200 } })
  t.teardown(async () => { await app.close(); await stub.close() })
  const leaks = [/\bat\s+\S+\s+\(/, /\.[cm]?[jt]s:\d+/, /\/work\//, /node_modules/, /file:\/\//, /\b(TypeError|RangeError|SyntaxError|ReferenceError)\b/, /FST_ERR/]

  const checkBody = (what: string, status: number, body: string): void => {
    for (const leak of leaks) t.notMatch(body, leak, `${what}: body free of ${leak}`)
    if (status >= 500) t.ok(isOpenAIError(JSON.parse(body)), `${what}: ${status} is an OpenAI error`)
  }
  const cases: Array<[string, () => void]> = [
    ['upstream 500', () => stub.respondWith(() => ({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' }))],
    ['upstream 529', () => stub.respondWith(() => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }))],
    ['connection refused mid-request', () => stub.respondWith(() => ({ kind: 'fault', fault: 'refuse' }))],
    ['upstream silent', () => stub.respondWith(() => ({ kind: 'fault', fault: 'headers-then-silence' }))],
    ['upstream cut mid-body', () => stub.respondWith(() => ({ kind: 'fault', fault: 'cut-mid-stream' }))],
    // Refused on every endpoint, so the models call that confirms a refusal finds the keys dead too.
    ['every key rejected', () => { stub.respondWith(undefined); for (const key of UPSTREAM_KEYS) stub.keyBehaviour.set(key, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }) }]
  ]
  for (const [what, arrange] of cases) {
    arrange()
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, payload: CHAT_BODY })
    t.ok(response.statusCode >= 500, `${what} gives a 5xx (${response.statusCode})`)
    checkBody(what, response.statusCode, response.body)
  }

  stub.respondWith(() => ({ kind: 'fault', fault: 'error-event-mid-stream' }))
  const streamed = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, payload: { ...CHAT_BODY, stream: true } })
  t.match(streamed.body, /"error":\{/, 'a mid-stream failure reaches the client as an error chunk')
  checkBody('mid-stream error chunk', 200, streamed.body)

  // An unexpected exception deep inside: its message and stack name internal files.
  const internal = new Error('boom in /work/main/lib/secret-module.ts:42:7')
  app.claude.createMessage = async () => { throw internal }
  const crashed = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, payload: CHAT_BODY })
  t.equal(crashed.statusCode, 500)
  t.match(crashed.json(), { error: { type: 'server_error', message: 'Internal server error' } })
  t.notMatch(crashed.body, /boom|secret-module/, 'the exception message stays inside')
  checkBody('internal exception', 500, crashed.body)
})

const requestWith = (headers: Record<string, string>): FastifyRequest => ({ headers }) as unknown as FastifyRequest

test('presentedKey trims the key from either header', async (t) => {
  t.equal(presentedKey(requestWith({ 'x-api-key': '  spaced-key \t' })), 'spaced-key', 'x-api-key')
  t.equal(presentedKey(requestWith({ authorization: 'Bearer   spaced-key  ' })), 'spaced-key', 'Authorization: Bearer')
  t.equal(presentedKey(requestWith({ 'x-api-key': '   ' })), undefined, 'blank x-api-key')
})

test('presentedKey takes Bearer only as the scheme, in any case, and otherwise falls back to x-api-key', async (t) => {
  t.equal(presentedKey(requestWith({ authorization: 'bearer lower-key' })), 'lower-key', 'the scheme in any case')
  t.equal(presentedKey(requestWith({ authorization: 'BEARER\tTAB-KEY' })), 'TAB-KEY', 'any whitespace after it')
  t.equal(presentedKey(requestWith({ authorization: 'Basic Bearer not-a-bearer', 'x-api-key': 'header-key' })), 'header-key', 'Bearer later in the value is no Bearer scheme')
  t.equal(presentedKey(requestWith({ authorization: 'Bearerkey', 'x-api-key': 'header-key' })), 'header-key', 'no space, no scheme')
  t.equal(presentedKey(requestWith({ authorization: 'Bearer    ', 'x-api-key': 'header-key' })), 'header-key', 'a Bearer with nothing after it')
  t.equal(presentedKey(requestWith({ authorization: 'Basic dXNlcjpwYXNz' })), undefined, 'another scheme and no x-api-key')
})
