import { request, type IncomingMessage } from 'node:http'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway } from '../helpers/gateway.js'

const BLOCK_CHARS = 256 * 1024
const BLOCKS = 128
const TOTAL_CHARS = BLOCK_CHARS * BLOCKS
const MB = 1024 * 1024

/** A loopback TCP relay in front of the stub that counts the bytes the gateway has accepted from it. */
interface CountingRelay { url: string; upstreamBytes: () => number; close: () => Promise<void> }

async function startCountingRelay (target: string): Promise<CountingRelay> {
  const { port } = new URL(target)
  let upstreamBytes = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(port), '127.0.0.1')
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    outbound.on('data', (chunk: Buffer) => { upstreamBytes += chunk.length })
    // pipe() stops reading from the stub while the gateway does not take what was relayed.
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${address.port}`,
    upstreamBytes: () => upstreamBytes,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Opens the stream and hands back the response without reading any of it. */
async function openUnreadStream (url: string): Promise<IncomingMessage> {
  const body = JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'A very long answer, please' }], stream: true })
  return await new Promise((resolve, reject) => {
    const outgoing = request(`${url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, agent: false }, (response) => {
      response.pause()
      resolve(response)
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Samples a counter until it stops moving (the relay is blocked) or the time is up. */
async function waitForPlateau (read: () => number, limitMs: number): Promise<{ value: number; stable: boolean }> {
  const until = Date.now() + limitMs
  let previous = -1
  let stableSamples = 0
  while (Date.now() < until) {
    await sleep(200)
    const value = read()
    stableSamples = value > 0 && value === previous ? stableSamples + 1 : 0
    if (stableSamples >= 3) return { value, stable: true }
    previous = value
  }
  return { value: read(), stable: false }
}

/** Reads the rest of the SSE body: the joined text content and whether it ended with [DONE]. */
async function readContent (response: IncomingMessage): Promise<{ chars: number; onlyExpected: boolean; done: boolean }> {
  let text = ''
  let chars = 0
  let onlyExpected = true
  let done = false
  response.setEncoding('utf8')
  for await (const piece of response as AsyncIterable<string>) {
    text += piece
    let boundary = text.indexOf('\n\n')
    while (boundary !== -1) {
      const payload = text.slice('data: '.length, boundary)
      text = text.slice(boundary + 2)
      boundary = text.indexOf('\n\n')
      if (payload === '[DONE]') {
        done = true
        continue
      }
      const content: unknown = JSON.parse(payload).choices?.[0]?.delta?.content
      if (typeof content !== 'string') continue
      chars += content.length
      if (/[^x]/.test(content)) onlyExpected = false
    }
  }
  return { chars, onlyExpected, done }
}

test('a client that stops reading holds the upstream back instead of making the gateway buffer the answer', async (t) => {
  const stub = await startAnthropicStub({ chunkSize: 64 * 1024 })
  const block = 'x'.repeat(BLOCK_CHARS)
  stub.respondWith(() => ({ content: Array.from({ length: BLOCKS }, () => ({ type: 'text' as const, text: block })) }))
  const relay = await startCountingRelay(stub.url)
  // An idle timeout far shorter than the pause: waiting on the client must not count as upstream silence.
  const gateway = await startGateway(relay.url, { config: { IDLE_TIMEOUT_MS: 300 } })
  let clientConnection: Socket | undefined
  gateway.app.server.once('connection', (socket: Socket) => { clientConnection = socket })
  t.teardown(async () => {
    await gateway.close()
    await relay.close()
    await stub.close()
  })

  const response = await openUnreadStream(gateway.url)
  const plateau = await waitForPlateau(relay.upstreamBytes, 15000)
  const queuedInGateway = clientConnection?.writableLength ?? Infinity
  const totalMb = (TOTAL_CHARS / MB).toFixed(0)
  t.comment(`client paused: the gateway took ${(plateau.value / MB).toFixed(1)} MB of the ${totalMb} MB answer, then the upstream was held back; ${(queuedInGateway / 1024).toFixed(0)} KB queued on the client socket`)
  t.ok(plateau.stable, 'the upstream stopped sending while the client read nothing')
  t.ok(plateau.value < TOTAL_CHARS / 2, 'less than half of the answer left the upstream')
  t.ok(queuedInGateway < 1 * MB, 'the gateway keeps less than 1 MB queued for the slow client')

  const received = await readContent(response)
  t.equal(received.chars, TOTAL_CHARS, 'once the client reads, the whole answer arrives')
  t.ok(received.onlyExpected, 'and only the answer')
  t.ok(received.done, 'ending with [DONE], not cut by the idle timeout during the pause')
})
