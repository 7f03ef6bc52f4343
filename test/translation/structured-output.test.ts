// response_format: native structured output where the model has it, the answer-tool fallback elsewhere.
import t from 'tap'
import { assembleStream, chat, comparableAssembled, comparableMessage, functionTool, openHarness, runBoth, user } from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false }, { chunkSize: 4 })
const schema = {
  type: 'object',
  properties: { city: { type: 'string' }, temperature: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['city', 'temperature'],
  additionalProperties: false
}
const jsonSchema = { type: 'json_schema', json_schema: { name: 'weather_report', schema, strict: true } }
const answer = { city: 'Paris', temperature: 21.5, tags: ['sunny'] }

t.test('json_schema uses native structured output on a model that has it', async (t) => {
  h.stub.reset()
  const { plain, streamed, plainRequest, streamRequest } = await runBoth(h, chat([user('Weather?')], { response_format: jsonSchema }), { content: [{ type: 'text', text: JSON.stringify(answer) }] })
  t.equal(plain.status, 200)
  t.strictSame(plainRequest.output_config, { format: { type: 'json_schema', schema } }, 'output_config.format carries the whole schema')
  t.equal(plainRequest.tools, undefined, 'no answer tool')
  t.strictSame(streamRequest.output_config, plainRequest.output_config)
  t.strictSame(JSON.parse(plain.body.choices[0].message.content), answer)
  t.equal(plain.body.choices[0].finish_reason, 'stop')
  t.strictSame(comparableAssembled(assembleStream(streamed).choices[0]), comparableMessage(plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('json_schema falls back to a forced answer tool on an older model', async (t) => {
  h.stub.reset()
  const body = chat([user('Weather?')], { model: 'claude-3-5-haiku-20241022', response_format: jsonSchema })
  const reply = { content: [{ type: 'tool_use' as const, id: 'toolu_json', name: 'weather_report', input: answer }] }
  const { plain, streamed, plainRequest } = await runBoth(h, body, reply)
  t.equal(plain.status, 200, 'accepted')
  t.equal(plainRequest.output_config, undefined, 'no native format for this model')
  t.match(plainRequest.tools, [{ name: 'weather_report', input_schema: schema, strict: true }], 'the schema becomes the answer tool')
  t.strictSame(plainRequest.tool_choice, { type: 'tool', name: 'weather_report' }, 'and the tool is forced')
  const choice = plain.body.choices[0]
  t.strictSame(JSON.parse(choice.message.content), answer, 'the tool input comes back as message content')
  t.equal(choice.message.tool_calls, undefined, 'not as a tool call')
  t.equal(choice.finish_reason, 'stop', "finish_reason 'stop', not 'tool_calls'")
  const assembled = assembleStream(streamed).choices[0]
  t.strictSame(JSON.parse(assembled.content), answer, 'streamed content parses too')
  t.strictSame(comparableAssembled(assembled), comparableMessage(choice), 'stream and non-stream agree')
})

t.test('json_object asks for any JSON object through the answer tool', async (t) => {
  h.stub.reset()
  const reply = { content: [{ type: 'tool_use' as const, id: 'toolu_obj', name: 'json_response', input: { ok: true } }] }
  const { plain, streamed, plainRequest } = await runBoth(h, chat([user('JSON please')], { response_format: { type: 'json_object' } }), reply)
  t.equal(plain.status, 200)
  t.match(plainRequest.tools, [{ name: 'json_response', input_schema: { type: 'object' } }])
  t.strictSame(plainRequest.tool_choice, { type: 'tool', name: 'json_response' })
  t.equal(plain.body.choices[0].message.content, '{"ok":true}')
  t.equal(assembleStream(streamed).choices[0].content, '{"ok":true}')
})

t.test('the answer tool with an empty object still gives JSON content', async (t) => {
  h.stub.reset()
  const { plain, streamed } = await runBoth(h, chat([user('JSON please')], { response_format: { type: 'json_object' } }), { content: [{ type: 'tool_use', id: 'toolu_empty', name: 'json_response', input: {} }] })
  t.equal(plain.body.choices[0].message.content, '{}')
  t.equal(assembleStream(streamed).choices[0].content, '{}')
})

t.test('with thinking on: adaptive models may force the answer tool', async (t) => {
  h.stub.reset()
  const reply = { content: [{ type: 'thinking' as const, thinking: 'Short JSON.', signature: 'sig-so' }, { type: 'tool_use' as const, id: 'toolu_ad', name: 'json_response', input: { n: 1 } }] }
  const { plain, plainRequest } = await runBoth(h, chat([user('JSON')], { model: 'claude-3-5-haiku-20241022', response_format: { type: 'json_object' } }), reply)
  t.equal(plain.status, 200)
  t.equal(plainRequest.thinking, undefined, 'control: no thinking asked, none sent')
  h.stub.reset()
  const adaptive = await runBoth(h, chat([user('JSON')], { model: 'claude-opus-4-7', reasoning_effort: 'high', response_format: { type: 'json_object' } }), reply)
  t.equal(adaptive.plain.status, 200, 'accepted')
  t.equal(adaptive.plainRequest.thinking.type, 'adaptive')
  t.strictSame(adaptive.plainRequest.tool_choice, { type: 'tool', name: 'json_response' }, 'forced')
  t.equal(adaptive.plain.body.choices[0].message.content, '{"n":1}')
  t.equal(adaptive.plain.body.choices[0].message.reasoning_content, 'Short JSON.')
  t.strictSame(comparableAssembled(assembleStream(adaptive.streamed).choices[0]), comparableMessage(adaptive.plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('with client tools, a real tool call still finishes with tool_calls', async (t) => {
  h.stub.reset()
  const body = chat([user('Weather, then JSON')], { model: 'claude-3-5-haiku-20241022', tools: [functionTool('get_weather')], response_format: jsonSchema })
  const reply = { content: [{ type: 'tool_use' as const, id: 'toolu_real', name: 'get_weather', input: { city: 'Paris' } }] }
  const { plain, streamed, plainRequest } = await runBoth(h, body, reply)
  t.equal(plain.status, 200)
  t.strictSame(plainRequest.tools.map((tool: any) => tool.name), ['get_weather', 'weather_report'])
  t.strictSame(plainRequest.tool_choice, { type: 'auto' }, "the client's tools stay callable")
  t.match(plainRequest.system.at(-1).text, /weather_report/, 'the answer tool is asked for in the system prompt')
  t.equal(plain.body.choices[0].finish_reason, 'tool_calls')
  t.equal(plain.body.choices[0].message.tool_calls[0].function.name, 'get_weather')
  t.strictSame(assembleStream(streamed).choices[0].finishReasons, ['tool_calls'])
})

t.test('an answer tool name never collides with a client tool', async (t) => {
  h.stub.reset()
  const body = chat([user('Go')], { model: 'claude-3-5-haiku-20241022', tools: [functionTool('weather_report')], response_format: jsonSchema })
  const { plain, plainRequest } = await runBoth(h, body)
  t.equal(plain.status, 200, 'accepted (tool names must be unique upstream)')
  t.strictSame(plainRequest.tools.map((tool: any) => tool.name), ['weather_report', 'weather_report_2'])
})

t.test('a json_schema without a schema is a 400', async (t) => {
  h.stub.reset()
  const { plain } = await runBoth(h, chat([user('Go')], { response_format: { type: 'json_schema', json_schema: { name: 'x' } } }))
  t.equal(plain.status, 400)
  t.equal(plain.body.error.param, 'response_format.json_schema.schema')
  t.equal(h.stub.requests.length, 0)
})
