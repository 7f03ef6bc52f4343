// The response object carries every field the Open Responses specification marks required, echoed
// function tools have its shape, and the input items Codex sends are handled or refused by name.
import t from 'tap'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { jsonType, REQUIRED_RESPONSE_FIELDS as REQUIRED } from '../helpers/open-responses.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t)
const MODEL = 'claude-haiku-4-5-20251001'

async function create (body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, ...body }) })
  return { status: response.status, body: await response.json() }
}

t.test('a response has every required field with its type, the penalties default to 0', async (t) => {
  h.stub.reset()
  const { status, body } = await create({ input: 'hi' })
  t.equal(status, 200)
  for (const [field, types] of Object.entries(REQUIRED)) t.ok(types.includes(jsonType(body[field])), `${field} is ${types.join(' or ')} (got ${jsonType(body[field])})`)
  t.equal(body.presence_penalty, 0)
  t.equal(body.frequency_penalty, 0)
})

t.test('presence_penalty and frequency_penalty are accepted, echoed, and never sent upstream', async (t) => {
  h.stub.reset()
  const { status, body } = await create({ input: 'hi', presence_penalty: 0.5, frequency_penalty: -1 })
  t.equal(status, 200)
  t.equal(body.presence_penalty, 0.5)
  t.equal(body.frequency_penalty, -1)
  const sent = h.stub.requests[0].body
  t.notOk('presence_penalty' in sent || 'frequency_penalty' in sent)
  const outOfRange = await create({ input: 'hi', presence_penalty: 3 })
  t.equal(outOfRange.status, 400)
})

t.test('echoed function tools carry description, parameters and strict, null where not given', async (t) => {
  h.stub.reset()
  const { body } = await create({ input: 'hi', tools: [{ type: 'function', name: 'bare' }, { type: 'function', name: 'full', description: 'd', parameters: { type: 'object', properties: {} }, strict: true }] })
  t.same(body.tools, [
    { type: 'function', name: 'bare', description: null, parameters: null, strict: null },
    { type: 'function', name: 'full', description: 'd', parameters: { type: 'object', properties: {} }, strict: true }
  ])
})

t.test('additional_tools items add their tools to the request; nothing of them goes into the conversation', async (t) => {
  h.stub.reset()
  const { status } = await create({
    tools: [{ type: 'function', name: 'first', parameters: { type: 'object', properties: {} } }],
    input: [
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'second', description: 'added later', parameters: { type: 'object', properties: {} } }] },
      { type: 'message', role: 'user', content: 'hi' }
    ]
  })
  t.equal(status, 200)
  const sent = h.stub.requests[0].body
  t.same(sent.tools.map((tool: { name: string }) => tool.name), ['first', 'second'])
  t.equal(sent.messages.length, 1)
  const bad = await create({ input: [{ type: 'additional_tools', tools: 'nope' }, { role: 'user', content: 'hi' }] })
  t.equal(bad.status, 400)
  t.equal(bad.body.error.param, 'input[0].tools')
})

t.test('tool search items and compaction_trigger are refused by name', async (t) => {
  for (const type of ['tool_search_call', 'tool_search_output', 'compaction_trigger']) {
    h.stub.reset()
    const { status, body } = await create({ input: [{ role: 'user', content: 'hi' }, { type }] })
    t.equal(status, 400, type)
    t.equal(body.error.code, 'unsupported_item_type')
    t.equal(body.error.param, 'input[1].type')
    t.match(body.error.message, type)
    t.equal(h.stub.requests.length, 0, 'nothing went upstream')
  }
})

t.test('a compaction item that this gateway did not seal is refused', async (t) => {
  h.stub.reset()
  const { status, body } = await create({ input: [{ type: 'compaction', id: 'cmp_1', encrypted_content: 'made-up' }, { role: 'user', content: 'go on' }] })
  t.equal(status, 400)
  t.equal(body.error.param, 'input[0].encrypted_content')
})
