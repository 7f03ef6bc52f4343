// The official @anthropic-ai/sdk (1.x: Authorization: Bearer, anthropic-version 2026-10-21)
// through the gateway's Messages pass-through, against the strict stub.
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, CLIENT_KEY, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const MODEL = 'claude-sonnet-4-6'
const CALLER_KEY = anthropicApiKey('sdk-caller')

interface Setup { stub: AnthropicStub; gateway: RunningGateway; client: Anthropic; sent: string[] }

/** A client whose request bodies are recorded as sent, to compare with what the upstream received. */
async function setup (t: Tap, config: Record<string, unknown> = {}, base = '', apiKey = CLIENT_KEY): Promise<Setup> {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const sent: string[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') sent.push(init.body)
    return await fetch(input, init)
  }
  const client = new Anthropic({ apiKey, baseURL: gateway.url + base, maxRetries: 0, fetch: recordingFetch })
  return { stub, gateway, client, sent }
}

test('plain message: Bearer and 2026-10-21 accepted, the body goes upstream as the SDK wrote it', async (t) => {
  const { stub, client, sent } = await setup(t)
  const message = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] })
  t.equal(message.content[0].type === 'text' ? message.content[0].text : '', 'Hello from the stub.')
  t.equal(message.model, MODEL)
  t.equal(stub.requests[0].rawBody?.toString('utf8'), sent[0])
  t.equal(stub.requests[0].headers['anthropic-version'], '2026-10-21')
  t.ok(UPSTREAM_KEYS.includes(stub.requests[0].key ?? ''))
  t.equal(stub.requests[0].headers.authorization, undefined)
})

test('stream().finalMessage()', async (t) => {
  const { stub, client } = await setup(t)
  stub.enqueue({ content: [{ type: 'text', text: 'Streamed through the gateway, piece by piece.' }] })
  const stream = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Stream please' }] })
  const pieces: string[] = []
  stream.on('text', (text) => pieces.push(text))
  const final = await stream.finalMessage()
  t.equal(final.content[0].type === 'text' ? final.content[0].text : '', 'Streamed through the gateway, piece by piece.')
  t.ok(pieces.length > 1, 'text arrived in pieces')
  t.equal(final.stop_reason, 'end_turn')
})

test('tool round trip with thinking: the signed thinking goes back byte for byte and the stub accepts it', async (t) => {
  const { stub, client, sent } = await setup(t)
  const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }]
  stub.enqueue({
    content: [
      { type: 'thinking', thinking: 'The user wants weather in "Paris" — I should call the tool. ✓', signature: 'sig_Ab+/==_unique_1' },
      { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }
    ]
  }, { content: [{ type: 'text', text: 'It is sunny in Paris.' }] })
  const params = { model: MODEL, max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools }
  const first = await client.messages.stream({ ...params, messages: [{ role: 'user', content: 'Weather in Paris?' }] }).finalMessage()
  t.equal(first.stop_reason, 'tool_use')
  t.match(first.content[0], { type: 'thinking', signature: 'sig_Ab+/==_unique_1' })
  const second = await client.messages.create({
    ...params,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'sunny, 21°C' }] }
    ]
  })
  t.equal(second.content[0].type === 'text' ? second.content[0].text : '', 'It is sunny in Paris.')
  t.equal(stub.requests[1].rawBody?.toString('utf8'), sent[1], 'the second turn reached the upstream as sent')
  t.match(stub.requests[1].rawBody?.toString('utf8'), /"signature":"sig_Ab\+\/==_unique_1"/)
})

test('count_tokens, models.list() of both SDKs, /hf', async (t) => {
  const { gateway } = await setup(t)
  const hf = new Anthropic({ apiKey: CLIENT_KEY, baseURL: gateway.url + '/hf', maxRetries: 0 })
  const counted = await hf.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'How many tokens is this?' }] })
  t.ok(counted.input_tokens > 0)
  const viaHf = await hf.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] })
  t.equal(viaHf.type, 'message')

  const anthropicIds: string[] = []
  for await (const model of hf.models.list()) anthropicIds.push(model.id)
  t.ok(anthropicIds.includes(MODEL))
  t.notOk(anthropicIds.some((id) => id.endsWith('-thinking')))
  const paged: string[] = []
  for await (const model of hf.models.list({ limit: 2 })) paged.push(model.id)
  t.same(paged, anthropicIds, 'pages of two, followed by the SDK through after_id, give the same list')
  const one = await hf.models.retrieve(MODEL)
  t.same([one.type, one.id, one.display_name], ['model', MODEL, 'Claude Sonnet 4.6'])

  const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: gateway.url + '/v1', maxRetries: 0 })
  const openaiIds: string[] = []
  for await (const model of openai.models.list()) openaiIds.push(model.id)
  t.ok(openaiIds.includes(MODEL) && openaiIds.includes(`${MODEL}-thinking`))
})

test('errors reach the SDK as its own error classes', async (t) => {
  const { gateway, client } = await setup(t)
  const wrong = new Anthropic({ apiKey: 'not-the-key', baseURL: gateway.url, maxRetries: 0 })
  const unauthorized = await wrong.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((error: unknown) => error)
  t.ok(unauthorized instanceof Anthropic.AuthenticationError)
  t.match((unauthorized as InstanceType<typeof Anthropic.AuthenticationError>).requestID, /./, 'with a request id')
  const invalid = await client.messages.create({ model: MODEL, max_tokens: 16, messages: [] }).catch((error: unknown) => error)
  t.ok(invalid instanceof Anthropic.BadRequestError)
  t.match((invalid as Error).message, /at least one message is required/)
})

test('mirror: the SDK\'s key is the caller\'s own Anthropic key', async (t) => {
  const { stub, client } = await setup(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' }, '/mirror', CALLER_KEY)
  const message = await client.messages.stream({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage()
  t.equal(message.type, 'message')
  // Besides the one key check (a GET of the model list), the message went upstream with the caller's key.
  t.same(stub.requests.filter((request) => request.method === 'POST').map((request) => request.key), [CALLER_KEY])
})
