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
