/**
 * The core routes' error behaviour: unknown routes, malformed bodies and invalid parameters all
 * answer in OpenAI's error shape, and everything under /v1 behaves the same under /hf/v1.
 */
import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { test, type Test } from 'tap'
import app from '../../app.js'
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../lib/json-depth.js'
import { clientErrorHandler, frameworkErrorHandler } from '../../plugins/error-handler.js'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'

const AUTH = { authorization: `Bearer ${CLIENT_KEY}` }
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' }
const CHAT_BODY = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] }
/** Each answer has its own request id; everything else must match. */
function withoutRequestId (body: Record<string, any>): Record<string, any> {
  if (typeof body.error !== 'object' || body.error === null) return body
  const { request_id: _id, ...error } = body.error as Record<string, unknown>
  return { ...body, error }
}

const ERROR_FIELDS = ['code', 'message', 'param', 'request_id', 'type']

interface ErrorJson { error: { message: string; type: string; param: string | null; code: string | null } }

/** `parsed` is false for HTTP Node could not parse: no request exists, so there is no request id. */
function assertOpenAIError (t: Test, body: string, what: string, parsedRequest = true): ErrorJson {
  const parsed = JSON.parse(body) as ErrorJson
  t.same(Object.keys(parsed), ['error'], `${what}: only an error object`)
  const fields = parsedRequest ? ERROR_FIELDS : ERROR_FIELDS.filter((field) => field !== 'request_id')
  t.same(Object.keys(parsed.error).sort(), fields, `${what}: error has ${fields.join(', ')}`)
  t.type(parsed.error.message, 'string')
  return parsed
}

async function gatewayWithStub (t: Test, config: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const stub = await startAnthropicStub()
  const gateway = await buildGateway(stub.url, { config })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  return gateway
}

test('unknown routes answer 404 in OpenAI shape, with or without a key', async (t) => {
  const gateway = await gatewayWithStub(t)
  const unknown: Array<['GET' | 'POST' | 'PUT' | 'DELETE', string]> = [
    ['GET', '/v2/models'], ['POST', '/v1/completions'], ['POST', '/v1/audio/speech'], ['POST', '/v1/embeddings'],
    ['GET', '/v1/chat/completions'], ['PUT', '/v1/models'], ['DELETE', '/v1/models/claude-sonnet-4-6'], ['GET', '/hf/v2/models'],
    ['POST', '/v1/chat/completions/extra'], ['GET', '/v1/models/a/b'], ['GET', '/healthz'], ['POST', '/hf/v1/messages/batches']
  ]
  for (const [method, url] of unknown) {
    for (const headers of [{}, AUTH]) {
      const response = await gateway.inject({ method, url, headers })
      t.equal(response.statusCode, 404, `${method} ${url}`)
      const body = assertOpenAIError(t, response.body, `${method} ${url}`)
      t.match(body.error, { type: 'not_found_error', code: 'unknown_route', param: null })
      t.match(body.error.message, `${method} ${url}`, 'the message names the route')
    }
  }
  const withQuery = await gateway.inject({ method: 'GET', url: '/nowhere?api_key=should-not-echo' })
  t.notMatch(withQuery.body, 'should-not-echo', 'the query string is not echoed')
})

test('malformed JSON bodies get 400 invalid_json', async (t) => {
  const gateway = await gatewayWithStub(t)
  for (const payload of ['{', '{"model":"a",}', "{'model':'a'}", '{"model":"a"} trailing', 'NaN', '\u0000', '{"__proto__":{"x":1},"model":"a","messages":[]}']) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(assertOpenAIError(t, response.body, payload).error, { type: 'invalid_request_error', code: 'invalid_json' })
  }
  const empty = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: '' })
  t.equal(empty.statusCode, 400, 'an empty body')
  t.match(assertOpenAIError(t, empty.body, 'empty').error, { code: 'invalid_json' })
})

test('bodies that are not JSON get 415', async (t) => {
  const gateway = await gatewayWithStub(t)
  const body = JSON.stringify(CHAT_BODY)
  for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=abc', 'application/xml', 'application/octet-stream', 'application/jsonx']) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...AUTH, 'content-type': contentType }, payload: body })
    t.equal(response.statusCode, 415, contentType)
    t.match(assertOpenAIError(t, response.body, contentType).error, { type: 'invalid_request_error', code: 'unsupported_media_type' })
  }
  for (const contentType of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...AUTH, 'content-type': contentType }, payload: body })
    t.equal(response.statusCode, 200, `${contentType} is JSON`)
  }
})

