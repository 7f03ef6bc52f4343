// The 17 checks of the Open Responses compliance suite (bin/compliance-test.ts and
// src/lib/compliance-tests.ts of github openresponses/openresponses, read at commit
// 92c12d96d7b61d6d15e2214daa5e9c6000ab6e1c of its fork Stars1233/openresponses, 2026-07-15),
// written as our own tests against the gateway and the strict stub. The suite itself is not
// vendored and nothing is fetched at run time; docs/responses.md says why and which checks a stub
// cannot stand in for a real model on.
import t, { type Test } from 'tap'
import type { RecordedRequest } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { errorFrameProblems, eventProblems, responseProblems } from '../helpers/open-responses.js'
import { ResponsesSocket, type SocketTurn } from '../helpers/responses-socket.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t)
const MODEL = 'claude-haiku-4-5-20251001'
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

// A stand-in for the model: it calls an offered tool once, summarises when asked, else says OK.
h.stub.respondWith((request: RecordedRequest) => {
  if (request.path !== '/v1/messages') return undefined
  const tools = request.body.tools as Array<{ name: string }> | undefined
  const answered = JSON.stringify(request.body.messages).includes('tool_result')
  if (tools && tools.length > 0 && request.body.tool_choice?.type !== 'none' && !answered) {
    return { content: [{ type: 'tool_use', id: 'toolu_compliance', name: tools[0].name, input: { location: 'San Francisco, CA' } }], stop_reason: 'tool_use' }
  }
  return { content: [{ type: 'text', text: 'OK. The code word and launch plan are noted.' }] }
})

