// Responses WebSocket mode (GET /v1/responses with an upgrade): turns over one socket, in-band
// errors, previous_response_id within and across connections, warm-up, bounds and the 426 when off.
import t, { type Test } from 'tap'

import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, CLIENT_KEY, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { ResponsesSocket } from '../helpers/responses-socket.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t)
const MODEL = 'claude-haiku-4-5-20251001'

const create = (fields: Record<string, unknown>): Record<string, unknown> => ({ type: 'response.create', model: MODEL, ...fields })

async function openSocket (t: Test, path?: string): Promise<ResponsesSocket> {
  const socket = await ResponsesSocket.open(h.url, path)
  t.teardown(async () => await socket.close())
  return socket
}

t.test('two turns on one socket: the same events as SSE, the second continues the first with store:false', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'The code word is cobalt.' }] }, { content: [{ type: 'text', text: 'cobalt' }] })
  const socket = await openSocket(t)
  const first = await socket.turn(create({ store: false, input: 'Remember the code word: cobalt.' }))
  t.same(first.events.map((event) => event.type).slice(0, 2), ['response.created', 'response.in_progress'])
  t.equal(first.events.at(-1).type, 'response.completed')
  t.same(first.events.map((event) => event.sequence_number), first.events.map((_, index) => index), 'sequence numbers count from 0')
  t.equal(first.response.status, 'completed')
  t.equal(first.response.store, false)
  t.equal(first.response.output[0].content[0].text, 'The code word is cobalt.')

  const second = await socket.turn(create({ store: false, previous_response_id: first.response.id, input: 'What is the code word?' }))
  t.equal(second.response.status, 'completed')
  t.equal(second.response.previous_response_id, first.response.id)
  const sent = h.stub.requests[1].body
  t.same(sent.messages.map((message: { role: string }) => message.role), ['user', 'assistant', 'user'])
  t.match(JSON.stringify(sent.messages[1]), 'The code word is cobalt.')
})

t.test('a tool call and its output over the socket', async (t) => {
  h.stub.reset()
  h.stub.enqueue(
    { content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }], stop_reason: 'tool_use' },
    { content: [{ type: 'text', text: 'It is sunny in Paris.' }] }
  )
  const socket = await openSocket(t)
  const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]
  const first = await socket.turn(create({ store: false, tools, input: 'Weather in Paris?' }))
  const call = first.response.output.find((item: { type: string }) => item.type === 'function_call')
  t.equal(call.name, 'get_weather')
  t.same(JSON.parse(call.arguments), { city: 'Paris' })
  t.ok(first.events.some((event) => event.type === 'response.function_call_arguments.done'))
  const second = await socket.turn(create({ store: false, tools, previous_response_id: first.response.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '22°C, sunny' }] }))
  t.equal(second.response.output[0].content[0].text, 'It is sunny in Paris.')
  const result = h.stub.requests[1].body.messages[2].content[0]
  t.equal(result.type, 'tool_result')
  t.equal(result.tool_use_id, 'toolu_1')
})

t.test('errors are in-band frames with a status, and the socket stays open for the next turn', async (t) => {
  h.stub.reset()
  const socket = await openSocket(t)
  socket.send('not json')
  t.match(await socket.next(), { type: 'error', status: 400, error: { code: 'invalid_json' } })
  socket.send({ type: 'session.update' })
  t.match(await socket.next(), { type: 'error', status: 400, error: { code: 'unsupported_event_type', param: 'type' } })
  const missingModel = await socket.turn({ type: 'response.create', input: 'hi' })
  t.match(missingModel.error, { type: 'error', status: 400, error: { type: 'invalid_request_error', param: 'model' } })
  const badItem = await socket.turn(create({ input: [{ type: 'tool_search_call' }] }))
  t.match(badItem.error, { status: 400, error: { code: 'unsupported_item_type', param: 'input[0].type' } })
  h.stub.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long' })
  const upstream = await socket.turn(create({ input: 'hi' }))
  t.match(upstream.error, { type: 'error', status: 400 })
  t.equal(h.stub.requests.length, 1)
  const ok = await socket.turn(create({ input: 'hi' }))
  t.equal(ok.response.status, 'completed', 'the connection still serves turns')
  t.notOk(socket.closed)
})

t.test('previous_response_id: unknown ids, store:false ids on a new connection, and eviction after a failed continuation', async (t) => {
  h.stub.reset()
  const socket = await openSocket(t)
  const unknown = await socket.turn(create({ store: false, previous_response_id: 'resp_never_made', input: 'hi' }))
  t.match(unknown.error, { status: 400, error: { code: 'previous_response_not_found', param: 'previous_response_id' } })

  const first = await socket.turn(create({ store: false, input: 'Remember: ember.' }))
  t.equal(first.response.status, 'completed')
  const elsewhere = await openSocket(t)
  const reconnect = await elsewhere.turn(create({ store: false, previous_response_id: first.response.id, input: 'go on' }))
  t.match(reconnect.error, { error: { code: 'previous_response_not_found' } }, 'a store:false response lives only in its connection')
  const recovery = await elsewhere.turn(create({ store: false, input: 'start again' }))
  t.equal(recovery.response.status, 'completed')

  const failed = await socket.turn(create({ store: false, previous_response_id: first.response.id, input: [{ type: 'function_call_output', call_id: 'call_missing', output: 'nothing called this' }] }))
  t.ok(failed.error !== undefined || failed.response?.status === 'failed', 'the continuation fails')
  const retry = await socket.turn(create({ store: false, previous_response_id: first.response.id, input: 'try again' }))
  t.match(retry.error, { error: { code: 'previous_response_not_found' } }, 'the failed continuation evicted the response')

  const stored = await socket.turn(create({ input: 'stored one' }))
  const later = await elsewhere.turn(create({ previous_response_id: stored.response.id, input: 'continue it' }))
  t.equal(later.response.status, 'completed', 'a stored response continues on any connection')
})