test('invalid or missing parameters get 400 naming the parameter', async (t) => {
  const gateway = await gatewayWithStub(t)
  const cases: Array<[string, unknown, string | null]> = [
    ['missing messages', { model: 'claude-sonnet-4-6' }, 'messages'],
    ['missing model', { messages: CHAT_BODY.messages }, 'model'],
    ['empty model', { ...CHAT_BODY, model: '' }, 'model'],
    ['empty messages', { ...CHAT_BODY, messages: [] }, 'messages'],
    ['messages not a list', { ...CHAT_BODY, messages: 'Hello' }, 'messages'],
    ['unknown role', { ...CHAT_BODY, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    ['content of a wrong type', { ...CHAT_BODY, messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
    ['temperature as text', { ...CHAT_BODY, temperature: 'hot' }, 'temperature'],
    ['temperature above 2', { ...CHAT_BODY, temperature: 2.5 }, 'temperature'],
    ['n of zero', { ...CHAT_BODY, n: 0 }, 'n'],
    ['an unknown field', { ...CHAT_BODY, frobnicate: true }, 'frobnicate']
  ]
  for (const [what, payload, param] of cases) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: payload as object })
    t.equal(response.statusCode, 400, what)
    t.match(assertOpenAIError(t, response.body, what).error, { type: 'invalid_request_error', param }, `${what} names ${param}`)
  }
  for (const payload of ['[]', '"text"', '42', 'null']) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload })
    t.equal(response.statusCode, 400, `a body of ${payload} is no request object`)
    assertOpenAIError(t, response.body, payload)
  }
})

test('fields named like Object.prototype members are unknown fields like any other', async (t) => {
  const gateway = await gatewayWithStub(t)
  for (const field of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
    const response = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: JSON.stringify({ ...CHAT_BODY, [field]: 1 }) })
    t.equal(response.statusCode, 400, `${field} is refused`)
    t.match(JSON.parse(response.body), { error: { type: 'invalid_request_error', param: field, code: 'unknown_parameter' } }, `${field} is named as an unknown parameter`)
  }
})

test('bodies nested deeper than the limit get 400; bodies over BODY_LIMIT get 413', async (t) => {
  const gateway = await gatewayWithStub(t, { BODY_LIMIT: 4096 })
  const nested = (depth: number): string => `{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi"}],"thinking":${'['.repeat(depth)}${']'.repeat(depth)}}`
  const tooDeep = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: nested(MAX_JSON_DEPTH) })
  t.equal(tooDeep.statusCode, 400, `${MAX_JSON_DEPTH} arrays inside the request object are too deep`)
  t.match(assertOpenAIError(t, tooDeep.body, 'too deep').error, { code: 'invalid_json', message: /deeper than/ })
  const deepButFine = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: nested(MAX_JSON_DEPTH - 2) })
  t.equal(deepButFine.statusCode, 400, 'within the depth limit the request is parsed and judged on its content')
  t.notMatch(deepButFine.body, /deeper than/)

  const big = JSON.stringify({ ...CHAT_BODY, messages: [{ role: 'user', content: 'x'.repeat(5000) }] })
  const tooLarge = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_AUTH, payload: big })
  t.equal(tooLarge.statusCode, 413)
  t.match(assertOpenAIError(t, tooLarge.body, '413').error, { code: 'request_too_large' })
  const unauthenticated = await gateway.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, payload: big })
  t.equal(unauthenticated.statusCode, 401, 'the key is checked before a large body is read')
})

test('exceedsJsonDepth counts only structural brackets', async (t) => {
  t.notOk(exceedsJsonDepth('{"a":[1,2,{"b":3}]}', 3))
  t.ok(exceedsJsonDepth('{"a":[1,2,{"b":3}]}', 2))
  t.notOk(exceedsJsonDepth(JSON.stringify({ text: '[[[[[[{{{{{{' }), 1), 'brackets inside strings do not count')
  t.notOk(exceedsJsonDepth(JSON.stringify({ text: 'quote \\" then [[[[' }), 1), 'escaped quotes do not end a string')
  t.notOk(exceedsJsonDepth(JSON.stringify({ text: 'backslash at the end \\' , more: '[[[[' }), 1), 'an escaped backslash before a closing quote ends the string')
  t.notOk(exceedsJsonDepth('[]'.repeat(10_000), 1), 'many shallow siblings are fine')
  t.ok(exceedsJsonDepth('['.repeat(200) + ']'.repeat(200), 128))
})

