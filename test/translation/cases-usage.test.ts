// translation-cases.md, "Usage and finish": one test per row.
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import { assembleStream, chat, chatJson, chatStream, comparableAssembled, comparableMessage, functionTool, openHarness, runBoth, user } from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false })
const hello = chat([user('Hello')])

t.test('usage-invariants', async (t) => {
  h.stub.reset()
  const usage = { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 30, cache_creation_input_tokens: 20, output_tokens_details: { thinking_tokens: 12 } }
  const { plain, streamed } = await runBoth(h, { ...hello, stream_options: { include_usage: true } }, { content: [{ type: 'text', text: 'Hi' }], usage })
  const expected = { prompt_tokens: 150, completion_tokens: 50, total_tokens: 200, prompt_tokens_details: { cached_tokens: 30 }, completion_tokens_details: { reasoning_tokens: 12 } }
  t.strictSame(plain.body.usage, expected, 'prompt = input + cache read + cache creation; cached = cache read; total = prompt + completion')
  t.strictSame(assembleStream(streamed).usage, expected, 'the streamed usage is the same')
})

t.test('stream-usage', async (t) => {
  h.stub.reset()
  const withUsage = await chatStream(h.url, { ...hello, stream_options: { include_usage: true } })
  t.equal(withUsage.payloads.at(-1), '[DONE]')
  const last = withUsage.chunks.at(-1)!
  t.strictSame(last.choices, [], 'the last chunk has no choices')
  t.match(last.usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, 'and the full usage')
  t.ok(withUsage.chunks.slice(0, -1).every((chunk) => chunk.usage === null), 'every other chunk has usage: null')
  t.ok(withUsage.chunks.at(-2)!.choices[0].finish_reason, 'the usage chunk comes right after the finish chunk')

  const without = await chatStream(h.url, hello)
  t.equal(without.payloads.at(-1), '[DONE]')
  t.ok(without.chunks.every((chunk) => !('usage' in chunk)), 'without include_usage: no usage anywhere')
  t.ok(without.chunks.every((chunk) => chunk.choices.length === 1), 'and no usage chunk')
})

t.test('first-chunk-role', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'thinking', thinking: 'Hmm', signature: 's1' }, { type: 'text', text: 'Hi there' }] })
  const streamed = await chatStream(h.url, { ...hello, reasoning_effort: 'low' })
  t.equal(streamed.chunks[0].choices[0].delta.role, 'assistant', 'the first delta carries role assistant')
  t.ok(streamed.chunks.slice(1).every((chunk) => chunk.choices.every((choice: any) => choice.delta.role === undefined)), 'later deltas carry no other role')
})

t.test('one-finish', async (t) => {
  h.stub.reset()
  const model = 'claude-haiku-4-5-20251001-thinking'
  const content: StubBlock[] = [{ type: 'thinking', thinking: 'Plan', signature: 's2' }, { type: 'text', text: 'Answer text' }]
  const { plain, streamed } = await runBoth(h, { ...hello, model, stream_options: { include_usage: true } }, { content })
  const finishes = streamed.chunks.filter((chunk) => chunk.choices.some((choice: any) => choice.finish_reason !== null))
  t.equal(finishes.length, 1, 'exactly one chunk carries finish_reason')
  t.equal(new Set(streamed.chunks.map((chunk) => chunk.id)).size, 1, 'one id')
  t.equal(new Set(streamed.chunks.map((chunk) => chunk.created)).size, 1, 'one created')
  t.ok(streamed.chunks.every((chunk) => chunk.model === model && chunk.object === 'chat.completion.chunk'), 'the requested model on every chunk')
  t.match(streamed.chunks[0].id, /^chatcmpl-/)
  t.equal(plain.body.model, model, 'non-stream echoes the requested model too')
})

t.test('stop-reason-map', async (t) => {
  const text: StubBlock[] = [{ type: 'text', text: 'Some text' }]
  const cases: Array<[string, string, StubBlock[]]> = [
    ['end_turn', 'stop', text],
    ['stop_sequence', 'stop', text],
    ['max_tokens', 'length', text],
    ['model_context_window_exceeded', 'length', text],
    ['tool_use', 'tool_calls', [{ type: 'tool_use', id: 'toolu_stop', name: 'lookup', input: { q: 'x' } }]],
    ['refusal', 'content_filter', text],
    ['pause_turn', 'length', text],
    ['some_future_reason', 'stop', text]
  ]
  for (const [reason, expected, content] of cases) {
    h.stub.reset()
    const { plain, streamed } = await runBoth(h, chat([user('Go')], { tools: [functionTool('lookup')] }), { content, stop_reason: reason })
    const assembled = assembleStream(streamed).choices[0]
    t.equal(plain.body.choices[0].finish_reason, expected, `${reason} → ${expected} (non-stream)`)
    t.strictSame(assembled.finishReasons, [expected], `${reason} → ${expected} (stream)`)
    t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]), `${reason}: stream and non-stream agree`)
  }
})

t.test('midstream-error-visible', async (t) => {
  for (const fault of ['error-event-mid-stream', 'cut-mid-stream'] as const) {
    h.stub.reset()
    h.stub.enqueue({ kind: 'fault', fault, afterEvents: 4 })
    const streamed = await chatStream(h.url, hello)
    t.equal(streamed.status, 200, `${fault}: the stream had started`)
    const assembled = assembleStream(streamed)
    t.ok(assembled.choices[0].content.length > 0, `${fault}: some text arrived first`)
    t.equal(assembled.errors.length, 1, `${fault}: an error chunk reaches the client`)
    t.match(assembled.errors[0], { message: String, type: 'server_error' })
    t.strictSame(assembled.choices[0].finishReasons, [], `${fault}: no finish_reason`)
    t.notOk(assembled.done, `${fault}: no [DONE]`)

    h.stub.reset()
    h.stub.enqueue({ kind: 'fault', fault })
    const plain = await chatJson(h.url, hello)
    t.ok(plain.status >= 500, `${fault}: non-stream answers with an error status (${plain.status})`)
    t.match(plain.body.error, { type: 'server_error' })
  }
})
