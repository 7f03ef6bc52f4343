// The official `openai` SDK (v6) as the client: everything the gateway sends must parse.
import OpenAI from 'openai'
import { zodResponseFormat } from 'openai/helpers/zod'
import t from 'tap'
import { z } from 'zod'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t, {}, { chunkSize: 3 })
const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/v1`, maxRetries: 0, timeout: 10_000 })
const model = 'claude-haiku-4-5-20251001'
const weatherTool: OpenAI.Chat.Completions.ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }
}

t.test('plain completion', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'Bonjour !' }], usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 3 } })
  const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello in French' }] })
  t.equal(completion.object, 'chat.completion')
  t.equal(completion.model, model)
  t.equal(completion.choices[0].message.content, 'Bonjour !')
  t.equal(completion.choices[0].finish_reason, 'stop')
  t.match(completion.usage, { prompt_tokens: 15, completion_tokens: 4, total_tokens: 19, prompt_tokens_details: { cached_tokens: 3 } })
})

t.test('streaming, raw chunks and the stream helper', async (t) => {
  h.stub.reset()
  const text = 'Streaming through the SDK works fine.'
  h.stub.enqueue({ content: [{ type: 'text', text }] })
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Go' }], stream: true, stream_options: { include_usage: true } })
  let content = ''
  let usage: OpenAI.CompletionUsage | null | undefined
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta.content ?? ''
    if (chunk.usage) usage = chunk.usage
  }
  t.equal(content, text)
  t.match(usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })

  h.stub.enqueue({ content: [{ type: 'text', text }] })
  const helper = client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'Go' }] })
  const deltas: string[] = []
  helper.on('content.delta', ({ delta }) => deltas.push(delta))
  const final = await helper.finalChatCompletion()
  t.equal(final.choices[0].message.content, text, 'the helper accumulates the message')
  t.equal(deltas.join(''), text)
  t.equal(final.choices[0].finish_reason, 'stop')
})

t.test('tool calls streamed: the SDK accumulates each call by index', async (t) => {
  h.stub.reset()
  const content: StubBlock[] = [
    { type: 'text', text: 'Checking both.' },
    { type: 'tool_use', id: 'toolu_sdk_1', name: 'get_weather', input: { city: 'Paris' } },
    { type: 'tool_use', id: 'toolu_sdk_2', name: 'get_weather', input: { city: 'São Paulo' } }
  ]
  h.stub.enqueue({ content })
  const stream = client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'Weather in Paris and São Paulo?' }], tools: [weatherTool] })
  const done: Array<{ name: string; arguments: string }> = []
  stream.on('tool_calls.function.arguments.done', (event) => done.push({ name: event.name, arguments: event.arguments }))
  const final = await stream.finalChatCompletion()
  const calls = final.choices[0].message.tool_calls ?? []
  t.strictSame(calls.map((call) => call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : null), [
    ['toolu_sdk_1', 'get_weather', { city: 'Paris' }],
    ['toolu_sdk_2', 'get_weather', { city: 'São Paulo' }]
  ], 'both calls, ids and whole arguments')
  t.strictSame(done.map((call) => JSON.parse(call.arguments)), [{ city: 'Paris' }, { city: 'São Paulo' }], 'each call reported done with its own arguments')
  t.equal(final.choices[0].message.content, 'Checking both.')
  t.equal(final.choices[0].finish_reason, 'tool_calls')

  // The conversation goes on with the SDK's own message objects.
  h.stub.enqueue({ content: [{ type: 'text', text: 'Paris 18°C, São Paulo 27°C.' }] })
  const next = await client.chat.completions.create({
    model,
    tools: [weatherTool],
    messages: [
      { role: 'user', content: 'Weather in Paris and São Paulo?' },
      final.choices[0].message,
      ...calls.map((call) => ({ role: 'tool' as const, tool_call_id: call.id, content: call.id.endsWith('1') ? '18°C' : '27°C' }))
    ]
  })
  t.equal(next.choices[0].message.content, 'Paris 18°C, São Paulo 27°C.', 'the follow-up turn is accepted upstream')
})

t.test('structured output parses, native and through the answer tool, streamed or not', async (t) => {
  const Weather = z.object({ city: z.string(), temperature: z.number(), conditions: z.array(z.string()) })
  const value = { city: 'Oslo', temperature: -3.5, conditions: ['snow', 'wind'] }
  const format = zodResponseFormat(Weather, 'weather')
  const native: StubBlock[] = [{ type: 'text', text: JSON.stringify(value) }]
  const viaTool: StubBlock[] = [{ type: 'tool_use', id: 'toolu_so', name: 'weather', input: value }]
  for (const [name, target, content] of [['native', model, native], ['answer tool', 'claude-3-5-haiku-20241022', viaTool]] as const) {
    h.stub.reset()
    h.stub.enqueue({ content: [...content] })
    const parsed = await client.chat.completions.parse({ model: target, messages: [{ role: 'user', content: 'Weather in Oslo as JSON' }], response_format: format })
    t.strictSame(parsed.choices[0].message.parsed, value, `${name}: parse()`)
    const sent = h.stub.requests[0].body
    t.ok(name === 'native' ? sent.output_config?.format : sent.tool_choice?.name === 'weather', `${name}: sent the way the model supports`)

    h.stub.enqueue({ content: [...content] })
    const streamed = await client.chat.completions.stream({ model: target, messages: [{ role: 'user', content: 'Weather in Oslo as JSON' }], response_format: format }).finalChatCompletion()
    t.strictSame(streamed.choices[0].message.parsed, value, `${name}: stream() parses too`)
  }
})

t.test('n=2, streamed and not', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'first' }] }, { content: [{ type: 'text', text: 'second' }] })
  const completion = await client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'Two answers' }] })
  t.strictSame(completion.choices.map((choice) => choice.index), [0, 1])
  t.strictSame(completion.choices.map((choice) => choice.message.content).sort(), ['first', 'second'])

  h.stub.enqueue({ content: [{ type: 'text', text: 'alpha' }] }, { content: [{ type: 'text', text: 'beta' }] })
  const final = await client.chat.completions.stream({ model, n: 2, messages: [{ role: 'user', content: 'Two answers' }] }).finalChatCompletion()
  t.strictSame(final.choices.map((choice) => choice.index), [0, 1])
  t.strictSame(final.choices.map((choice) => choice.message.content).sort(), ['alpha', 'beta'])
  t.ok(final.choices.every((choice) => choice.finish_reason === 'stop'))
})

t.test('reasoning_content rides along without disturbing the SDK', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'thinking', thinking: 'Two plus two.', signature: 'sig-sdk' }, { type: 'text', text: '4' }] })
  const completion = await client.chat.completions.create({ model, reasoning_effort: 'low', messages: [{ role: 'user', content: '2+2?' }] })
  t.equal(completion.choices[0].message.content, '4')
  t.equal((completion.choices[0].message as unknown as { reasoning_content: string }).reasoning_content, 'Two plus two.')
})

t.test('gateway errors become the SDK exception classes', async (t) => {
  h.stub.reset()
  const failure = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], logprobs: true }).catch((error: unknown) => error)
  t.ok(failure instanceof OpenAI.BadRequestError, 'a 400 is a BadRequestError')
  t.equal((failure as InstanceType<typeof OpenAI.BadRequestError>).param, 'logprobs')
  t.equal(h.stub.requests.length, 0)
})
