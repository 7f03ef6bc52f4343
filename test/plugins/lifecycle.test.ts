// Closing the gateway (fastify.close(), as server.ts does on SIGTERM) waits only for requests being
// answered, not for connections that carry none.
import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway, type GatewayOptions, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

/**
 * In these tests nothing but the gateway ends the connections: the clients stay on, the server's
 * keepAliveTimeout is set to 10 minutes and its connection checker stops when close() begins. A
 * close() that waits for them never resolves; this bound only turns that into a failure instead of
 * tap's timeout, and is no claim about how fast a close is.
 */
const HANG_BOUND_MS = 20_000

interface Setup { stub: AnthropicStub; gateway: RunningGateway; close: () => Promise<'closed' | 'still waiting'> }

async function setup (t: Tap, stubOptions: Parameters<typeof startAnthropicStub>[0] = {}, gatewayOptions: GatewayOptions = {}): Promise<Setup> {
  const stub = await startAnthropicStub(stubOptions)
  const gateway = await startGateway(stub.url, gatewayOptions)
  gateway.app.server.keepAliveTimeout = 10 * 60_000
  let closing: Promise<void> | undefined
  t.teardown(async () => {
    // After a failed assertion the stuck connections go, so that the file ends.
    gateway.app.server.closeAllConnections()
    await (closing ?? gateway.close())
    await stub.close()
  })
  const close = async (): Promise<'closed' | 'still waiting'> => {
    closing = gateway.close()
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<'still waiting'>((resolve) => { timer = setTimeout(() => resolve('still waiting'), HANG_BOUND_MS) })
    try {
      return await Promise.race([closing.then(() => 'closed' as const), bound])
    } finally {
      clearTimeout(timer)
    }
  }
  return { stub, gateway, close }
}

/** A TCP connection to the gateway that sends nothing, once the gateway has accepted it, and its end. */
async function silentConnection (t: Tap, server: FastifyInstance['server']): Promise<{ socket: Socket; ended: Promise<true> }> {
  const accepted = once(server, 'connection')
  const { port } = server.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  t.teardown(() => { socket.destroy() })
  const ended = once(socket, 'end').then(() => true as const)
  await accepted
  return { socket, ended }
}

test('a connection that never sent a request does not hold close() up: the gateway ends it', async (t) => {
  // What undici's fetch leaves behind after an aborted request while it has a second connection
  // open: it connects again to drop the aborted request from its queue, then sends nothing.
  const { gateway, close } = await setup(t)
  const silent = await silentConnection(t, gateway.app.server)
  const outcome = await close()
  t.equal(outcome, 'closed', 'close() resolves')
  // Asked only once closed: a connection the gateway kept open would never end.
  if (outcome === 'closed') t.ok(await silent.ended, 'the server ended the silent connection')
})

test('a keep-alive connection whose stream ends after close() began is ended, the stream complete', async (t) => {
  const { gateway, close, stub } = await setup(t, { eventDelayMs: 20, chunkSize: 5 })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'word '.repeat(100) }] }))
  let finishedWhileClosing: boolean | undefined
  gateway.app.server.once('request', (_request, response) => {
    response.once('finish', () => { finishedWhileClosing = gateway.app.draining })
  })
  const answer = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Talk slowly' }], stream: true }) })
  t.equal(answer.headers.get('connection'), 'keep-alive', 'the client keeps its connection')
  const reader = answer.body!.getReader()
  const decoder = new TextDecoder()
  let text = decoder.decode((await reader.read()).value)
  const closed = close()
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value)
  t.ok(text.endsWith('data: [DONE]\n\n'), 'the running stream was not cut')
  t.equal(finishedWhileClosing, true, 'the answer ended while the gateway was closing')
  t.equal(await closed, 'closed', 'close() resolves')
})

test('a connection that arrives while close() runs its hooks is ended as well', async (t) => {
  let late: { ended: Promise<true> } | undefined
  // The hooks of plugins registered after the app run after the lifecycle plugin's own.
  const lateConnection = async (fastify: FastifyInstance): Promise<void> => {
    fastify.addHook('preClose', async () => { late = await silentConnection(t, fastify.server) })
  }
  const { close } = await setup(t, {}, { extraPlugins: [lateConnection] })
  const outcome = await close()
  t.equal(outcome, 'closed', 'close() resolves')
  t.ok(late, 'a connection was opened during close()')
  if (outcome === 'closed') t.ok(await late?.ended, 'the server ended the late connection')
})
