// translation-cases.md, "Thinking": one test per row.
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import {
  assembleStream, chat, chatJson, chatStream, comparableAssembled, comparableMessage, functionTool, openHarness, runBoth, toolMessage, user
} from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false }, { chunkSize: 5 })
const weather = functionTool('get_weather', { type: 'object', properties: { city: { type: 'string' } } })
// Real signatures are long base64; '+', '/' and '=' must survive untouched.
const SIGNATURE = 'EqQBCkgIBhABGAIiQL+/x9' + 'ab+/cd=='.repeat(40) + 'Zz/+=='
const THOUGHT = 'First, the user wants the weather.\n  Paris — "Île-de-France" 🌦️\ttrailing space '

/** Turn 1 (streamed or not) answers with thinking and a tool call; returns what the client saw. */
async function firstTurn (stream: boolean, content: StubBlock[]): Promise<any> {
  h.stub.enqueue({ content })
  const body = chat([user('Weather in Paris?')], { tools: [weather], reasoning_effort: 'low' })
  if (!stream) return (await chatJson(h.url, body)).body.choices[0].message
  const streamed = assembleStream(await chatStream(h.url, body)).choices[0]
  return { role: 'assistant', content: streamed.content || null, tool_calls: streamed.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
}

/** Turn 2 as OpenAI clients send it: only role, content and tool_calls come back, plus the result. */
async function secondTurn (message: any): Promise<{ status: number; sent: any }> {
  const echoed = { role: 'assistant', content: message.content, tool_calls: message.tool_calls }
  const body = chat([user('Weather in Paris?'), echoed, toolMessage(message.tool_calls[0].id, '18°C, light rain')], { tools: [weather], reasoning_effort: 'low' })
  const before = h.stub.requests.length
  const answer = await chatJson(h.url, body)
  return { status: answer.status, sent: h.stub.requests[before]?.body }
}

t.test('reasoning-separate', async (t) => {
  h.stub.reset()
  const content: StubBlock[] = [{ type: 'thinking', thinking: THOUGHT, signature: SIGNATURE }, { type: 'text', text: 'It will rain.' }]
  const { plain, streamed } = await runBoth(h, chat([user('Weather?')], { reasoning_effort: 'medium' }), { content })
  const message = plain.body.choices[0].message
  t.equal(message.reasoning_content, THOUGHT, 'non-stream: thinking in reasoning_content')
  t.equal(message.content, 'It will rain.', 'non-stream: content holds the answer only')
  const assembled = assembleStream(streamed).choices[0]
  t.equal(assembled.reasoning, THOUGHT, 'stream: thinking in reasoning_content deltas')
  t.equal(assembled.content, 'It will rain.', 'stream: content holds the answer only')
  t.notOk(streamed.chunks.some((chunk) => chunk.choices?.[0]?.delta?.content?.includes('<think>')), 'no <think> tag anywhere')
  t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('signature-round-trip', async (t) => {
  for (const stream of [false, true]) {
    h.stub.reset()
    const signature = `${SIGNATURE}${stream ? 'S' : 'P'}`
    const thinking: StubBlock = { type: 'thinking', thinking: THOUGHT, signature }
    const id = `toolu_round_${stream ? 'stream' : 'plain'}`
    const message = await firstTurn(stream, [thinking, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id, name: 'get_weather', input: { city: 'Paris' } }])
    t.equal(message.tool_calls[0].id, id, `${stream ? 'stream' : 'plain'}: turn 1 gave a tool call`)
    const { status, sent } = await secondTurn(message)
    t.equal(status, 200, `${stream ? 'stream' : 'plain'}: the stub accepted turn 2`)
    const turn = sent.messages[1]
    t.equal(JSON.stringify(turn.content[0]), JSON.stringify(thinking), `${stream ? 'stream' : 'plain'}: the assistant turn starts with the original thinking block, byte for byte`)
    t.strictSame(turn.content.slice(1).map((block: any) => block.type), ['text', 'tool_use'])
    t.equal(sent.thinking.type, 'enabled', 'thinking stayed on')
  }
})

t.test('signature-exact', async (t) => {
  for (const stream of [false, true]) {
    h.stub.reset()
    const blocks: StubBlock[] = [
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP+==' },
      { type: 'thinking', thinking: '  leading and trailing whitespace stays  \n', signature: `${SIGNATURE}==/+` }
    ]
    const id = `toolu_exact_${stream ? 's' : 'p'}`
    const message = await firstTurn(stream, [...blocks, { type: 'tool_use', id, name: 'get_weather', input: { city: 'Oslo' } }])
    t.notOk(JSON.stringify(message).includes('EmwKAhgB'), 'redacted data never reaches the client')
    const { status, sent } = await secondTurn(message)
    t.equal(status, 200, `${stream ? 'stream' : 'plain'}: accepted (the stub refuses modified blocks)`)
    t.equal(JSON.stringify(sent.messages[1].content.slice(0, 2)), JSON.stringify(blocks), 'redacted and signed thinking come back unchanged and in order')
  }
})

t.test('thinking-with-forced-tool', async (t) => {
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false }
  const responseFormat = { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } }

  h.stub.reset()
  const native = await chatJson(h.url, chat([user('Answer in JSON')], { response_format: responseFormat, reasoning_effort: 'low' }))
  t.equal(native.status, 200, 'native structured output with thinking: accepted')
  const nativeSent = h.stub.requests[0].body
  t.strictSame(nativeSent.output_config.format, { type: 'json_schema', schema })
  t.equal(nativeSent.tool_choice, undefined, 'no forced tool')

  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'thinking', thinking: 'JSON it is.', signature: 'sig-json' }, { type: 'tool_use', id: 'toolu_json', name: 'reply', input: { answer: 'yes' } }] })
  const fallback = await chatJson(h.url, chat([user('Answer in JSON')], { model: 'claude-opus-4-1-20250805', response_format: responseFormat, reasoning_effort: 'low' }))
  t.equal(fallback.status, 200, 'answer tool with budget thinking: accepted')
  const fallbackSent = h.stub.requests[0].body
  t.equal(fallbackSent.thinking.type, 'enabled')
  t.strictSame(fallbackSent.tool_choice, { type: 'auto' }, 'the answer tool is asked for, not forced')
  t.strictSame(JSON.parse(fallback.body.choices[0].message.content), { answer: 'yes' })
  t.equal(fallback.body.choices[0].finish_reason, 'stop')

  h.stub.reset()
  const required = await chatJson(h.url, chat([user('Call it')], { tools: [weather], tool_choice: 'required', reasoning_effort: 'low' }))
  t.equal(required.status, 400, "tool_choice 'required' with budget thinking: a clear 400")
  t.equal(required.body.error.param, 'tool_choice')
  t.equal(required.body.error.code, 'thinking_with_forced_tool')
  t.equal(h.stub.requests.length, 0, 'nothing sent upstream')

  h.stub.reset()
  const adaptive = await chatJson(h.url, chat([user('Call it')], { model: 'claude-opus-4-7', tools: [weather], tool_choice: 'required', reasoning_effort: 'low' }))
  t.equal(adaptive.status, 200, 'adaptive thinking allows forcing: accepted')
  t.strictSame(h.stub.requests[0].body.tool_choice, { type: 'any' })
})

