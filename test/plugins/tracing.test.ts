import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, CLIENT_KEY, postChat, readSse, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'

const MODEL = 'claude-haiku-4-5-20251001'
const PROMPT = 'tracing-marker-prompt-7f3a'
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values: OtlpValue[] } }
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: Array<{ key: string; value: OtlpValue }>; status?: { code?: number } }

/** A minimal OTLP/HTTP receiver on loopback: keeps every JSON export it is sent. */
async function startReceiver (): Promise<{ url: string; bodies: string[]; spans: () => OtlpSpan[]; close: () => Promise<void> }> {
  const bodies: string[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.method === 'POST') bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () => bodies.flatMap((body) => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
      return parsed.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
    }),
    close: async () => { await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
}

function attribute (span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((entry) => entry.key === key)?.value
  if (value === undefined) return undefined
  if (value.arrayValue) return value.arrayValue.values.map((item) => item.stringValue)
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.stringValue ?? value.boolValue ?? value.doubleValue
}

const SERVER = 2
const CLIENT = 3
const ERROR = 2

test('a retried streamed chat request: one server span continuing the caller\'s trace, one child span per upstream attempt', async (t) => {
  const receiver = await startReceiver()
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })
  t.teardown(async () => { await stub.close(); await receiver.close() })
  t.equal(gateway.app.tracing.enabled, true)

  stub.enqueue({ kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' })
  const response = await postChat(gateway.url, { model: MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true }, { ...authHeaders, traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` })
  t.equal(response.status, 200)
  await readSse(response)
  // Closing the gateway flushes what the batch processor holds.
  await gateway.close()

  const spans = receiver.spans()
  const servers = spans.filter((span) => span.kind === SERVER)
  t.equal(servers.length, 1, 'one span for the request')
  const server = servers[0]!
  t.equal(server.traceId, TRACE_ID, 'the incoming trace is continued')
  t.equal(server.parentSpanId, PARENT_ID, 'under the caller\'s span')
  t.equal(server.name, 'POST /v1/chat/completions')
  t.equal(attribute(server, 'gen_ai.operation.name'), 'chat')
  t.equal(attribute(server, 'gen_ai.provider.name'), 'anthropic')
  t.equal(attribute(server, 'gen_ai.request.model'), MODEL)
  t.equal(attribute(server, 'gen_ai.response.model'), MODEL)
  t.equal(attribute(server, 'claude2api.protocol'), 'chat')
  t.equal(attribute(server, 'http.response.status_code'), 200)
  const input = attribute(server, 'gen_ai.usage.input_tokens')
  const output = attribute(server, 'gen_ai.usage.output_tokens')
  t.ok(typeof input === 'number' && input > 0, 'input tokens recorded')
  t.ok(typeof output === 'number' && output > 0, 'output tokens recorded')
  t.equal(attribute(server, 'gen_ai.usage.cache_read.input_tokens'), 0)
  t.same(attribute(server, 'gen_ai.response.finish_reasons'), ['end_turn'], 'the stream\'s stop reason')

  const attempts = spans.filter((span) => span.kind === CLIENT).sort((a, b) => Number(attribute(a, 'claude2api.upstream.attempt')) - Number(attribute(b, 'claude2api.upstream.attempt')))
  t.equal(attempts.length, 2, 'a failed attempt and a good one')
  for (const attempt of attempts) {
    t.equal(attempt.traceId, TRACE_ID)
    t.equal(attempt.parentSpanId, server.spanId, 'each attempt is a child of the request span')
    t.equal(attempt.name, `chat ${MODEL}`)
    t.equal(attribute(attempt, 'gen_ai.request.model'), MODEL)
  }
  t.equal(attribute(attempts[0]!, 'claude2api.upstream.outcome'), 'server_error')
  t.equal(attempts[0]!.status?.code, ERROR)
  t.equal(attribute(attempts[1]!, 'claude2api.upstream.outcome'), 'ok')
  t.not(attribute(attempts[0]!, 'claude2api.upstream.key'), attribute(attempts[1]!, 'claude2api.upstream.key'), 'the retry went to another key, and the spans say which')

  const exported = receiver.bodies.join('\n')
  t.notOk(exported.includes(PROMPT), 'no prompt text in the traces')
  t.notOk(exported.includes(CLIENT_KEY), 'no client key')
  for (const key of UPSTREAM_KEYS) t.notOk(exported.includes(key), 'no upstream key')
})

test('a named client\'s request span names the client, its group and what the request cost', async (t) => {
  const receiver = await startReceiver()
  const stub = await startAnthropicStub()
  const alice = 'c2a-alice-tracing-key-0123456789abcdefgh'
  const gateway = await startGateway(stub.url, { config: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, CLIENTS: JSON.stringify([{ name: 'alice', key: alice, group: 'backend' }]), GROUPS: JSON.stringify([{ name: 'backend' }]) } })
  t.teardown(async () => { await stub.close(); await receiver.close() })
  const response = await postChat(gateway.url, { model: MODEL, messages: [{ role: 'user', content: PROMPT }] }, { authorization: `Bearer ${alice}`, 'content-type': 'application/json' })
  t.equal(response.status, 200)
  await response.text()
  await gateway.app.ledger.flush()
  const rows = await gateway.app.teamsStore.ledgerRows({ from: 0, to: Date.now() + 1 }, 10)
  await gateway.close()
  const server = receiver.spans().find((span) => span.kind === SERVER)
  t.ok(server, 'the request span')
  t.equal(attribute(server!, 'claude2api.client'), 'alice')
  t.equal(attribute(server!, 'claude2api.group'), 'backend')
  const cost = attribute(server!, 'claude2api.cost_nano_usd')
  t.ok(typeof cost === 'number' && cost > 0, 'the cost is on the span')
  t.equal(cost, rows.find((row) => row.client === 'alice')?.costNanoUsd, 'the same cost as the ledger row')
  t.notOk(receiver.bodies.join('\n').includes(alice), 'no client key in the traces')
})

test('a Messages pass-through and a Responses request each get their protocol and usage', async (t) => {
  const receiver = await startReceiver()
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` } })
  t.teardown(async () => { await stub.close(); await receiver.close() })

  const messages = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: PROMPT }] }) })
  t.equal(messages.status, 200)
  await messages.text()
  const responses = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: MODEL, input: PROMPT }) })
  t.equal(responses.status, 200)
  await responses.text()
  await gateway.close()

  const servers = receiver.spans().filter((span) => span.kind === SERVER)
  const byProtocol = new Map(servers.map((span) => [attribute(span, 'claude2api.protocol'), span]))
  for (const protocol of ['messages', 'responses']) {
    const span = byProtocol.get(protocol)
    t.ok(span, `a ${protocol} span`)
    if (!span) continue
    t.equal(attribute(span, 'gen_ai.request.model'), MODEL)
    const output = attribute(span, 'gen_ai.usage.output_tokens')
    t.ok(typeof output === 'number' && output > 0, `${protocol}: output tokens recorded`)
    t.same(attribute(span, 'gen_ai.response.finish_reasons'), ['end_turn'], `${protocol}: the stop reason`)
    t.notOk(span.parentSpanId, 'no incoming traceparent: a new trace')
  }
  t.notOk(receiver.bodies.join('\n').includes(PROMPT), 'no prompt text in the traces')
})

test('without an OTLP endpoint tracing is off and the gateway answers as before', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  t.equal(gateway.app.tracing.enabled, false)
  const response = await postChat(gateway.url, { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
  t.equal(response.status, 200)
})
