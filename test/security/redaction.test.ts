/**
 * An upstream (or a proxy in front of it) that echoes the request headers into its error body
 * must not leak the pool key: not in the client's error body or headers, not in the logs.
 * Non-JSON error bodies are summarised (status, content type), never quoted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'tap'
import { anthropicApiKey, authHeaders, CLIENT_KEY, startGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]
type Echo = (request: IncomingMessage, response: ServerResponse, echoed: string) => void

const POOL_KEY = anthropicApiKey('pool-key-that-must-not-leak')
const MIRROR_KEY = anthropicApiKey('mirror-key-that-must-not-leak')
const CHAT = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] }

/** An "upstream" that answers every request with an error quoting the request's headers. */
async function echoingUpstream (t: Tap, answer: Echo): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => answer(request, response, JSON.stringify(request.headers)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const jsonEcho: Echo = (_request, response, echoed) => {
  response.writeHead(400, { 'content-type': 'application/json', 'x-echo': echoed.slice(0, 500) })
  response.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `bad request; you sent ${echoed}` } }))
}
const htmlEcho: Echo = (_request, response, echoed) => {
  response.writeHead(502, { 'content-type': 'text/html; charset=utf-8' })
  response.end(`<html><body><h1>Bad gateway</h1><pre>${echoed}</pre></body></html>`)
}
const streamEcho: Echo = (_request, response, echoed) => {
  response.writeHead(200, { 'content-type': 'text/event-stream' })
  const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } }
  response.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`)
  response.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: `failed for ${echoed}` } })}\n\n`)
}

function leaks (text: string): string[] {
  return [POOL_KEY, MIRROR_KEY, CLIENT_KEY, POOL_KEY.slice(13, 40), MIRROR_KEY.slice(13, 40)].filter((secret) => text.includes(secret))
}

