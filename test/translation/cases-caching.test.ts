// translation-cases.md, "Caching": one test per row.
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import { assistant, chat, chatJson, functionTool, openHarness, toolCall, toolMessage, user } from '../helpers/translation-harness.js'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const HOUR = { type: 'ephemeral', ttl: '1h' }
const h = await openHarness(t)

interface Breakpoint { path: string; cacheControl: any }

/** Every cache_control in an upstream body, with where it is, in prefix order (tools, system, messages). */
function breakpoints (body: any): Breakpoint[] {
  const found: Breakpoint[] = []
  const visit = (block: any, path: string): void => {
    if (block.cache_control) found.push({ path, cacheControl: block.cache_control })
    if (block.type === 'tool_result' && Array.isArray(block.content)) block.content.forEach((inner: any, i: number) => visit(inner, `${path}.content.${i}`))
  }
  ;(body.tools ?? []).forEach((tool: any, i: number) => visit(tool, `tools.${i}`))
  ;(body.system ?? []).forEach((block: any, i: number) => visit(block, `system.${i}`))
  body.messages.forEach((message: any, m: number) => message.content.forEach((block: any, i: number) => visit(block, `messages.${m}.content.${i}`)))
  return found
}

function withoutCacheControl (value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, inner) => key === 'cache_control' ? undefined : inner))
}

