// The official `openai` SDK's responses client against the gateway and the strict stub.
import OpenAI from 'openai'
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t, {}, { chunkSize: 3 })
const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/v1`, maxRetries: 0, timeout: 20_000 })
const model = 'claude-haiku-4-5-20251001'

/** The HTTP status an SDK call failed with (0 when it did not fail). */
async function statusOf (call: Promise<unknown>): Promise<number> {
  try {
    await call
    return 0
  } catch (error) {
    return (error as { status?: number }).status ?? -1
  }
}

t.test('create (not streamed): a completed response with a message item and usage', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'Bonjour !' }], usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 3 } })
  const response = await client.responses.create({ model, input: 'Say hello in French', instructions: 'Be brief.' })
  t.match(response.id, /^resp_/)
  t.equal(response.object, 'response')
  t.equal(response.status, 'completed')
  t.equal(response.model, model)
  t.equal(response.output_text, 'Bonjour !')
  t.equal(response.output.length, 1)
  const message = response.output[0] as OpenAI.Responses.ResponseOutputMessage
  t.equal(message.type, 'message')
  t.match(message.id, /^msg_/)
  t.equal(message.status, 'completed')
  t.same(message.content, [{ type: 'output_text', text: 'Bonjour !', annotations: [] }])
  t.same(response.usage, { input_tokens: 15, input_tokens_details: { cached_tokens: 3 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 })
  t.equal(response.instructions, 'Be brief.')
  t.equal((response as unknown as { store: boolean }).store, true)
  t.equal(response.error, null)
  t.equal(response.incomplete_details, null)
  const sent = h.stub.requests[0].body
  t.same(sent.system, [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }])
  t.same(sent.messages, [{ role: 'user', content: [{ type: 'text', text: 'Say hello in French', cache_control: { type: 'ephemeral' } }] }])
})

t.test('retrieve, input items and delete of a stored response', async (t) => {
  h.stub.reset()
  const created = await client.responses.create({
    model,
    input: [
      { role: 'developer', content: 'Answer in one word.' },
      { role: 'user', content: [{ type: 'input_text', text: 'First' }] },
      { role: 'user', content: 'Second' },
      { role: 'user', content: 'Third' }
    ]
  })
  const again = await client.responses.retrieve(created.id)
  t.equal(again.id, created.id)
  t.equal(again.output_text, 'Hello from the stub.')
  t.same(again.usage, created.usage)

  const all = await client.responses.inputItems.list(created.id, { order: 'asc' })
  t.same(all.data.map((item) => (item as { role: string }).role), ['developer', 'user', 'user', 'user'])
  t.ok(all.data.every((item) => /^msg_/.test(item.id)), 'input items get ids')
  t.equal(all.has_more, false)

  const page = await client.responses.inputItems.list(created.id, { limit: 2 })
  t.equal(page.data.length, 2)
  t.equal(page.has_more, true)
  t.same(page.data.map((item) => item.id), [all.data[3].id, all.data[2].id], 'newest first by default')
  const next = await client.responses.inputItems.list(created.id, { limit: 2, after: page.data[1].id })
  t.same(next.data.map((item) => item.id), [all.data[1].id, all.data[0].id])
  t.equal(next.has_more, false)
  const seen: string[] = []
  for await (const item of client.responses.inputItems.list(created.id, { limit: 1 })) seen.push(item.id)
  t.equal(seen.length, 4, 'auto-pagination walks every page')

  await client.responses.delete(created.id)
  t.equal(await statusOf(client.responses.retrieve(created.id)), 404)
  t.equal(await statusOf(client.responses.delete(created.id)), 404)
})

t.test('store: false keeps nothing', async (t) => {
  h.stub.reset()
  const created = await client.responses.create({ model, input: 'Hi', store: false })
  t.equal((created as unknown as { store: boolean }).store, false)
  t.equal(await statusOf(client.responses.retrieve(created.id)), 404)
})

t.test('stream() helper: events in order with increasing sequence numbers, finalResponse()', async (t) => {
  h.stub.reset()
  const text = 'Streaming through the SDK works fine.'
  h.stub.enqueue({ content: [{ type: 'text', text }], usage: { input_tokens: 20, output_tokens: 8 } })
  const stream = client.responses.stream({ model, input: 'Go' })
  const types: string[] = []
  const sequence: number[] = []
  let deltas = ''
  stream.on('event', (event) => {
    types.push(event.type)
    sequence.push(event.sequence_number)
  })
  stream.on('response.output_text.delta', (event) => { deltas += event.delta })
  const final = await stream.finalResponse()
  t.equal(final.output_text, text)
  t.equal(deltas, text)
  t.equal(final.status, 'completed')
  t.same(final.usage, { input_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens: 8, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 28 })
  t.same(sequence, sequence.map((_, index) => index), 'sequence numbers count up from 0')
  const distinct = types.filter((type, index) => type !== types[index - 1])
  t.same(distinct, [
    'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'
  ])
  const stored = await client.responses.retrieve(final.id)
  t.equal(stored.output_text, text, 'a streamed response is stored too')
})

t.test('previous_response_id continues a stored conversation', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'Paris.' }] })
  const first = await client.responses.create({ model, input: 'Capital of France?', instructions: 'Be brief.' })
  h.stub.enqueue({ content: [{ type: 'text', text: 'About 2 million.' }] })
  const second = await client.responses.create({ model, input: 'Its population?', previous_response_id: first.id })
  t.equal(second.previous_response_id, first.id)
  t.equal(second.output_text, 'About 2 million.')
  const sent = h.stub.requests[1].body
  t.equal(sent.system, undefined, 'instructions are not carried over')
  t.same(sent.messages.map((message: { role: string; content: Array<{ text: string }> }) => [message.role, message.content[0].text]), [
    ['user', 'Capital of France?'], ['assistant', 'Paris.'], ['user', 'Its population?']
  ])
  t.equal(await statusOf(client.responses.create({ model, input: 'x', previous_response_id: 'resp_missing' })), 400)
})

t.test('function tools: a call comes back as a function_call item, its output goes back as a tool result', async (t) => {
  h.stub.reset()
  const content: StubBlock[] = [
    { type: 'text', text: 'Checking.' },
    { type: 'tool_use', id: 'toolu_resp_1', name: 'get_weather', input: { city: 'Paris' } }
  ]
  h.stub.enqueue({ content })
  const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }]
  const first = await client.responses.create({ model, input: 'Weather in Paris?', tools, tool_choice: 'required', parallel_tool_calls: false })
  const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall
  t.equal(call.type, 'function_call')
  t.match(call.id, /^fc_/)
  t.equal(call.call_id, 'toolu_resp_1')
  t.equal(call.name, 'get_weather')
  t.same(JSON.parse(call.arguments), { city: 'Paris' })
  t.equal(call.status, 'completed')
  const sent = h.stub.requests[0].body
  t.same(sent.tools[0], { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true, cache_control: { type: 'ephemeral' } })
  t.same(sent.tool_choice, { type: 'any', disable_parallel_tool_use: true })

  h.stub.enqueue({ content: [{ type: 'text', text: 'Sunny.' }] })
  const second = await client.responses.create({
    model,
    tools,
    store: false,
    input: [
      { role: 'user', content: 'Weather in Paris?' },
      ...first.output.map((item) => item as OpenAI.Responses.ResponseInputItem),
      { type: 'function_call_output', call_id: call.call_id, output: '22°C, sunny' }
    ]
  })
  t.equal(second.output_text, 'Sunny.')
  const replay = h.stub.requests[1].body.messages
  t.same(replay[1].content.map((block: { type: string }) => block.type), ['text', 'tool_use'])
  t.same(replay[2].content[0], { type: 'tool_result', tool_use_id: 'toolu_resp_1', content: '22°C, sunny', cache_control: { type: 'ephemeral' } })
})
