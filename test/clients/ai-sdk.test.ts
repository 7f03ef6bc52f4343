/**
 * The Vercel AI SDK (`ai` v6 with `@ai-sdk/openai-compatible`) talking to the running gateway over
 * HTTP: plain text, streaming, tool calls over two turns and image input, parsed without errors.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { generateText, stepCountIs, streamText, tool, type TextStreamPart, type ToolSet } from 'ai'
import { test, type Test as Tap } from 'tap'
import { z } from 'zod'
import { startAnthropicStub, type AnthropicStub, type RecordedRequest, type StubReply } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway, type RunningGateway } from '../helpers/gateway.js'

const MODEL = 'claude-sonnet-4-6'
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

const TOOL_TURN: StubReply = {
  content: [
    { type: 'text', text: 'Let me look that up.' },
    { type: 'tool_use', id: 'toolu_01WeatherParis', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }
  ],
  stop_reason: 'tool_use',
  usage: { input_tokens: 30, output_tokens: 12 }
}
const ANSWER_TURN: StubReply = { content: [{ type: 'text', text: 'It is sunny and 21 °C in Paris.' }], usage: { input_tokens: 60, output_tokens: 9 } }

interface Setup { stub: AnthropicStub; gateway: RunningGateway; provider: ReturnType<typeof createOpenAICompatible> }

async function setUp (t: Tap): Promise<Setup> {
  const stub = await startAnthropicStub({ chunkSize: 3 })
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const provider = createOpenAICompatible({ name: 'claude2api', baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, includeUsage: true })
  return { stub, gateway, provider }
}

function weatherTools (calls: Array<{ city: string; unit?: string }>): ToolSet {
  return {
    get_weather: tool({
      description: 'Current weather for a city',
      inputSchema: z.object({ city: z.string().describe('City name'), unit: z.enum(['celsius', 'fahrenheit']).optional() }),
      execute: async (input) => {
        calls.push(input)
        return { city: input.city, forecast: 'sunny', temperature: 21 }
      }
    })
  }
}

const messageCalls = (stub: AnthropicStub): RecordedRequest[] => stub.requests.filter((request) => request.path === '/v1/messages')

/** Checks the second upstream request carries turn 1's tool_use and, right after it, the matching tool_result. */
function checkToolRoundTrip (t: Tap, second: RecordedRequest): void {
  const messages = second.body.messages as Array<{ role: string; content: Array<Record<string, any>> }>
  const assistant = messages.at(-2)
  const user = messages.at(-1)
  t.equal(assistant?.role, 'assistant')
  t.match(assistant?.content.find((block) => block.type === 'tool_use'), { id: 'toolu_01WeatherParis', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }, 'turn 1\'s tool_use is sent back as it was')
  t.equal(user?.role, 'user')
  const result = user?.content[0]
  t.match(result, { type: 'tool_result', tool_use_id: 'toolu_01WeatherParis' }, 'the tool_result comes first in the next user turn')
  t.match(JSON.stringify(result?.content), /sunny/, 'holding what the tool returned')
  t.match(second.body.tools, [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } }, required: ['city'] } }], 'the zod schema arrives as the tool\'s input_schema')
}

/** Every part of a streamText run, so a swallowed parse error shows up as an 'error' part. */
async function collect<T extends ToolSet> (stream: AsyncIterable<TextStreamPart<T>>): Promise<Array<TextStreamPart<T>>> {
  const parts: Array<TextStreamPart<T>> = []
  for await (const part of stream) parts.push(part)
  return parts
}