async function run (t: Tap, answer: Echo, stream: boolean, mirror: boolean): Promise<{ status: number; text: string; headers: string; logs: string }> {
  const upstream = await echoingUpstream(t, answer)
  const logLines: string[] = []
  const gateway = await startGateway(upstream, {
    logLines,
    config: { ANTHROPIC_API_KEYS: POOL_KEY, RETRY_COUNT: 1, LOG_LEVEL: 'trace', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' }
  })
  t.teardown(() => gateway.close())
  const headers = mirror ? { authorization: `Bearer ${MIRROR_KEY}`, 'content-type': 'application/json' } : authHeaders
  const response = await fetch(`${gateway.url}${mirror ? '/mirror' : ''}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ ...CHAT, stream }) })
  const text = await response.text()
  return { status: response.status, text, headers: JSON.stringify([...response.headers]), logs: logLines.join('\n') }
}

for (const mirror of [false, true]) {
  const via = mirror ? 'mirror key' : 'pool key'
  test(`${via}: a JSON error echoing the request headers reaches the client without the key`, async (t) => {
    const result = await run(t, jsonEcho, false, mirror)
    t.equal(result.status, 400)
    t.match(JSON.parse(result.text), { error: { type: 'invalid_request_error', message: /bad request; you sent/ } }, 'the message is kept')
    t.match(result.text, /\[redacted\]/, 'the key is replaced by a marker')
    t.same(leaks(result.text), [], 'not in the body')
    t.same(leaks(result.headers), [], 'not in the headers')
    t.same(leaks(result.logs), [], 'not in the logs')
  })

  test(`${via}: a non-JSON error body is summarised, not quoted`, async (t) => {
    const result = await run(t, htmlEcho, false, mirror)
    t.equal(result.status, 502)
    const message = JSON.parse(result.text).error.message as string
    t.match(message, /502/, 'names the status')
    t.match(message, /text\/html/, 'names the content type')
    t.notMatch(message, /Bad gateway|<html>|x-api-key/, 'quotes nothing of the body')
    t.same(leaks(result.text + result.headers + result.logs), [])
  })

  test(`${via}: an error event in a stream echoing the headers is redacted`, async (t) => {
    const result = await run(t, streamEcho, true, mirror)
    t.equal(result.status, 200)
    t.match(result.text, /failed for/, 'the error reaches the client')
    t.same(leaks(result.text + result.headers + result.logs), [])
  })
}

test('a configured client key is removed from any error the gateway writes, and from its logs', async (t) => {
  const upstream = await echoingUpstream(t, jsonEcho)
  const logLines: string[] = []
  const gateway = await startGateway(upstream, { logLines, config: { ANTHROPIC_API_KEYS: POOL_KEY } })
  t.teardown(() => gateway.close())
  // A client that pasted its key into the path: the 404 names the route it asked for.
  const response = await fetch(`${gateway.url}/v1/${CLIENT_KEY}`, { headers: authHeaders })
  const text = await response.text()
  t.equal(response.status, 404)
  t.match(JSON.parse(text), { error: { code: 'unknown_route', message: /\/v1\/\[redacted\]/ } })
  gateway.app.log.warn(`a line quoting ${CLIENT_KEY} and ${POOL_KEY}`)
  t.same(leaks(text + logLines.join('\n')), [])
  t.ok(logLines.some((line) => line.includes('a line quoting [redacted] and [redacted]')), 'the line is written, redacted')
})

// ---------------------------------------------------------------------------------------------
// The pass-through and every other relay: 2xx headers, error frames in 200 streams, keys written
// with JSON escapes, error types, key reasons and redirects (issue 19, item 5)
// ---------------------------------------------------------------------------------------------

const MESSAGE = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } }
const MESSAGES_BODY = { ...CHAT, max_tokens: 16 }

/** A key as a JSON string can spell it without one plain hyphen: `sk\u002dant\u002d…`. */
function escapedKey (key: string): string {
  return key.replace(/-/g, '\\u002d')
}

/** What a text holds once its JSON string escapes are read, as a client's JSON parser reads them. */
function decoded (text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

function keyOf (request: IncomingMessage): string {
  return String(request.headers['x-api-key'])
}

async function messagesCall (t: Tap, answer: Echo, mirror: boolean, stream = false): Promise<{ status: number; text: string; headers: string; logs: string }> {
  const upstream = await echoingUpstream(t, answer)
  const logLines: string[] = []
  const gateway = await startGateway(upstream, {
    logLines,
    config: { ANTHROPIC_API_KEYS: POOL_KEY, RETRY_COUNT: 1, LOG_LEVEL: 'trace', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror', KEY_RECHECK_SECONDS: 0 }
  })
  t.teardown(() => gateway.close())
  const headers = { 'x-api-key': mirror ? MIRROR_KEY : CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
  const response = await fetch(`${gateway.url}${mirror ? '/mirror' : ''}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ ...MESSAGES_BODY, stream }) })
  const text = await response.text()
  return { status: response.status, text, headers: JSON.stringify([...response.headers]), logs: logLines.join('\n') }
}

