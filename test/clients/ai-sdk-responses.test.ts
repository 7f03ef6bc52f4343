/**
 * The Vercel AI SDK's OpenAI provider in Responses mode (`provider.responses(model)`, `ai` v6 with
 * `@ai-sdk/openai` 3.0) against the running gateway over HTTP: plain text, streaming with usage
 * details, a tool round trip over two steps, and reasoning summaries.
 */
import { createOpenAI } from '@ai-sdk/openai'
import { generateText, stepCountIs, streamText, tool, type TextStreamPart, type ToolSet } from 'ai'
import { test, type Test as Tap } from 'tap'
import { z } from 'zod'
import { startAnthropicStub, type AnthropicStub, type RecordedRequest } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'

const SONNET = 'claude-sonnet-4-6'
const OPUS = 'claude-opus-4-7'

interface Setup { stub: AnthropicStub; provider: ReturnType<typeof createOpenAI>; gatewayCalls: string[]; gatewayBodies: Array<Record<string, any>> }

async function setUp (t: Tap): Promise<Setup> {
  const stub = await startAnthropicStub({ chunkSize: 3 })
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const gatewayCalls: string[] = []
  const gatewayBodies: Array<Record<string, any>> = []
  const recordingFetch: typeof fetch = async (input, init) => {
    gatewayCalls.push(`${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`)
    if (typeof init?.body === 'string') gatewayBodies.push(JSON.parse(init.body))
    return await fetch(input, init)
  }
  const provider = createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_KEY, fetch: recordingFetch })
  return { stub, provider, gatewayCalls, gatewayBodies }
}

const messageCalls = (stub: AnthropicStub): RecordedRequest[] => stub.requests.filter((request) => request.path === '/v1/messages')

async function collect<T extends ToolSet> (stream: AsyncIterable<TextStreamPart<T>>): Promise<Array<TextStreamPart<T>>> {
  const parts: Array<TextStreamPart<T>> = []
  for await (const part of stream) parts.push(part)
  return parts
}