test('AI SDK generateText: plain text and usage', async (t) => {
  const { stub, provider } = await setUp(t)
  stub.enqueue({ content: [{ type: 'text', text: 'Plain answer from Claude.' }], usage: { input_tokens: 12, output_tokens: 7 } })
  const result = await generateText({ model: provider(MODEL), system: 'Be brief.', prompt: 'Say something', maxRetries: 0 })
  t.equal(result.text, 'Plain answer from Claude.')
  t.equal(result.finishReason, 'stop')
  t.match(result.usage, { inputTokens: 12, outputTokens: 7, totalTokens: 19 })
  t.equal(result.response.modelId, MODEL)
  const sent = messageCalls(stub)[0].body
  t.match(sent, { model: MODEL, system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user' }] })
})

test('AI SDK streamText: streamed text, finish reason and usage', async (t) => {
  const { stub, provider } = await setUp(t)
  const text = 'A streamed answer that comes in many small pieces.'
  stub.enqueue({ content: [{ type: 'text', text }], usage: { input_tokens: 14, output_tokens: 11 } })
  const result = streamText({ model: provider(MODEL), prompt: 'Stream please', maxRetries: 0 })
  const parts = await collect(result.fullStream)
  t.same(parts.filter((part) => part.type === 'error'), [], 'no error part')
  t.ok(parts.filter((part) => part.type === 'text-delta').length > 3, 'the text came in several deltas')
  t.equal(await result.text, text)
  t.equal(await result.finishReason, 'stop')
  t.match(await result.usage, { inputTokens: 14, outputTokens: 11, totalTokens: 25 })
  t.equal(messageCalls(stub)[0].body.stream, true, 'the upstream call streamed')
})

test('AI SDK generateText: a tool call over two turns', async (t) => {
  const { stub, provider } = await setUp(t)
  stub.enqueue(TOOL_TURN, ANSWER_TURN)
  const calls: Array<{ city: string; unit?: string }> = []
  const result = await generateText({ model: provider(MODEL), tools: weatherTools(calls), stopWhen: stepCountIs(2), prompt: 'Weather in Paris?', maxRetries: 0 })
  t.same(calls, [{ city: 'Paris', unit: 'celsius' }], 'the tool ran once with the parsed arguments')
  t.equal(result.steps.length, 2)
  t.equal(result.steps[0].finishReason, 'tool-calls')
  t.match(result.steps[0].toolCalls, [{ toolCallId: 'toolu_01WeatherParis', toolName: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }])
  t.equal(result.text, 'It is sunny and 21 °C in Paris.')
  t.equal(result.finishReason, 'stop')
  const upstream = messageCalls(stub)
  t.equal(upstream.length, 2)
  checkToolRoundTrip(t, upstream[1])
})

test('AI SDK streamText: a streamed tool call over two turns', async (t) => {
  const { stub, provider } = await setUp(t)
  stub.enqueue(TOOL_TURN, ANSWER_TURN)
  const calls: Array<{ city: string; unit?: string }> = []
  const result = streamText({ model: provider(MODEL), tools: weatherTools(calls), stopWhen: stepCountIs(2), prompt: 'Weather in Paris?', maxRetries: 0 })
  const parts = await collect(result.fullStream)
  t.same(parts.filter((part) => part.type === 'error'), [], 'no error part')
  t.match(parts.filter((part) => part.type === 'tool-call'), [{ toolCallId: 'toolu_01WeatherParis', toolName: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }], 'one complete tool call from the streamed argument pieces')
  t.same(calls, [{ city: 'Paris', unit: 'celsius' }])
  t.equal(await result.text, 'It is sunny and 21 °C in Paris.')
  const steps = await result.steps
  t.equal(steps.length, 2)
  t.equal(steps[0].finishReason, 'tool-calls')
  checkToolRoundTrip(t, messageCalls(stub)[1])
})

test('AI SDK: an image given as a data URL reaches Claude as a base64 image', async (t) => {
  const { stub, provider } = await setUp(t)
  stub.enqueue({ content: [{ type: 'text', text: 'A single pixel.' }] })
  const result = await generateText({
    model: provider(MODEL),
    maxRetries: 0,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image', image: `data:image/png;base64,${PNG_1X1}` }] }]
  })
  t.equal(result.text, 'A single pixel.')
  const content = messageCalls(stub)[0].body.messages[0].content as Array<Record<string, unknown>>
  t.match(content, [{ type: 'text', text: 'What is in this image?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } }])
})