async function post (path: string, body: unknown, stream = false): Promise<Response> {
  return await fetch(`${h.url}/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(stream ? { ...(body as object), stream: true } : body) })
}

async function httpCheck (t: Test, body: Record<string, unknown>): Promise<any> {
  const answer = await post('/responses', body)
  t.equal(answer.status, 200)
  const response: any = await answer.json()
  t.same(responseProblems(response), [], 'a conforming response object')
  t.ok(response.output.length > 0, 'it has output')
  return response
}

function completedTurn (t: Test, turn: SocketTurn, what: string): void {
  t.same(eventProblems(turn.events), [], `${what}: conforming events`)
  t.same(responseProblems(turn.response), [], `${what}: a conforming terminal response`)
  t.equal(turn.response?.status, 'completed', `${what}: completed`)
}

async function socket (t: Test): Promise<ResponsesSocket> {
  const opened = await ResponsesSocket.open(h.url)
  t.teardown(async () => await opened.close())
  return opened
}

t.test('basic-response', async (t) => {
  const response = await httpCheck(t, { model: MODEL, input: [{ type: 'message', role: 'user', content: 'Say hello in exactly 3 words.' }] })
  t.equal(response.status, 'completed')
})

t.test('assistant-phase: assistant history with phase labels is accepted', async (t) => {
  await httpCheck(t, {
    model: MODEL,
    input: [
      { type: 'message', role: 'assistant', phase: 'commentary', content: 'I should answer with the saved number.' },
      { type: 'message', role: 'assistant', phase: 'final_answer', content: 'The number is four.' },
      { type: 'message', role: 'user', content: 'Repeat only the number.' }
    ]
  })
})

t.test('streaming-response: SSE events that conform, ending completed', async (t) => {
  const answer = await post('/responses', { model: MODEL, input: [{ type: 'message', role: 'user', content: 'Count from 1 to 5.' }] }, true)
  const events = (await answer.text()).split('\n\n').flatMap((block) => block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6))))
  t.same(eventProblems(events), [])
  t.equal(events.at(-1).type, 'response.completed')
  t.same(responseProblems(events.at(-1).response), [])
})

t.test('websocket-response', async (t) => {
  const ws = await socket(t)
  completedTurn(t, await ws.turn({ type: 'response.create', model: MODEL, input: [{ type: 'message', role: 'user', content: 'Count from 1 to 3.' }] }), 'turn')
})

t.test('websocket-sequential-responses', async (t) => {
  const ws = await socket(t)
  completedTurn(t, await ws.turn({ type: 'response.create', model: MODEL, store: false, input: 'Reply with exactly: first' }), 'first')
  completedTurn(t, await ws.turn({ type: 'response.create', model: MODEL, store: false, input: 'Reply with exactly: second' }), 'second')
})

t.test('websocket-continuation', async (t) => {
  const ws = await socket(t)
  const first = await ws.turn({ type: 'response.create', model: MODEL, store: false, input: 'Remember the code word: cobalt. Reply with OK.' })
  completedTurn(t, first, 'first')
  completedTurn(t, await ws.turn({ type: 'response.create', model: MODEL, store: false, previous_response_id: first.response.id, input: 'What is the code word? Reply with only the code word.' }), 'continuation')
})

t.test('websocket-reconnect-store-false-recovery', async (t) => {
  const first = await (await socket(t)).turn({ type: 'response.create', model: MODEL, store: false, input: 'Remember the code word: copper. Reply with OK.' })
  completedTurn(t, first, 'first')
  const again = await socket(t)
  const reconnect = await again.turn({ type: 'response.create', model: MODEL, store: false, previous_response_id: first.response.id, input: 'Try to continue after reconnect. Reply with exactly: reconnected' })
  t.same(errorFrameProblems(reconnect.error), [])
  t.equal(reconnect.error?.error.code, 'previous_response_not_found')
  completedTurn(t, await again.turn({ type: 'response.create', model: MODEL, store: false, input: [{ type: 'message', role: 'user', content: 'Start a new response and reply with exactly: recovered' }] }), 'recovery')
})

t.test('websocket-previous-response-not-found', async (t) => {
  const turn = await (await socket(t)).turn({ type: 'response.create', model: MODEL, store: false, previous_response_id: `resp_openresponses_missing_${Date.now()}`, input: 'This should fail.' })
  t.same(errorFrameProblems(turn.error), [])
  t.equal(turn.error?.error.code, 'previous_response_not_found')
})

t.test('websocket-failed-continuation-evicts-cache', async (t) => {
  const ws = await socket(t)
  const first = await ws.turn({ type: 'response.create', model: MODEL, store: false, input: 'Remember the code word: ember. Reply with OK.' })
  completedTurn(t, first, 'first')
  const failed = await ws.turn({ type: 'response.create', model: MODEL, store: false, previous_response_id: first.response.id, input: [{ type: 'function_call_output', call_id: 'call_openresponses_missing', output: 'No matching tool call exists.' }] })
  t.ok(failed.error !== undefined || failed.response?.status === 'failed', 'the continuation fails')
  const retry = await ws.turn({ type: 'response.create', model: MODEL, store: false, previous_response_id: first.response.id, input: 'Reply with exactly: stale' })
  t.equal(retry.error?.error.code, 'previous_response_not_found')
})

t.test('websocket-compact-new-chain', async (t) => {
  const compacted = await post('/responses/compact', {
    model: MODEL,
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Remember the compaction code word: slate.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'OK.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Compress this conversation for later continuation.' }] }
    ]
  })
  t.equal(compacted.status, 200)
  const { output }: any = await compacted.json()
  completedTurn(t, await (await socket(t)).turn({ type: 'response.create', model: MODEL, store: false, tools: [], input: [...output, { type: 'message', role: 'user', content: 'Continue from here. Reply with exactly: compacted' }] }), 'new chain')
})

t.test('system-prompt', async (t) => {
  await httpCheck(t, { model: MODEL, input: [{ type: 'message', role: 'system', content: 'You are a pirate.' }, { type: 'message', role: 'user', content: 'Say hello.' }] })
})

t.test('tool-calling: a function_call item comes back', async (t) => {
  const response = await httpCheck(t, {
    model: MODEL,
    input: [{ type: 'message', role: 'user', content: "What's the weather like in San Francisco?" }],
    tools: [{ type: 'function', name: 'get_weather', description: 'Get the current weather for a location', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }]
  })
  t.ok(response.output.some((item: { type: string }) => item.type === 'function_call'))
  t.same(response.tools[0].strict, null, 'the echoed tool has strict')
})

t.test('image-input', async (t) => {
  await httpCheck(t, { model: MODEL, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What do you see?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}` }] }] })
})

t.test('multi-turn', async (t) => {
  await httpCheck(t, {
    model: MODEL,
    input: [
      { type: 'message', role: 'user', content: 'My name is Alice.' },
      { type: 'message', role: 'assistant', content: 'Hello Alice!' },
      { type: 'message', role: 'user', content: 'What is my name?' }
    ]
  })
})

t.test('compact-response', async (t) => {
  const answer = await post('/responses/compact', {
    model: MODEL,
    prompt_cache_key: 'openresponses-compact-test',
    input: [
      { type: 'message', role: 'user', content: 'We agreed to launch on Tuesday and notify support first.' },
      { type: 'message', role: 'assistant', content: 'Understood. The launch is Tuesday, with support notified beforehand.' }
    ]
  })
  t.equal(answer.status, 200)
  const body: any = await answer.json()
  t.equal(body.object, 'response.compaction')
  t.type(body.id, 'string')
  t.ok(Number.isInteger(body.created_at))
  t.ok(body.output.some((item: { type: string; id: unknown; encrypted_content: unknown }) => item.type === 'compaction' && typeof item.id === 'string' && typeof item.encrypted_content === 'string'))
  t.type(body.usage.total_tokens, 'number')
})

t.test('compact-missing-model', async (t) => {
  const answer = await post('/responses/compact', { input: [{ type: 'message', role: 'user', content: 'Compact this conversation.' }] })
  t.ok([400, 422].includes(answer.status))
})
