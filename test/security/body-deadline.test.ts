/**
 * Raw sockets that send slowly or send too much: a body that does not arrive within
 * BODY_TIMEOUT_MS gets 408 and the connection is closed; a request refused before its body was
 * read (401) gets `connection: close` and the server stops reading instead of draining it.
 */
import { connect, type Socket } from 'node:net'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

async function gateway (t: Tap, config: Record<string, unknown> = {}): Promise<RunningGateway> {
  const stub = await startAnthropicStub()
  const running = await startGateway(stub.url, { config })
  t.teardown(async () => { await running.close(); await stub.close() })
  return running
}

interface Outcome { response: string; closedByServer: boolean; bytesSent: number }

/**
 * Sends `head`, then the body in `chunk`s, one per `everyMs`, until `total` bytes are sent or the
 * server closes the connection; resolves with what the server answered once the socket is closed.
 */
async function send (url: string, head: string, options: { chunk: Buffer; total: number; everyMs: number }): Promise<Outcome> {
  const { port } = new URL(url)
  const socket: Socket = connect(Number(port), '127.0.0.1')
  let response = ''
  let bytesSent = 0
  let closed = false
  let serverEnded = false
  socket.on('data', (data) => { response += data.toString('latin1') })
  socket.on('end', () => { serverEnded = true })
  socket.on('error', () => { serverEnded = true })
  const done = new Promise<void>((resolve) => socket.on('close', () => { closed = true; resolve() }))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(head)
  while (!closed && bytesSent < options.total) {
    const piece = options.chunk.subarray(0, Math.min(options.chunk.length, options.total - bytesSent))
    const flushed = socket.write(piece)
    bytesSent += piece.length
    if (!flushed) await new Promise<void>((resolve) => { socket.once('drain', resolve); socket.once('close', resolve) })
    if (options.everyMs > 0) await new Promise((resolve) => setTimeout(resolve, options.everyMs))
  }
  if (!closed) socket.end()
  await done
  return { response, closedByServer: serverEnded, bytesSent }
}

function chatHead (length: number, auth: boolean): string {
  const authLine = auth ? `Authorization: ${authHeaders.authorization}\r\n` : ''
  return `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${authLine}Content-Length: ${length}\r\n\r\n`
}

test('a body that trickles in past BODY_TIMEOUT_MS is answered 408 and the connection closed', async (t) => {
  const running = await gateway(t, { BODY_TIMEOUT_MS: 300 })
  // 1 byte every 100 ms of a 10,000-byte body: it could never finish in time.
  const outcome = await send(running.url, chatHead(10_000, true), { chunk: Buffer.from('{'), total: 10_000, everyMs: 100 })
  t.match(outcome.response, /^HTTP\/1\.1 408 /, 'answered 408')
  t.match(outcome.response, /"code":"malformed_request"|"type":"invalid_request_error"/, 'with an OpenAI error body')
  t.ok(outcome.closedByServer, 'the server closed the connection')
  t.ok(outcome.bytesSent < 10_000, 'before the whole body was sent')
})

test('a body refused before it is read (401) closes the connection instead of draining it', async (t) => {
  const running = await gateway(t)
  const total = 300 * 1024 * 1024
  const outcome = await send(running.url, chatHead(total, false), { chunk: Buffer.alloc(256 * 1024, 0x20), total, everyMs: 0 })
  t.match(outcome.response, /^HTTP\/1\.1 401 /, 'answered 401')
  t.match(outcome.response, /\r\nconnection: close\r\n/i, 'saying the connection closes')
  t.ok(outcome.closedByServer, 'the server closed it')
  t.ok(outcome.bytesSent < total, 'the client could not push the whole body')
})

test('a request whose body was read keeps its connection (keep-alive)', async (t) => {
  const running = await gateway(t)
  const body = JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] })
  const response = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body })
  t.equal(response.status, 200)
  t.not(response.headers.get('connection'), 'close')
})

test('after the 408 the server closes the connection fully: no socket left half-closed for a client that keeps its side open', async (t) => {
  const running = await gateway(t, { BODY_TIMEOUT_MS: 300 })
  const { port } = new URL(running.url)
  // allowHalfOpen: this client does not close its side when the server ends its own.
  const socket = connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => { socket.destroy() })
  let response = ''
  socket.on('data', (data) => { response += data.toString('latin1') })
  socket.on('error', () => {})
  const ended = new Promise<void>((resolve) => { socket.once('end', resolve); socket.once('close', resolve) })
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(chatHead(10_000, true) + '{')
  await ended
  t.match(response, /^HTTP\/1\.1 408 /, 'answered 408')
  const connections = async (): Promise<number> => await new Promise((resolve) => running.app.server.getConnections((_error, count) => resolve(count)))
  // The client never ends its side; the server must not wait for it. Polled, with a generous bound.
  for (let waited = 0; waited < 5000 && await connections() > 0; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await connections(), 0, 'the server holds no socket for the connection')
})