t.test('cache-control-kept', async (t) => {
  h.stub.reset()
  const first = chat([
    { role: 'system', content: [{ type: 'text', text: 'Long shared instructions', cache_control: HOUR }] },
    user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` }, cache_control: HOUR }, { type: 'text', text: 'Look', cache_control: HOUR }])
  ], { tools: [{ ...functionTool('lookup'), cache_control: HOUR }] })
  const answer = await chatJson(h.url, first)
  t.equal(answer.status, 200, 'accepted')
  t.strictSame(breakpoints(h.stub.requests[0].body), [
    { path: 'tools.0', cacheControl: HOUR },
    { path: 'system.0', cacheControl: HOUR },
    { path: 'messages.0.content.0', cacheControl: HOUR },
    { path: 'messages.0.content.1', cacheControl: HOUR }
  ], 'tool, system part, image and text keep their cache_control unchanged (and fill all four slots)')

  h.stub.reset()
  const second = chat([
    user('Run it'),
    assistant(null, [toolCall('call_1', 'lookup', {}), toolCall('call_2', 'lookup', {})]),
    { ...toolMessage('call_1', 'first result'), cache_control: HOUR },
    toolMessage('call_2', [{ type: 'text', text: 'second result', cache_control: { type: 'ephemeral', ttl: '5m' } }])
  ], { tools: [functionTool('lookup')] })
  const answer2 = await chatJson(h.url, second)
  t.equal(answer2.status, 200, 'accepted')
  const results = h.stub.requests[0].body.messages[2].content
  t.strictSame(results[0].cache_control, HOUR, 'a tool message cache_control lands on its tool_result')
  t.strictSame(results[1].content[0].cache_control, { type: 'ephemeral', ttl: '5m' }, 'a part inside a tool result keeps its own')

  h.stub.reset()
  const tooMany = chat([user(['a', 'b', 'c', 'd', 'e'].map((text) => ({ type: 'text', text, cache_control: HOUR })))])
  const refused = await chatJson(h.url, tooMany)
  t.equal(refused.status, 400, 'five client breakpoints: a 400 from the gateway')
  t.match(refused.body.error.message, /At most 4/)
})

t.test('cache-auto', async (t) => {
  const conversation = [
    { role: 'system', content: 'You are helpful.' },
    user('First question'),
    assistant('First answer'),
    user('Second question'),
    assistant('Second answer'),
    user('Third question')
  ]
  h.stub.reset()
  t.equal((await chatJson(h.url, chat(conversation, { tools: [functionTool('lookup')] }))).status, 200, 'accepted')
  t.strictSame(breakpoints(h.stub.requests[0].body).map((point) => point.path), ['tools.0', 'system.0', 'messages.2.content.0', 'messages.4.content.0'],
    'end of tools, end of system, previous user turn, newest turn')

  h.stub.reset()
  const clientMarked = [...conversation.slice(0, 3), user([{ type: 'text', text: 'Second question', cache_control: HOUR }]), ...conversation.slice(4)]
  t.equal((await chatJson(h.url, chat(clientMarked, { tools: [functionTool('lookup')] }))).status, 200, 'accepted')
  const points = breakpoints(h.stub.requests[0].body)
  t.equal(points.length, 4, "at most four, counting the client's")
  t.strictSame(points.find((point) => point.path === 'messages.2.content.0')?.cacheControl, HOUR, "the client's breakpoint is kept")
  const clientAt = points.findIndex((point) => point.path === 'messages.2.content.0')
  t.strictSame(points.slice(0, clientAt).map((point) => [point.path, point.cacheControl.ttl]), [['tools.0', '1h'], ['system.0', '1h']], 'automatic breakpoints ahead of a 1h one are 1h too')
  t.strictSame(points.slice(clientAt + 1).map((point) => [point.path, point.cacheControl.ttl]), [['messages.4.content.0', undefined]], 'the one after it keeps the default ttl')

  const off = await openHarness(t, { AUTO_CACHE: false })
  t.equal((await chatJson(off.url, chat(conversation, { tools: [functionTool('lookup')] }))).status, 200)
  t.strictSame(breakpoints(off.stub.requests[0].body), [], 'AUTO_CACHE=false adds none')
})

t.test('cache-stable-prefix', async (t) => {
  // Turn N and N+1 of one agent conversation (tools, system, an image, a tool call with thinking).
  // The comparison, precisely: tools and system serialize to the same bytes; every message of
  // turn N serializes to the same bytes as the message at the same position in turn N+1, except
  // that the automatic breakpoint on the older user turn has moved on: with cache_control removed
  // the bytes are equal, and the only breakpoint difference is that one.
  h.stub.reset()
  const tools = [functionTool('get_weather', { type: 'object', properties: { city: { type: 'string' } } })]
  const reply: StubBlock[] = [
    { type: 'thinking', thinking: 'Look it up.', signature: 'sig-stable-prefix' },
    { type: 'tool_use', id: 'toolu_stable', name: 'get_weather', input: { city: 'Paris' } }
  ]
  h.stub.enqueue({ content: reply })
  const base = [{ role: 'system', content: 'Be exact.' }, user([{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }])]
  const first = await chatJson(h.url, chat(base, { tools, reasoning_effort: 'low' }))
  const call = first.body.choices[0].message.tool_calls[0]
  const turnN = [...base, assistant(null, [call]), toolMessage(call.id, 'Sunny, 21°C')]
  const turnN1 = [...turnN, assistant('It is sunny and 21°C in Paris.'), user('And tomorrow?')]
  const answerN = await chatJson(h.url, chat(turnN, { tools, reasoning_effort: 'low' }))
  const answerN1 = await chatJson(h.url, chat(turnN1, { tools, reasoning_effort: 'low' }))
  t.equal(answerN.status, 200, 'turn N accepted')
  t.equal(answerN1.status, 200, 'turn N+1 accepted')
  const [bodyN, bodyN1] = [h.stub.requests[1].body, h.stub.requests[2].body]

  t.equal(JSON.stringify(bodyN1.tools), JSON.stringify(bodyN.tools), 'tools: same bytes')
  t.equal(JSON.stringify(bodyN1.system), JSON.stringify(bodyN.system), 'system: same bytes')
  t.ok(bodyN1.messages.length > bodyN.messages.length)
  bodyN.messages.forEach((message: any, i: number) => {
    t.equal(JSON.stringify(withoutCacheControl(bodyN1.messages[i])), JSON.stringify(withoutCacheControl(message)), `message ${i}: same bytes without cache_control`)
  })
  const inPrefix = (points: Breakpoint[]): string[] => points.filter((point) => Number(point.path.split('.')[1]) < bodyN.messages.length || !point.path.startsWith('messages')).map((point) => point.path)
  const before = inPrefix(breakpoints(bodyN))
  const after = inPrefix(breakpoints(bodyN1))
  const moved = before.filter((path) => !after.includes(path))
  t.strictSame(moved, ['messages.0.content.1'], 'only the older moving breakpoint left the prefix')
  t.ok(after.every((path) => before.includes(path)), 'no breakpoint was added inside the old prefix… ')
  t.ok(after.includes(`messages.${bodyN.messages.length - 1}.content.0`), "…and turn N's last breakpoint is still there for turn N+1 to read")
  t.equal(bodyN1.messages[1].content[0].signature, 'sig-stable-prefix', 'the thinking was restored the same way both times')
})

t.test('client breakpoints with AUTO_CACHE=false: each kept where the client put it, none added', async (t) => {
  const off = await openHarness(t, { AUTO_CACHE: false })
  const FIVE = { type: 'ephemeral', ttl: '5m' }
  const body = chat([
    { role: 'system', content: [{ type: 'text', text: 'Shared rules' }, { type: 'text', text: 'More rules', cache_control: HOUR }] },
    user('First question'),
    assistant('First answer'),
    user([{ type: 'text', text: 'Second question', cache_control: FIVE }])
  ], { tools: [{ ...functionTool('lookup'), cache_control: HOUR }, functionTool('search')] })
  t.equal((await chatJson(off.url, body)).status, 200)
  t.strictSame(breakpoints(off.stub.requests[0].body), [
    { path: 'tools.0', cacheControl: HOUR },
    { path: 'system.1', cacheControl: HOUR },
    { path: 'messages.2.content.0', cacheControl: FIVE }
  ], 'a tool, a system part and a message part keep their own breakpoints, and nothing else is marked')
})

t.test('automatic breakpoints never replace, move or reorder the client\'s own', async (t) => {
  const FIVE = { type: 'ephemeral', ttl: '5m' }
  const cases: Array<{ what: string; body: Record<string, unknown>; client: Breakpoint[] }> = [
    {
      what: 'a 5m breakpoint on the first of two tools',
      body: chat([user('Hi')], { tools: [{ ...functionTool('lookup'), cache_control: FIVE }, functionTool('search')] }),
      client: [{ path: 'tools.0', cacheControl: FIVE }]
    },
    {
      what: 'a 1h breakpoint early in the conversation and a 5m one on the newest turn',
      body: chat([
        { role: 'system', content: 'Rules' },
        user([{ type: 'text', text: 'First', cache_control: HOUR }]),
        assistant('Answer'),
        user([{ type: 'text', text: 'Second' }, { type: 'text', text: 'Third', cache_control: FIVE }])
      ], { tools: [functionTool('lookup')] }),
      client: [{ path: 'messages.0.content.0', cacheControl: HOUR }, { path: 'messages.2.content.1', cacheControl: FIVE }]
    }
  ]
  for (const { what, body, client } of cases) {
    h.stub.reset()
    t.equal((await chatJson(h.url, body)).status, 200, `${what}: accepted`)
    const points = breakpoints(h.stub.requests[0].body)
    t.ok(points.length <= 4, `${what}: at most four breakpoints`)
    const clientPaths = client.map((point) => point.path)
    t.strictSame(points.filter((point) => clientPaths.includes(point.path)), client, `${what}: the client's breakpoints are where they were, unchanged and in order`)
  }
})