t.test('thinking-budget-limits', async (t) => {
  const efforts = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max']
  // Each model's own output limit, written out: Haiku 4.5 64000, Opus 4.1 32000.
  const models: Array<[string, number]> = [['claude-haiku-4-5-20251001', 64000], ['claude-opus-4-1-20250805', 32000]]
  for (const [model, limit] of models) {
    for (const effort of efforts) {
      for (const maxTokens of [undefined, 200, 5000, 31000, 60000]) {
        h.stub.reset()
        const extra: Record<string, unknown> = { reasoning_effort: effort, temperature: 0.2, top_k: 5 }
        if (maxTokens !== undefined) extra.max_tokens = maxTokens
        const answer = await chatJson(h.url, { ...chat([user('Think')], extra), model })
        const label = `${model}, ${effort}, max_tokens ${maxTokens ?? 'unset'}`
        t.equal(answer.status, 200, `${label}: accepted`)
        const sent = h.stub.requests[0].body
        const budget = sent.thinking.budget_tokens
        t.ok(budget >= 1024 && budget < sent.max_tokens, `${label}: 1024 ≤ budget ${budget} < max_tokens ${sent.max_tokens}`)
        t.ok(sent.max_tokens <= limit, `${label}: max_tokens ${sent.max_tokens} within the model's output limit ${limit}`)
        if (maxTokens !== undefined && maxTokens > budget && maxTokens <= limit) t.equal(sent.max_tokens, maxTokens, `${label}: a roomy max_tokens is kept`)
        t.equal(sent.temperature, undefined, `${label}: temperature left unset`)
        t.equal(sent.top_k, undefined, `${label}: top_k left unset`)
        t.equal(answer.headers.get('x-claude2api-dropped-fields'), 'temperature,top_k', `${label}: reported as dropped`)
      }
    }
  }
  // The largest budget on the 32000 model: max_tokens is raised to make room, but only up to 32000.
  h.stub.reset()
  await chatJson(h.url, { ...chat([user('Think')], { reasoning_effort: 'max' }), model: 'claude-opus-4-1-20250805' })
  t.equal(h.stub.requests[0].body.max_tokens, 32000, 'raised max_tokens clamped to the 32000 limit')
  h.stub.reset()
  const one = await chatJson(h.url, chat([user('Think')], { reasoning_effort: 'low', temperature: 1 }))
  t.equal(one.status, 200)
  t.equal(h.stub.requests[0].body.temperature, 1, 'temperature 1 is allowed while thinking')
})
