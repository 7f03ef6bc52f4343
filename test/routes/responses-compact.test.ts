// POST /v1/responses/compact: Claude summarises the conversation, the summary comes back sealed in
// a compaction item bound to the caller, and sent back as input (HTTP or WebSocket) it restores it.
import t from 'tap'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { ResponsesSocket } from '../helpers/responses-socket.js'
import { openHarness } from '../helpers/translation-harness.js'

const OTHER_KEY = 'another-client-key-9876543210'
const h = await openHarness(t, { APIKEY: `${CLIENT_KEY},${OTHER_KEY}` })
const MODEL = 'claude-haiku-4-5-20251001'
const SUMMARY = 'The user set the code word slate and the launch day Tuesday; support is notified first.'

async function post (path: string, body: unknown, key = CLIENT_KEY): Promise<{ status: number; body: any }> {
  const response = await fetch(`${h.url}/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}

const conversation = [
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Remember the code word: slate. We launch on Tuesday and notify support first.' }] },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'OK.' }] },
  { type: 'message', role: 'user', content: 'Compress this conversation for later.' }
]

async function compact (): Promise<any> {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: SUMMARY }], usage: { input_tokens: 40, output_tokens: 20 } })
  const { status, body } = await post('/responses/compact', { model: MODEL, input: conversation, prompt_cache_key: 'compact-test' })
  if (status !== 200) throw new Error(`compact answered ${status}: ${JSON.stringify(body)}`)
  return body
}

t.test('the compaction object: id, object, created_at, one sealed compaction item, usage', async (t) => {
  const body = await compact()
  t.match(body.id, /^resp_/)
  t.equal(body.object, 'response.compaction')
  t.type(body.created_at, 'number')
  t.equal(body.output.length, 1)
  t.match(body.output[0], { type: 'compaction', id: /^cmp_/, encrypted_content: /^c2c1\./ })
  t.notMatch(body.output[0].encrypted_content, /slate/, 'the summary is sealed')
  t.same(body.usage, { input_tokens: 40, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 60 })
  const sent = h.stub.requests[0].body
  t.equal(sent.stream, undefined)
  t.notOk(sent.thinking, 'no thinking for a summary')
  t.match(JSON.stringify(sent.messages.at(-1)), /summary/i, 'Claude is asked for a summary after the conversation')
  t.match(JSON.stringify(sent.messages[0]), /slate/)
})

t.test('sent back as input over HTTP (store on and off) the summary restores the conversation', async (t) => {
  const body = await compact()
  for (const store of [true, false]) {
    h.stub.reset()
    const next = await post('/responses', { model: MODEL, store, input: [...body.output, { type: 'message', role: 'user', content: 'What is the code word?' }] })
    t.equal(next.status, 200)
    const sent = h.stub.requests[0].body
    t.equal(sent.messages.length, 1, 'summary and question form one user turn')
    t.match(JSON.stringify(sent.messages[0]), /slate.*Tuesday.*What is the code word\?/s, `the facts reach Claude (store ${String(store)})`)
  }
})

t.test('sent back over the WebSocket, it starts a new chain with the facts intact', async (t) => {
  const body = await compact()
  h.stub.reset()
  const socket = await ResponsesSocket.open(h.url)
  t.teardown(async () => await socket.close())
  const turn = await socket.turn({ type: 'response.create', model: MODEL, store: false, tools: [], input: [...body.output, { type: 'message', role: 'user', content: 'Continue from here.' }] })
  t.equal(turn.response.status, 'completed')
  t.match(JSON.stringify(h.stub.requests[0].body.messages), /slate/)
})

t.test('a compaction item is bound to the caller and refused when altered', async (t) => {
  const body = await compact()
  h.stub.reset()
  const stolen = await post('/responses', { model: MODEL, input: [...body.output, { role: 'user', content: 'go on' }] }, OTHER_KEY)
  t.equal(stolen.status, 400)
  t.equal(stolen.body.error.code, 'invalid_encrypted_content')
  const item = body.output[0]
  const altered = await post('/responses', { model: MODEL, input: [{ ...item, encrypted_content: item.encrypted_content.slice(0, -2) + 'AA' }, { role: 'user', content: 'go on' }] })
  t.equal(altered.status, 400)
  t.equal(h.stub.requests.length, 0)
})

t.test('compact without model is a 400; a conversation with a tool call is summarised without calling tools', async (t) => {
  h.stub.reset()
  const missing = await post('/responses/compact', { input: conversation })
  t.equal(missing.status, 400)
  t.equal(missing.body.error.param, 'model')
  h.stub.enqueue({ content: [{ type: 'text', text: SUMMARY }] })
  const tools = [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }]
  const withCall = await post('/responses/compact', {
    model: MODEL,
    tools,
    input: [
      { role: 'user', content: 'list files' },
      { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"cmd":"ls"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'a.txt' }
    ]
  })
  t.equal(withCall.status, 200)
  const sent = h.stub.requests[0].body
  t.same(sent.tool_choice, { type: 'none' })
  t.equal(sent.messages.at(-1).role, 'user')
  t.equal(sent.messages.at(-1).content[0].type, 'tool_result', 'the instruction joins the turn holding the tool result')
})

t.test('an empty summary is an upstream failure, not an empty compaction', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: '   ' }] })
  const empty = await post('/responses/compact', { model: MODEL, input: conversation })
  t.equal(empty.status, 502)
  t.equal(empty.body.error.code, 'compaction_failed')
})