for (const mirror of [false, true]) {
  const via = mirror ? 'mirror key' : 'pool key'
  test(`${via}: the headers of a 200 pass-through answer are redacted too`, async (t) => {
    const result = await messagesCall(t, (request, response) => {
      const key = keyOf(request)
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${key}`, 'retry-after-ms': key, 'anthropic-ratelimit-requests-remaining': `1 ${key}` })
      response.end(JSON.stringify(MESSAGE))
    }, mirror)
    t.equal(result.status, 200)
    t.match(result.headers, /req_\[redacted\]/, 'the header is relayed, the key replaced')
    t.same(leaks(result.headers), [], 'no header carries the key')
  })

  test(`${via}: an event: error frame inside a 200 pass-through stream is redacted, escaped keys included, and its type checked`, async (t) => {
    const result = await messagesCall(t, (request, response) => {
      const key = keyOf(request)
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      const start = { type: 'message_start', message: { ...MESSAGE, content: [], stop_reason: null } }
      response.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`)
      // The frame arrives in two pieces, split inside the key.
      const frame = `event: error\ndata: {"type":"error","error":{"type":"weird_${escapedKey(key)}","message":"failed for ${key} and ${escapedKey(key)}"}}\n\n`
      response.write(frame.slice(0, 60))
      setTimeout(() => response.end(frame.slice(60)), 20)
    }, mirror, true)
    t.equal(result.status, 200)
    t.match(result.text, /event: message_start/, 'the stream is relayed')
    t.match(result.text, /event: error\ndata: .*"type":"api_error".*failed for \[redacted\] and \[redacted\]/, 'the error frame arrives, its type made api_error, its keys replaced')
    t.same(leaks(decoded(result.text)), [], 'no key, however written')
    t.same(leaks(decoded(result.logs)), [])
  })

  test(`${via}: a 400 body spelling the key with JSON escapes is redacted, on the pass-through and on chat`, async (t) => {
    const answer: Echo = (request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(`{"type":"error","error":{"type":"invalid_request_error","message":"key ${escapedKey(keyOf(request))} may not use this"}}`)
    }
    const messages = await messagesCall(t, answer, mirror)
    t.equal(messages.status, 400)
    t.match(JSON.parse(messages.text), { type: 'error', error: { type: 'invalid_request_error', message: 'key [redacted] may not use this' } })
    t.same(leaks(decoded(messages.text + messages.headers + messages.logs)), [])
    const chat = await run(t, answer, false, mirror)
    t.equal(chat.status, 400)
    t.match(JSON.parse(chat.text), { error: { message: /key \[redacted\] may not use this/ } })
    t.same(leaks(decoded(chat.text + chat.headers + chat.logs)), [])
  })

  test(`${via}: an error type that is not one of Anthropic's becomes api_error`, async (t) => {
    const answer: Echo = (request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ type: 'error', error: { type: `custom_${keyOf(request).slice(13, 40)}`, message: 'no' } }))
    }
    const messages = await messagesCall(t, answer, mirror)
    t.equal(messages.status, 400)
    t.match(JSON.parse(messages.text), { type: 'error', error: { type: 'api_error', message: 'no' } })
    const chat = await run(t, answer, false, mirror)
    t.match(JSON.parse(chat.text), { error: { code: 'api_error' } })
    t.same(leaks(messages.text + chat.text + chat.logs), [])
  })
}

test('a key rejected with a made-up error type is disabled with a reason of the gateway\'s own words; /status and the page show no upstream text', async (t) => {
  const upstream = await echoingUpstream(t, (request, response) => {
    response.writeHead(401, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ type: 'error', error: { type: `authentication_error_for_${keyOf(request).slice(13, 40)}_<script>`, message: 'invalid x-api-key' } }))
  })
  const gateway = await startGateway(upstream, { config: { ANTHROPIC_API_KEYS: POOL_KEY, RETRY_COUNT: 1, KEY_RECHECK_SECONDS: 0 } })
  t.teardown(() => gateway.close())
  const chat = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify(CHAT) })
  t.ok(chat.status >= 400)
  const status = await fetch(`${gateway.url}/status`, { headers: authHeaders })
  const body = await status.json() as { keys: Array<{ state: string; disabledReason: string | null }> }
  t.equal(body.keys[0].state, 'disabled')
  t.equal(body.keys[0].disabledReason, '401 api_error', 'the reason holds the status and a known type only')
  const page = await (await fetch(`${gateway.url}/`)).text()
  t.same(leaks(JSON.stringify(body) + page), [])
  t.notMatch(page, /authentication_error_for_/)
})

test('an upstream redirect is not followed: the key never goes to another origin, the caller gets 502 in its own shape', async (t) => {
  const elsewhere: string[] = []
  const other = await echoingUpstream(t, (request, response) => {
    elsewhere.push(JSON.stringify(request.headers))
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(MESSAGE))
  })
  const answer: Echo = (request, response) => {
    response.writeHead(307, { location: `${other}${request.url ?? '/'}` })
    response.end()
  }
  for (const mirror of [false, true]) {
    const messages = await messagesCall(t, answer, mirror)
    t.equal(messages.status, 502, 'messages: 502')
    t.match(JSON.parse(messages.text), { type: 'error', error: { type: 'api_error', message: /redirect/ } })
    const chat = await run(t, answer, false, mirror)
    t.equal(chat.status, 502, 'chat: 502')
    t.match(JSON.parse(chat.text), { error: { type: 'server_error', code: 'upstream_redirect' } })
  }
  t.same(elsewhere, [], 'nothing reached the other origin')
})