test('AI SDK responses: generateText, plain text and usage', async (t) => {
  const { stub, provider, gatewayCalls } = await setUp(t)
  stub.enqueue({ content: [{ type: 'text', text: 'Plain answer from Claude.' }], usage: { input_tokens: 12, output_tokens: 7 } })
  const result = await generateText({ model: provider.responses(SONNET), system: 'Be brief.', prompt: 'Say something', maxRetries: 0 })
  t.same(gatewayCalls, ['POST /v1/responses'], 'the Responses endpoint, not chat completions')
  t.equal(result.text, 'Plain answer from Claude.')
  t.equal(result.finishReason, 'stop')
  t.match(result.usage, { inputTokens: 12, outputTokens: 7, totalTokens: 19 })
  t.equal(result.response.modelId, SONNET)
  t.match(result.response.id, /^resp_/)
  t.match(messageCalls(stub)[0].body, { model: SONNET, system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Say something' }] }] })
})

test('AI SDK responses: streamText, text deltas and usage with cached and reasoning tokens', async (t) => {
  const { stub, provider } = await setUp(t)
  const text = 'A streamed answer that comes in many small pieces.'
  stub.enqueue({
    content: [{ type: 'thinking', thinking: 'Short thought.', signature: 'sig-ai-1' }, { type: 'text', text }],
    usage: { input_tokens: 14, cache_read_input_tokens: 6, output_tokens: 20, output_tokens_details: { thinking_tokens: 9 } }
  })
  const result = streamText({ model: provider.responses(OPUS), prompt: 'Stream please', maxRetries: 0, providerOptions: { openai: { forceReasoning: true, reasoningEffort: 'low' } } })
  const parts = await collect(result.fullStream)
  t.same(parts.filter((part) => part.type === 'error'), [], 'no error part')
  t.ok(parts.filter((part) => part.type === 'text-delta').length > 3, 'the text came in several deltas')
  t.equal(await result.text, text)
  t.equal(await result.finishReason, 'stop')
  const usage = await result.usage
  t.match(usage, { inputTokens: 20, outputTokens: 20, totalTokens: 40 })
  t.equal(usage.inputTokenDetails.cacheReadTokens, 6)
  t.equal(usage.outputTokenDetails.reasoningTokens, 9)
  const sent = messageCalls(stub)[0].body
  t.equal(sent.stream, true, 'the upstream call streamed')
  t.same(sent.output_config, { effort: 'low' })
})

test('AI SDK responses: a tool call round trip over two steps', async (t) => {
  const { stub, provider, gatewayBodies } = await setUp(t)
  stub.enqueue(
    { content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_01AiSdkParis', name: 'get_weather', input: { city: 'Paris' } }], stop_reason: 'tool_use' },
    { content: [{ type: 'text', text: 'Sunny, 21 °C.' }] }
  )
  const calls: Array<{ city: string }> = []
  const tools = {
    get_weather: tool({
      description: 'Current weather for a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async (input) => {
        calls.push(input)
        return { forecast: 'sunny', temperature: 21 }
      }
    })
  }
  const result = streamText({ model: provider.responses(SONNET), tools, stopWhen: stepCountIs(2), prompt: 'Weather in Paris?', maxRetries: 0 })
  const parts = await collect(result.fullStream)
  t.same(parts.filter((part) => part.type === 'error'), [], 'no error part')
  t.same(calls, [{ city: 'Paris' }], 'the tool ran once with the parsed arguments')
  t.match(parts.filter((part) => part.type === 'tool-call'), [{ toolCallId: 'toolu_01AiSdkParis', toolName: 'get_weather', input: { city: 'Paris' } }])
  t.equal(await result.text, 'Sunny, 21 °C.')
  t.equal((await result.steps).length, 2)
  t.match(gatewayBodies[1].input, [
    { role: 'user' },
    { type: 'item_reference', id: /^msg_/ },
    { type: 'function_call', call_id: 'toolu_01AiSdkParis', name: 'get_weather' },
    { type: 'function_call_output', call_id: 'toolu_01AiSdkParis' }
  ], 'the SDK refers to the stored message by id and sends the call and its output')

  const upstream = messageCalls(stub)
  t.equal(upstream.length, 2)
  const messages = upstream[1].body.messages as Array<{ role: string; content: Array<Record<string, any>> }>
  t.match(messages.at(-2), { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_01AiSdkParis', name: 'get_weather', input: { city: 'Paris' } }] })
  t.match(messages.at(-1), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01AiSdkParis' }] }, 'the function_call_output went back as the tool_result')
  t.match(JSON.stringify(messages.at(-1)?.content[0].content), /sunny/)
})

for (const store of [true, false]) {
  test(`AI SDK responses: reasoning summaries become reasoning parts, and go back on the next step (store: ${String(store)})`, async (t) => {
    const { stub, provider, gatewayBodies } = await setUp(t)
    stub.enqueue(
      { content: [{ type: 'thinking', thinking: 'I should check the weather tool.', signature: 'sig-ai-2' }, { type: 'tool_use', id: 'toolu_01AiSdkThink', name: 'get_weather', input: { city: 'Oslo' } }], stop_reason: 'tool_use' },
      { content: [{ type: 'text', text: 'Cold.' }] }
    )
    const tools = { get_weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async () => ({ forecast: 'snow' }) }) }
    const result = await generateText({
      model: provider.responses(OPUS),
      tools,
      stopWhen: stepCountIs(2),
      prompt: 'Weather in Oslo?',
      maxRetries: 0,
      providerOptions: { openai: { forceReasoning: true, reasoningEffort: 'medium', reasoningSummary: 'auto', store } }
    })
    const replayed = gatewayBodies[1].input.find((item: { type?: string; id?: string }) => item.type === 'reasoning' || item.id?.startsWith('rs_'))
    if (store) t.match(replayed, { type: 'item_reference', id: /^rs_/ }, 'stored: the reasoning item is referred to by id')
    else t.match(replayed, { type: 'reasoning', encrypted_content: /^c2a1\./ }, 'not stored: the sealed reasoning comes back')
    t.equal(result.steps[0].reasoningText, 'I should check the weather tool.')
    t.equal(result.text, 'Cold.')
    const upstream = messageCalls(stub)
    t.same(upstream[0].body.thinking, { type: 'adaptive', display: 'summarized' })
    const assistant = (upstream[1].body.messages as Array<{ role: string; content: Array<Record<string, any>> }>).at(-2)
    t.same(assistant?.content.map((block) => block.type), ['thinking', 'tool_use'], 'the thinking block went back before its tool call')
    t.equal(assistant?.content[0].signature, 'sig-ai-2')
  })
}
