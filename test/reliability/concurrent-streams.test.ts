// @run-alone: a thousand concurrent streams load the machine on purpose; other files beside it would slow both.
import { request, Agent, type IncomingMessage } from 'node:http'
import { createServer, connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub, type RecordedRequest } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway } from '../helpers/gateway.js'

const STREAMS = 1000

function answerFor (prompt: string): string {
  return `Stream ${prompt} says: ${prompt.split('').reverse().join('')} and nothing else.`
}

function promptOf (upstream: RecordedRequest): string {
  const content = upstream.body?.messages?.at(-1)?.content
  return typeof content === 'string' ? content : (content ?? []).map((block: { text?: string }) => block.text ?? '').join('')
}

/** Reads one SSE answer: its joined content and whether it finished cleanly with [DONE]. */
async function readStream (response: IncomingMessage): Promise<{ content: string; finished: boolean }> {
  let text = ''
  response.setEncoding('utf8')
  for await (const piece of response as AsyncIterable<string>) text += piece
  const payloads = text.split('\n\n').filter(Boolean).map((event) => event.slice('data: '.length))
  const chunks = payloads.filter((payload) => payload !== '[DONE]').map((payload) => JSON.parse(payload))
  const content = chunks.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('')
  const finished = payloads.at(-1) === '[DONE]' && chunks.some((chunk) => chunk.choices?.[0]?.finish_reason === 'stop')
  return { content, finished }
}

/**
 * A loopback TCP relay in front of the stub that lets requests through but holds every answer
 * back until released, so all the streams are open at the same time whatever the machine's speed.
 */
interface HoldingRelay { url: string; release: () => void; close: () => Promise<void> }

async function startHoldingRelay (target: string): Promise<HoldingRelay> {
  const { port } = new URL(target)
  const sockets = new Set<Socket>()
  const held: Array<() => void> = []
  let released = false
  const server = createServer((inbound) => {
    const outbound = connect(Number(port), '127.0.0.1')
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    inbound.pipe(outbound)
    const flow = (): void => { outbound.pipe(inbound) }
    if (released) flow()
    else held.push(flow)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    release: () => {
      released = true
      for (const flow of held.splice(0)) flow()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

async function streamChat (url: string, agent: Agent, prompt: string): Promise<{ status: number; content: string; finished: boolean }> {
  const body = JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: prompt }], stream: true })
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = request(`${url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, agent }, resolve)
    outgoing.on('error', reject)
    outgoing.end(body)
  })
  return { status: response.statusCode ?? 0, ...(await readStream(response)) }
}

test(`${STREAMS} concurrent streams each get their own complete answer`, async (t) => {
  const stub = await startAnthropicStub()
  stub.respondWith((upstream) => ({ content: [{ type: 'text', text: answerFor(promptOf(upstream)) }] }))
  const relay = await startHoldingRelay(stub.url)
  const gateway = await startGateway(relay.url)
  // One connection per stream: the gateway holds 1000 client and 1000 upstream sockets.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  t.teardown(async () => {
    agent.destroy()
    await gateway.close()
    await relay.close()
    await stub.close()
  })

  const started = Date.now()
  const prompts = Array.from({ length: STREAMS }, (_, index) => `#${index}-${(index * 7919).toString(36)}`)
  const streams = Promise.all(prompts.map(async (prompt) => await streamChat(gateway.url, agent, prompt)))
  const until = Date.now() + 40000
  while (stub.requests.length < STREAMS && Date.now() < until) await sleep(20)
  const allInFlight = stub.requests.length === STREAMS
  const releasedAt = Date.now()
  relay.release()
  const results = await streams
  const finished = Date.now()

  const wrong = results.filter((result, index) => result.status !== 200 || !result.finished || result.content !== answerFor(prompts[index]))
  t.comment(`${STREAMS} concurrent streams: all in flight after ${releasedAt - started} ms, all answered ${finished - releasedAt} ms later (${finished - started} ms in all); ${wrong.length} wrong or incomplete`)
  t.ok(allInFlight, 'every upstream request was in flight before any answer came back')
  t.equal(wrong.length, 0, 'every stream complete with its own content')
  t.equal(stub.requests.length, STREAMS, 'one upstream request per stream')
})
