// translation-cases.md, "Tool calls": one test per row, against the real gateway and the strict stub.
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import {
  assembleStream, assistant, chat, chatJson, comparableAssembled, comparableMessage, functionTool, openHarness, runBoth, toolCall, toolMessage, user
} from '../helpers/translation-harness.js'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const h = await openHarness(t, {}, { chunkSize: 3 })
const weather = functionTool('get_weather', { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] })
const ask = chat([user('Weather in three cities?')], { tools: [weather] })

function toolUse (id: string, input: Record<string, unknown>, name = 'get_weather'): StubBlock {
  return { type: 'tool_use', id, name, input }
}

/** Every `tool_calls` entry of every chunk, in order. */
function toolDeltas (chunks: Array<Record<string, any>>): any[] {
  return chunks.flatMap((chunk) => (chunk.choices ?? []).flatMap((choice: any) => choice.delta?.tool_calls ?? []))
}

t.test('parallel-tool-index', async (t) => {
  h.stub.reset()
  const inputs = [{ city: 'Paris' }, { city: 'Rome' }, { city: 'Oslo' }]
  const content: StubBlock[] = [{ type: 'text', text: 'Let me check.' }, ...inputs.map((input, i) => toolUse(`toolu_${i}`, input))]
  const { plain, streamed } = await runBoth(h, ask, { content })
  t.equal(plain.status, 200)
  t.equal(streamed.status, 200)

  const deltas = toolDeltas(streamed.chunks)
  const startOrder = deltas.filter((delta) => delta.id !== undefined).map((delta) => delta.index)
  t.strictSame(startOrder, [0, 1, 2], 'calls are numbered 0, 1, 2 in start order')
  const assembled = assembleStream(streamed).choices[0]
  t.strictSame(assembled.toolCalls.map((call) => JSON.parse(call.arguments)), inputs, 'each call has only its own arguments')
  t.ok(assembled.toolCalls.every((call) => call.deltas > 2), 'arguments came in several pieces')
  t.strictSame(plain.body.choices[0].message.tool_calls.map((call: any) => JSON.parse(call.function.arguments)), inputs)
  t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('tool-index-after-thinking', async (t) => {
  h.stub.reset()
  const content: StubBlock[] = [
    { type: 'thinking', thinking: 'The user wants weather.', signature: 'sig-after-thinking' },
    { type: 'text', text: 'Checking Paris.' },
    toolUse('toolu_th', { city: 'Paris' })
  ]
  const { plain, streamed, plainRequest } = await runBoth(h, { ...ask, reasoning_effort: 'low' }, { content })
  t.equal(plainRequest.thinking.type, 'enabled', 'thinking was on upstream')
  t.strictSame([...new Set(toolDeltas(streamed.chunks).map((delta) => delta.index))], [0], 'the first tool is index 0, not block index 2')
  t.equal(plain.body.choices[0].message.tool_calls.length, 1)
  const assembled = assembleStream(streamed).choices[0]
  t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('tool-args-clean', async (t) => {
  h.stub.reset()
  const input = { city: 'Zürich', days: 3, units: { temperature: 'C', wind: 'km/h' }, tags: ['a', 'b'] }
  const { plain, streamed } = await runBoth(h, ask, { content: [toolUse('toolu_clean', input)] })
  const deltas = toolDeltas(streamed.chunks)
  t.equal(deltas[0].function.arguments, '', 'the opening delta carries no {} from the block start')
  const joined = deltas.map((delta) => delta.function?.arguments ?? '').join('')
  t.strictSame(JSON.parse(joined), input, 'joined pieces parse to the input')
  t.equal(joined, plain.body.choices[0].message.tool_calls[0].function.arguments, 'identical to the non-streamed arguments')
  t.strictSame(JSON.parse(plain.body.choices[0].message.tool_calls[0].function.arguments), input)
})

t.test('tool-no-args', async (t) => {
  h.stub.reset()
  const { plain, streamed } = await runBoth(h, chat([user('Ping')], { tools: [functionTool('ping')] }), { content: [toolUse('toolu_ping', {}, 'ping')] })
  t.equal(plain.body.choices[0].message.tool_calls[0].function.arguments, '{}')
  const assembled = assembleStream(streamed).choices[0]
  t.equal(assembled.toolCalls[0].arguments, '{}')
  t.equal(assembled.toolCalls[0].name, 'ping')
  t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]))
})

t.test('tool-id-name-once', async (t) => {
  h.stub.reset()
  const content = [toolUse('toolu_a', { city: 'Lisbon and Porto' }), toolUse('toolu_b', { city: 'Madrid' })]
  const { streamed } = await runBoth(h, ask, { content })
  const deltas = toolDeltas(streamed.chunks)
  for (const index of [0, 1]) {
    const mine = deltas.filter((delta) => delta.index === index)
    t.ok(mine.length > 2, `call ${index} has several deltas`)
    t.match(mine[0], { index, id: `toolu_${'ab'[index]}`, type: 'function', function: { name: 'get_weather' } }, `call ${index}: first delta names it`)
    for (const later of mine.slice(1)) {
      t.strictSame(Object.keys(later).sort(), ['function', 'index'], `call ${index}: later delta has index and function only`)
      t.strictSame(Object.keys(later.function), ['arguments'], `call ${index}: later delta carries argument pieces only`)
    }
  }
})

t.test('tool-results-grouped', async (t) => {
  h.stub.reset()
  const body = chat([
    user('Weather in Paris and Rome?'),
    assistant(null, [toolCall('call_1', 'get_weather', { city: 'Paris' }), toolCall('call_2', 'get_weather', { city: 'Rome' })]),
    toolMessage('call_1', 'Sunny'),
    toolMessage('call_2', 'Rainy'),
    user('And which is warmer?')
  ], { tools: [weather] })
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'the stub accepted the request')
  const sent = h.stub.requests[0].body
  t.equal(sent.messages.length, 3)
  t.strictSame(sent.messages[2], {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_1', content: 'Sunny' },
      { type: 'tool_result', tool_use_id: 'call_2', content: 'Rainy' },
      // The automatic cache breakpoint sits at the end of the newest turn.
      { type: 'text', text: 'And which is warmer?', cache_control: { type: 'ephemeral' } }
    ]
  }, 'one user turn: both results in order, then the text')
})

