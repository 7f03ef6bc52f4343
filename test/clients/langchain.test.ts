/**
 * LangChain's ChatOpenAI (`@langchain/openai`, on the official openai SDK) talking to the running
 * gateway over HTTP: invoke, stream, bindTools over two turns and image input.
 */
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages'
import { tool } from '@langchain/core/tools'
import { ChatOpenAI } from '@langchain/openai'
import { test, type Test } from 'tap'
import { z } from 'zod'
import { startAnthropicStub, type AnthropicStub, type RecordedRequest, type StubReply } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'

const MODEL = 'claude-sonnet-4-6'
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

const TOOL_TURN: StubReply = {
  content: [
    { type: 'text', text: 'Checking the weather.' },
    { type: 'tool_use', id: 'toolu_01LangChainParis', name: 'get_weather', input: { city: 'Paris' } }
  ],
  stop_reason: 'tool_use',
  usage: { input_tokens: 40, output_tokens: 15 }
}
const ANSWER_TURN: StubReply = { content: [{ type: 'text', text: 'Sunny in Paris today.' }], usage: { input_tokens: 70, output_tokens: 6 } }

const getWeather = tool(async ({ city }: { city: string }) => JSON.stringify({ city, forecast: 'sunny' }), {
  name: 'get_weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string().describe('City name') })
})

async function setUp (t: Test): Promise<{ stub: AnthropicStub; chat: ChatOpenAI }> {
  const stub = await startAnthropicStub({ chunkSize: 3 })
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const chat = new ChatOpenAI({ model: MODEL, apiKey: CLIENT_KEY, maxRetries: 0, configuration: { baseURL: `${gateway.url}/v1` } })
  return { stub, chat }
}

const messageCalls = (stub: AnthropicStub): RecordedRequest[] => stub.requests.filter((request) => request.path === '/v1/messages')

function textOf (message: AIMessage | AIMessageChunk): string {
  return typeof message.content === 'string' ? message.content : message.content.map((part) => ('text' in part ? String(part.text) : '')).join('')
}

/** Turn 2 of the tool exchange: the upstream must get turn 1's tool_use back and the tool's result right after it. */
async function finishToolExchange (t: Test, stub: AnthropicStub, chat: ChatOpenAI, question: HumanMessage, turn1: AIMessage): Promise<void> {
  const call = turn1.tool_calls?.[0]
  if (!call?.id) throw new Error('turn 1 carried no tool call')
  const result = await getWeather.invoke(call.args as { city: string })
  const turn2 = await chat.bindTools([getWeather]).invoke([question, turn1, new ToolMessage({ tool_call_id: call.id, content: result })])
  t.equal(textOf(turn2), 'Sunny in Paris today.')
  t.equal(turn2.response_metadata.finish_reason, 'stop')

  const second = messageCalls(stub)[1].body as { messages: Array<{ role: string; content: Array<Record<string, any>> }>; tools: unknown }
  t.match(second.messages.at(-2), { role: 'assistant', content: [{ type: 'text', text: 'Checking the weather.' }, { type: 'tool_use', id: 'toolu_01LangChainParis', name: 'get_weather', input: { city: 'Paris' } }] }, 'turn 1 goes back with its tool_use')
  t.match(second.messages.at(-1), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01LangChainParis' }] }, 'followed by the matching tool_result')
  t.match(JSON.stringify(second.messages.at(-1)?.content[0].content), /sunny/)
  t.match(second.tools, [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }])
}

test('LangChain invoke: plain text, finish reason and usage', async (t) => {
  const { stub, chat } = await setUp(t)
  stub.enqueue({ content: [{ type: 'text', text: 'Hello from Claude via LangChain.' }], usage: { input_tokens: 9, output_tokens: 8 } })
  const reply = await chat.invoke([new SystemMessage('Be brief.'), new HumanMessage('Say hello')])
  t.equal(textOf(reply), 'Hello from Claude via LangChain.')
  t.equal(reply.response_metadata.finish_reason, 'stop')
  t.match(reply.usage_metadata, { input_tokens: 9, output_tokens: 8, total_tokens: 17 })
  t.match(messageCalls(stub)[0].body, { model: MODEL, system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }] })
})

test('LangChain stream: chunks join into the answer, with usage at the end', async (t) => {
  const { stub, chat } = await setUp(t)
  const text = 'Streaming through LangChain works piece by piece.'
  stub.enqueue({ content: [{ type: 'text', text }], usage: { input_tokens: 11, output_tokens: 10 } })
  let joined: AIMessageChunk | undefined
  let chunks = 0
  for await (const chunk of await chat.stream('Stream please')) {
    chunks++
    joined = joined === undefined ? chunk : joined.concat(chunk)
  }
  t.ok(chunks > 3, `the answer came in ${chunks} chunks`)
  t.equal(joined && textOf(joined), text)
  t.match(joined?.usage_metadata, { input_tokens: 11, output_tokens: 10, total_tokens: 21 }, 'usage from the final usage chunk')
  t.equal(messageCalls(stub)[0].body.stream, true)
})

test('LangChain bindTools: a tool call over two turns', async (t) => {
  const { stub, chat } = await setUp(t)
  stub.enqueue(TOOL_TURN, ANSWER_TURN)
  const question = new HumanMessage('What is the weather in Paris?')
  const turn1 = await chat.bindTools([getWeather]).invoke([question])
  t.match(turn1.tool_calls, [{ name: 'get_weather', args: { city: 'Paris' }, id: 'toolu_01LangChainParis' }])
  t.equal(turn1.response_metadata.finish_reason, 'tool_calls')
  t.same(turn1.invalid_tool_calls ?? [], [], 'no tool call failed to parse')
  await finishToolExchange(t, stub, chat, question, turn1)
})

test('LangChain bindTools + stream: a streamed tool call over two turns', async (t) => {
  const { stub, chat } = await setUp(t)
  stub.enqueue(TOOL_TURN, ANSWER_TURN)
  const question = new HumanMessage('What is the weather in Paris?')
  let joined: AIMessageChunk | undefined
  for await (const chunk of await chat.bindTools([getWeather]).stream([question])) joined = joined === undefined ? chunk : joined.concat(chunk)
  t.match(joined?.tool_calls, [{ name: 'get_weather', args: { city: 'Paris' }, id: 'toolu_01LangChainParis' }], 'the argument pieces join into one call')
  t.same(joined?.invalid_tool_calls ?? [], [], 'no tool call failed to parse')
  t.equal(joined?.response_metadata.finish_reason, 'tool_calls')
  const turn1 = new AIMessage({ content: joined?.content ?? '', tool_calls: joined?.tool_calls ?? [] })
  await finishToolExchange(t, stub, chat, question, turn1)
})

test('LangChain: an image given as a data URL reaches Claude as a base64 image', async (t) => {
  const { stub, chat } = await setUp(t)
  stub.enqueue({ content: [{ type: 'text', text: 'One tiny pixel.' }] })
  const reply = await chat.invoke([new HumanMessage({ content: [{ type: 'text', text: 'Describe this image' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } }] })])
  t.equal(textOf(reply), 'One tiny pixel.')
  t.match(messageCalls(stub)[0].body.messages[0].content, [{ type: 'text', text: 'Describe this image' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } }])
})
