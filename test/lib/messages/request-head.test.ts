// A Messages conversation is named by what every one of its turns repeats (model, system, tools,
// first message), read from the request bytes without parsing the history.
import { test } from 'tap'
import { conversationAffinity } from '../../../lib/core/affinity.js'
import { conversationStartOf, readRequestHead } from '../../../lib/messages/request-head.js'

const SYSTEM = [{ type: 'text', text: 'You are terse.' }]
const TOOLS = [{ name: 'lookup', input_schema: { type: 'object' } }]
const FIRST = { role: 'user', content: 'What is 2+2?' }

function body (messages: unknown[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ model: 'claude-alias', max_tokens: 100, system: SYSTEM, tools: TOOLS, messages, ...extra }))
}

function startOf (bytes: Buffer): ReturnType<typeof conversationStartOf> {
  return conversationStartOf(bytes, readRequestHead(bytes), 'claude-upstream-1')
}

test('the conversation start holds the model given, system, tools and the first message only', async (t) => {
  const later = body([FIRST, { role: 'assistant', content: '4' }, { role: 'user', content: 'And 3+3?' }])
  t.same(startOf(later), { model: 'claude-upstream-1', system: SYSTEM, tools: TOOLS, messages: [FIRST] })
  t.same(startOf(Buffer.from('{"model":"m","max_tokens":1}')), { model: 'claude-upstream-1', system: undefined, tools: undefined, messages: [] }, 'no messages: an empty start')
  t.same(startOf(Buffer.from('{"model":"m","messages":[]}')).messages, [], 'an empty list: no first message')
})

test('every turn of one conversation gets the same affinity; another first message another one', async (t) => {
  const turn1 = body([FIRST])
  const turn2 = body([FIRST, { role: 'assistant', content: '4' }, { role: 'user', content: 'And 3+3?' }])
  const turn3 = body([FIRST, { role: 'assistant', content: '4' }, { role: 'user', content: 'And 3+3?' }, { role: 'assistant', content: '6' }, { role: 'user', content: 'Thanks' }])
  const names = [turn1, turn2, turn3].map((bytes) => conversationAffinity({}, startOf(bytes)))
  t.equal(names[1], names[0], 'second turn')
  t.equal(names[2], names[0], 'third turn')
  const other = conversationAffinity({}, startOf(body([{ role: 'user', content: 'What is 5+5?' }, { role: 'assistant', content: '10' }])))
  t.not(other, names[0], 'another conversation')
})

test('a missing or empty body is a 400 that says the body is empty', async (t) => {
  for (const missing of [undefined, Buffer.alloc(0)]) {
    t.throws(() => readRequestHead(missing), { status: 400, code: 'invalid_json', message: /^Request body is empty/ }, missing === undefined ? 'no body' : 'empty body')
  }
})

test('a body nested too deep is a 400 that names the depth limit; other bad JSON names what is wrong', async (t) => {
  const deep = Buffer.from(`{"model":"m","x":${'['.repeat(200)}${']'.repeat(200)}}`)
  t.throws(() => readRequestHead(deep), { status: 400, code: 'invalid_json', message: /nests objects or arrays deeper than 128 levels/ })
  t.throws(() => readRequestHead(Buffer.from('[1]')), { status: 400, code: 'invalid_json', message: /^Request body must be a JSON object: / })
})

test('the model is read when it is a string; without one, or with another kind, there is none to swap', async (t) => {
  const head = readRequestHead(Buffer.from('{"model":"claude-alias","stream":true}'))
  t.equal(head.model, 'claude-alias')
  t.ok(head.modelSpan, 'its span')
  t.equal(head.stream, true)
  for (const text of ['{"max_tokens":1}', '{"model":7}', '{"model":null,"stream":"true"}']) {
    const other = readRequestHead(Buffer.from(text))
    t.same([other.model, other.modelSpan, other.stream], [undefined, undefined, false], text)
  }
})