t.test('tool-result-rich', async (t) => {
  h.stub.reset()
  const body = chat([
    user('Take a screenshot'),
    assistant('', [toolCall('call_shot', 'screenshot', {})]),
    { role: 'tool', tool_call_id: 'call_shot', content: [{ type: 'text', text: 'Here it is' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }
  ], { tools: [functionTool('screenshot')] })
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'the stub accepted the request')
  const result = h.stub.requests[0].body.messages[2].content[0]
  t.equal(result.type, 'tool_result')
  t.equal(result.tool_use_id, 'call_shot')
  t.strictSame(result.content.map((block: any) => ({ ...block, cache_control: undefined })), [
    { type: 'text', text: 'Here it is', cache_control: undefined },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG }, cache_control: undefined }
  ])
})

t.test('tool-args-invalid-history', async (t) => {
  h.stub.reset()
  const body = chat([
    user('Weather?'),
    assistant(null, [toolCall('call_bad', 'get_weather', '{"city": "Paris"')]),
    toolMessage('call_bad', 'Sunny')
  ], { tools: [weather] })
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 400)
  t.equal(answer.body.error.type, 'invalid_request_error')
  t.equal(answer.body.error.param, 'messages[1].tool_calls[0].function.arguments')
  t.match(answer.body.error.message, /messages\[1\]\.tool_calls\[0\]\.function\.arguments is not valid JSON/)
  t.equal(h.stub.requests.length, 0, 'nothing was sent upstream')
})

t.test('tool-schema-whole', async (t) => {
  h.stub.reset()
  const parameters = {
    type: 'object',
    description: 'Search options',
    properties: {
      query: { type: 'string', description: 'What to look for' },
      mode: { type: 'string', enum: ['fast', 'deep'] },
      filter: { anyOf: [{ $ref: '#/$defs/range' }, { type: 'null' }] }
    },
    required: ['query'],
    additionalProperties: false,
    $defs: { range: { type: 'object', properties: { from: { type: 'integer' }, to: { type: 'integer' } }, additionalProperties: false } }
  }
  const answer = await chatJson(h.url, chat([user('Search')], { tools: [functionTool('search', parameters)] }))
  t.equal(answer.status, 200)
  const { cache_control: _cache, ...tool } = h.stub.requests[0].body.tools[0]
  t.strictSame(tool, { name: 'search', description: 'The search tool', input_schema: parameters }, 'the schema arrives whole')
})

