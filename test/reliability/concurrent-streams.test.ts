import { request, Agent, type IncomingMessage } from 'node:http'
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

async function streamChat (url: string, agent: Agent, prompt: string): Promise<{ status: number; content: string; finished: boolean }> {
  const body = JSON.stringify({ model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: prompt }], stream: true })
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = request(`${url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, agent }, resolve)
    outgoing.on('error', reject)
    outgoing.end(body)
  })
  return { status: response.statusCode ?? 0, ...(await readStream(response)) }
}

test(`${STREAMS} concurrent streams each get their own complete answer`, async (t) => {
  // Paced events keep every stream open for a while, so the streams really overlap.
  const stub = await startAnthropicStub({ eventDelayMs: 250 })
  stub.respondWith((upstream) => ({ content: [{ type: 'text', text: answerFor(promptOf(upstream)) }] }))
  const gateway = await startGateway(stub.url)
  // One connection per stream, all open at once: the gateway holds 1000 client and 1000 upstream sockets.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  t.teardown(async () => {
    agent.destroy()
    await gateway.close()
    await stub.close()
  })

  let peakUpstreamConnections = 0
  const sampler = setInterval(() => { peakUpstreamConnections = Math.max(peakUpstreamConnections, stub.openConnections()) }, 20)
  const started = Date.now()
  const prompts = Array.from({ length: STREAMS }, (_, index) => `#${index}-${(index * 7919).toString(36)}`)
  const results = await Promise.all(prompts.map(async (prompt) => await streamChat(gateway.url, agent, prompt)))
  const elapsed = Date.now() - started
  clearInterval(sampler)

  const wrong = results.filter((result, index) => result.status !== 200 || !result.finished || result.content !== answerFor(prompts[index]))
  t.comment(`${STREAMS} concurrent streams in ${elapsed} ms; ${wrong.length} wrong or incomplete; ${stub.requests.length} upstream requests, at most ${peakUpstreamConnections} upstream connections open at once`)
  t.equal(wrong.length, 0, 'every stream complete with its own content')
  t.equal(stub.requests.length, STREAMS, 'one upstream request per stream')
  t.ok(peakUpstreamConnections >= STREAMS / 2, 'the streams ran side by side')
  t.ok(elapsed < 45000, `finished in ${elapsed} ms`)
})