test('every /v1 route behaves the same under /hf/v1', async (t) => {
  const gateway = await gatewayWithStub(t)
  const pairs: Array<{ method: 'GET' | 'POST'; path: string; payload?: unknown; headers: Record<string, string> }> = [
    { method: 'GET', path: '/models', headers: AUTH },
    { method: 'GET', path: '/models/claude-sonnet-4-6-thinking', headers: AUTH },
    { method: 'GET', path: '/models/no-such-model', headers: AUTH },
    { method: 'GET', path: '/models', headers: {} },
    { method: 'POST', path: '/chat/completions', payload: { model: 'claude-sonnet-4-6' }, headers: JSON_AUTH },
    { method: 'POST', path: '/chat/completions', payload: CHAT_BODY, headers: { 'content-type': 'application/json' } }
  ]
  for (const { method, path, payload, headers } of pairs) {
    const [v1, hf] = await Promise.all(['/v1', '/hf/v1'].map(async (prefix) => await gateway.inject({ method, url: prefix + path, headers, payload: payload as object })))
    t.equal(hf.statusCode, v1.statusCode, `${method} ${path}: same status (${v1.statusCode})`)
    t.same(withoutRequestId(hf.json()), withoutRequestId(v1.json()), `${method} ${path}: same body apart from the request id`)
  }
  const [v1, hf] = await Promise.all(['/v1', '/hf/v1'].map(async (prefix) => await gateway.inject({ method: 'POST', url: `${prefix}/chat/completions`, headers: JSON_AUTH, payload: CHAT_BODY })))
  t.equal(hf.statusCode, 200)
  t.same(hf.json().choices, v1.json().choices, 'the same completion')
  const streamed = await gateway.inject({ method: 'POST', url: '/hf/v1/chat/completions', headers: JSON_AUTH, payload: { ...CHAT_BODY, stream: true } })
  t.match(streamed.headers['content-type'], /^text\/event-stream/)
  t.match(streamed.body, /data: \[DONE\]\n\n$/, 'streaming works under /hf/v1')
})

/** The real app with the two handlers a server passes to Fastify's constructor. */
async function appWithErrorHandlers (t: Test): Promise<FastifyInstance> {
  const fastify = Fastify({ frameworkErrors: frameworkErrorHandler, clientErrorHandler })
  await fastify.register(fp(app), { configData: { ANTHROPIC_API_KEYS: UPSTREAM_KEYS.join(','), APIKEY: CLIENT_KEY, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent' } })
  t.teardown(async () => { await fastify.close() })
  return fastify
}

test('frameworkErrorHandler answers malformed URLs and over-long path parameters in OpenAI shape', async (t) => {
  const fastify = await appWithErrorHandlers(t)
  const badUrl = await fastify.inject({ method: 'GET', url: '/v1/models/%E0%A4%A', headers: AUTH })
  t.equal(badUrl.statusCode, 400)
  t.match(assertOpenAIError(t, badUrl.body, 'bad url').error, { type: 'invalid_request_error', code: 'FST_ERR_BAD_URL' })
  const longParam = await fastify.inject({ method: 'GET', url: `/v1/models/${'m'.repeat(300)}`, headers: AUTH })
  t.equal(longParam.statusCode, 414)
  assertOpenAIError(t, longParam.body, 'long param')
})

test('clientErrorHandler answers unparseable HTTP in OpenAI shape', async (t) => {
  const fastify = await appWithErrorHandlers(t)
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const { port } = new URL(address)
  const rawExchange = async (request: string): Promise<string> => await new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request))
    let reply = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { reply += chunk })
    socket.on('end', () => resolve(reply))
    socket.on('error', reject)
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')))
  })
  const garbage = await rawExchange('THIS IS NOT HTTP\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 /)
  assertOpenAIError(t, garbage.slice(garbage.indexOf('\r\n\r\n') + 4), 'garbage request line', false)
  const hugeHeaders = await rawExchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)
  t.match(hugeHeaders, /^HTTP\/1\.1 431 /)
  t.match(assertOpenAIError(t, hugeHeaders.slice(hugeHeaders.indexOf('\r\n\r\n') + 4), 'huge headers', false).error, { code: 'malformed_request' })
})