t.test('tool-choice-map', async (t) => {
  const tools = [weather, functionTool('get_time')]
  const cases: Array<[Record<string, unknown>, unknown]> = [
    [{ tool_choice: 'required' }, { type: 'any' }],
    [{ tool_choice: { type: 'function', function: { name: 'get_time' } } }, { type: 'tool', name: 'get_time' }],
    [{ tool_choice: 'none' }, { type: 'none' }],
    [{ tool_choice: 'auto' }, { type: 'auto' }],
    [{ parallel_tool_calls: false }, { type: 'auto', disable_parallel_tool_use: true }],
    [{ tool_choice: 'required', parallel_tool_calls: false }, { type: 'any', disable_parallel_tool_use: true }],
    [{ tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false }, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }],
    [{ tool_choice: 'auto', parallel_tool_calls: true }, { type: 'auto' }]
  ]
  for (const [fields, expected] of cases) {
    h.stub.reset()
    const answer = await chatJson(h.url, chat([user('Go')], { tools, ...fields }))
    t.equal(answer.status, 200, `${JSON.stringify(fields)}: accepted`)
    t.strictSame(h.stub.requests[0].body.tool_choice, expected, `${JSON.stringify(fields)} → ${JSON.stringify(expected)}`)
  }
  h.stub.reset()
  const unknown = await chatJson(h.url, chat([user('Go')], { tools, tool_choice: { type: 'function', function: { name: 'nope' } } }))
  t.equal(unknown.status, 400, 'a named function that is not in tools is a 400')
  t.equal(unknown.body.error.param, 'tool_choice')
})

t.test('tools-in-history-without-tools', async (t) => {
  h.stub.reset()
  const body = chat([
    user('Weather?'),
    assistant(null, [toolCall('call_w', 'get_weather', { city: 'Paris' })]),
    toolMessage('call_w', 'Sunny'),
    assistant('It is sunny in Paris.'),
    user('Thanks! Summarise our chat.')
  ])
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'the stub accepted the request')
  const sent = h.stub.requests[0].body
  t.strictSame(sent.tools.map((tool: any) => ({ name: tool.name, input_schema: tool.input_schema })), [{ name: 'get_weather', input_schema: { type: 'object' } }], 'the called tool is declared minimally')
  t.strictSame(sent.tool_choice, { type: 'none' }, 'and not offered')
})

t.test('tool-results-first-in-merged-turn', async (t) => {
  // A user message slipped in between a tool call and its result: both become one user turn,
  // and Anthropic wants the tool_result blocks first in it.
  h.stub.reset()
  const body = chat([
    user('Weather in Paris?'),
    assistant(null, [toolCall('call_1', 'get_weather', { city: 'Paris' })]),
    user('Please hurry.'),
    toolMessage('call_1', 'Sunny')
  ], { tools: [weather] })
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'the stub accepted the request')
  t.strictSame(h.stub.requests[0].body.messages[2].content.map((block: any) => [block.type, block.text ?? block.tool_use_id]), [
    ['tool_result', 'call_1'],
    ['text', 'Please hurry.']
  ], 'one user turn: the result first, then the text')
})

t.test('parallel-tool-calls-without-tools', async (t) => {
  // Clients send parallel_tool_calls:false by default; with no tools it asks for nothing.
  for (const parallel of [false, true]) {
    h.stub.reset()
    const answer = await chatJson(h.url, chat([user('Hello')], { parallel_tool_calls: parallel }))
    t.equal(answer.status, 200, `parallel_tool_calls ${parallel} without tools: accepted`)
    t.equal(h.stub.requests[0].body.tool_choice, undefined, 'no tool_choice sent')
    t.equal(h.stub.requests[0].body.tools, undefined, 'no tools sent')
  }
  h.stub.reset()
  const withTools = await chatJson(h.url, chat([user('Hello')], { tools: [weather], parallel_tool_calls: false }))
  t.equal(withTools.status, 200)
  t.strictSame(h.stub.requests[0].body.tool_choice, { type: 'auto', disable_parallel_tool_use: true }, 'with tools it becomes disable_parallel_tool_use')
})