t.test('generate:false warms up without calling the model; the next turn sends only new input', async (t) => {
  h.stub.reset()
  const socket = await openSocket(t)
  const warm = await socket.turn(create({ store: false, generate: false, instructions: 'Be brief.', input: 'First question.' }))
  t.equal(warm.response.status, 'completed')
  t.same(warm.response.output, [])
  t.equal(h.stub.requests.length, 0, 'no upstream call')
  const turn = await socket.turn(create({ store: false, instructions: 'Be brief.', previous_response_id: warm.response.id, input: 'Second part.' }))
  t.equal(turn.response.status, 'completed')
  t.equal(h.stub.requests.length, 1)
  t.match(JSON.stringify(h.stub.requests[0].body.messages), /First question\..*Second part\./s)
})

t.test('one turn in flight per socket; a second response.create meanwhile is refused in-band', async (t) => {
  const slow = await openHarness(t, {}, { eventDelayMs: 40 })
  const socket = await ResponsesSocket.open(slow.url)
  t.teardown(async () => await socket.close())
  socket.send(create({ input: 'one' }))
  socket.send(create({ input: 'two' }))
  const frames: any[] = []
  while (!frames.some((frame) => frame.type === 'response.completed')) frames.push(await socket.next())
  const refused = frames.find((frame) => frame.type === 'error')
  t.match(refused, { status: 409, error: { code: 'response_in_progress' } })
  t.equal(slow.stub.requests.length, 1)
})

t.test('a client that disconnects mid-turn aborts the upstream call', async (t) => {
  const slow = await openHarness(t, {}, { eventDelayMs: 50, chunkSize: 2 })
  slow.stub.enqueue({ content: [{ type: 'text', text: 'a long answer that streams slowly in small pieces' }] })
  const socket = await ResponsesSocket.open(slow.url)
  socket.send(create({ input: 'go' }))
  t.equal((await socket.next()).type, 'response.created')
  socket.ws.terminate()
  for (let waited = 0; slow.stub.aborted === 0 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(slow.stub.aborted, 1)
})

t.test('the upgrade is authenticated like every route, and served under /hf/v1 too', async (t) => {
  const refused = await ResponsesSocket.open(h.url, '/v1/responses', {}).catch((error: { status?: number }) => error)
  t.equal((refused as { status?: number }).status, 401)
  const wrong = await ResponsesSocket.open(h.url, '/v1/responses', { 'x-api-key': 'wrong' }).catch((error: { status?: number }) => error)
  t.equal((wrong as { status?: number }).status, 401)
  h.stub.reset()
  const hf = await openSocket(t, '/hf/v1/responses')
  t.equal((await hf.turn(create({ input: 'hi' }))).response.status, 'completed')
  const plain = await fetch(`${h.url}/v1/responses`, { headers: { authorization: `Bearer ${UPSTREAM_KEYS[0]}` } })
  t.equal(plain.status, 401)
})

t.test('bounds: frame size and sockets per client; shutdown closes sockets with 1001', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { BODY_LIMIT: 4096, RESPONSES_WEBSOCKET_PER_CLIENT: 2 } })
  t.teardown(async () => { await stub.close() })
  const one = await ResponsesSocket.open(gateway.url)
  const two = await ResponsesSocket.open(gateway.url)
  const third = await ResponsesSocket.open(gateway.url).catch((error: { status?: number }) => error)
  t.equal((third as { status?: number }).status, 429, 'a third socket for the same key is refused at the upgrade')
  one.send('x'.repeat(8192))
  while (!one.closed) await one.next()
  t.equal(one.closed.code, 1009, 'a frame over BODY_LIMIT closes the socket (message too big)')
  await gateway.close()
  while (!two.closed) await two.next()
  t.match(two.closed, { code: 1001, reason: 'server shutting down' })
})

t.test('a socket idle for RESPONSES_WEBSOCKET_IDLE_MS is closed with 1001', async (t) => {
  const idle = await openHarness(t, { RESPONSES_WEBSOCKET_IDLE_MS: 300 })
  const socket = await ResponsesSocket.open(idle.url)
  t.equal(await socket.next(), undefined)
  t.match(socket.closed, { code: 1001, reason: 'idle timeout' })
})

t.test('RESPONSES_WEBSOCKET=false: an upgrade gets 426 so clients fall back to HTTP at once', async (t) => {
  const off = await openHarness(t, { RESPONSES_WEBSOCKET: false })
  const refused = await ResponsesSocket.open(off.url).catch((error: { status?: number }) => error)
  t.equal((refused as { status?: number }).status, 426)
  const plain = await fetch(`${off.url}/v1/responses`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })
  t.equal(plain.status, 426)
  t.match(await plain.json(), { error: { code: 'upgrade_required' } })
})



t.test('under the mirror prefix the upgrade takes the caller\'s own Anthropic key, which the turns then use', async (t) => {
  const mirror = await openHarness(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' })
  const callerKey = anthropicApiKey('websocket-caller')
  const refused = await ResponsesSocket.open(mirror.url, '/mirror/v1/responses').catch((error: { status?: number }) => error)
  t.equal((refused as { status?: number }).status, 401, 'a client key is not an Anthropic key')
  const socket = await ResponsesSocket.open(mirror.url, '/mirror/v1/responses', { authorization: `Bearer ${callerKey}` })
  t.teardown(async () => await socket.close())
  const turn = await socket.turn(create({ input: 'hi' }))
  t.equal(turn.response.status, 'completed')
  t.equal(mirror.stub.requests.at(-1)?.key, callerKey, 'the upstream call used the caller\'s key')
})
