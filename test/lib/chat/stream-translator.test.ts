// The stream translator as a state machine: awaiting-start → streaming → finished | failed.
import fc from 'fast-check'
import { test } from 'tap'
import type { AnthropicResponse, StreamPayload } from '../../../lib/anthropic/types.js'
import { completionStream, type ChoiceSource } from '../../../lib/chat/completion-stream.js'
import { StreamTranslator, type StreamIdentity } from '../../../lib/chat/stream-translator.js'
import { blockStop, messageDelta, messageStartWith, messageStop, ping, textDelta, textStart, unknownEvent } from '../../helpers/anthropic-events.js'

const identity: StreamIdentity = { id: 'chatcmpl-test', created: 1700000000, model: 'claude-test', includeUsage: true }

const messageStart = messageStartWith(7)

function parse (chunk: string): any {
  if (!chunk.startsWith('data: ') || !chunk.endsWith('\n\n')) throw new Error(`not an SSE data chunk: ${chunk}`)
  return JSON.parse(chunk.slice(6))
}

function feed (translator: StreamTranslator, events: StreamPayload[]): any[] {
  return events.map((event) => translator.handle(event)).filter(Boolean).map(parse)
}

test('awaiting-start: only message_start (or an error) moves the machine', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  t.equal(translator.state, 'awaiting-start')
  for (const event of [ping, unknownEvent, textStart(0), textDelta(0, 'early'), blockStop(0), messageDelta('end_turn', 3), messageStop]) {
    t.equal(translator.handle(event), '', `${event.type} before message_start is ignored`)
  }
  t.equal(translator.state, 'awaiting-start')
  const [first] = feed(translator, [messageStart])
  t.equal(translator.state, 'streaming')
  t.strictSame(first.choices[0].delta, { role: 'assistant', content: '' }, 'the first chunk carries the role')
  t.match(first, { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1700000000, model: 'claude-test', usage: null })
})

test('streaming → finished: events after message_stop are ignored', async (t) => {
  const translator = new StreamTranslator(identity, 2, null, 'reasoning_content')
  const chunks = feed(translator, [messageStart, ping, textStart(0), textDelta(0, 'Hel'), unknownEvent, textDelta(0, 'lo'), blockStop(0), messageDelta('max_tokens', 9), messageStop])
  t.equal(translator.state, 'finished')
  t.equal(translator.finishReason, 'length')
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta.content ?? null), ['', 'Hel', 'lo', null])
  t.ok(chunks.every((chunk) => chunk.choices[0].index === 2), 'every chunk carries the choice index')
  t.strictSame(chunks.map((chunk) => chunk.choices[0].finish_reason), [null, null, null, 'length'], 'one finish, last')
  for (const event of [textStart(1), textDelta(0, 'late'), messageDelta('end_turn', 99), messageStop, messageStart, { type: 'error', error: { type: 'overloaded_error', message: 'late' } } as StreamPayload]) {
    t.equal(translator.handle(event), '', `${event.type} after message_stop is ignored`)
  }
  t.equal(translator.state, 'finished')
  t.match(translator.usage, { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 }, 'usage from message_start and the cumulative message_delta')
})

test('unknown block and delta types are passed over', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  const serverTool = { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } } as unknown as StreamPayload
  const citation: StreamPayload = { type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { cited_text: 'x' } } }
  const futureDelta = { type: 'content_block_delta', index: 1, delta: { type: 'future_delta', value: 1 } } as unknown as StreamPayload
  const chunks = feed(translator, [messageStart, serverTool, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":1}' } }, blockStop(0),
    textStart(1), textDelta(1, 'Cited'), citation, futureDelta, blockStop(1), messageDelta('end_turn', 2), messageStop])
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta), [{ role: 'assistant', content: '' }, { content: 'Cited' }, {}])
  t.equal(translator.finishReason, 'stop')
})

test('streaming → failed: an error event becomes a visible error and ends the choice', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(translator, [messageStart, textStart(0), textDelta(0, 'partial')])
  const [error] = feed(translator, [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }])
  t.strictSame(error, { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } })
  t.equal(translator.state, 'failed')
  t.strictSame(feed(translator, [textDelta(0, 'more'), messageDelta('end_turn', 1), messageStop]), [], 'nothing after the failure, no finish')
  t.equal(translator.finishReason, null)
  t.equal(translator.fail('again', 'x'), '', 'fails once')

  const early = new StreamTranslator(identity, 0, null, 'reasoning_content')
  t.match(feed(early, [{ type: 'error', error: { type: 'api_error', message: 'boom' } }]), [{ error: { code: 'api_error' } }], 'an error before message_start fails too')
  t.equal(early.state, 'failed')
})

test('tool calls are numbered by start order and their thinking is kept for the store', async (t) => {
  const translator = new StreamTranslator(identity, 0, 'answer_tool', 'reasoning_content')
  const events: StreamPayload[] = [
    messageStart,
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'plan' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig/+=' } },
    blockStop(0),
    { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } },
    blockStop(1),
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_a', name: 'first', input: {} } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } },
    blockStop(2),
    { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_b', name: 'second', input: {} } },
    { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '' } },
    blockStop(3),
    messageDelta('tool_use', 20),
    messageStop
  ]
  const calls = feed(translator, events).flatMap((chunk) => chunk.choices[0].delta.tool_calls ?? [])
  t.strictSame(calls, [
    { index: 0, id: 'toolu_a', type: 'function', function: { name: 'first', arguments: '' } },
    { index: 0, function: { arguments: '{"a":' } },
    { index: 0, function: { arguments: '1}' } },
    { index: 1, id: 'toolu_b', type: 'function', function: { name: 'second', arguments: '' } },
    { index: 1, function: { arguments: '{}' } }
  ])
  t.equal(translator.finishReason, 'tool_calls')
  t.strictSame(translator.reasoning, {
    toolCallIds: ['toolu_a', 'toolu_b'],
    blocks: [{ type: 'thinking', thinking: 'plan', signature: 'sig/+=' }, { type: 'redacted_thinking', data: 'opaque' }]
  })
})

test('any text split into deltas, with pings between, streams back whole with one finish', async (t) => {
  fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 20 }), fc.array(fc.boolean(), { maxLength: 20 }), (pieces, pings) => {
    const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
    const events: StreamPayload[] = [messageStart, textStart(0)]
    pieces.forEach((piece, i) => {
      events.push(textDelta(0, piece))
      if (pings[i]) events.push(ping)
    })
    events.push(blockStop(0), messageDelta('end_turn', 5), messageStop, textDelta(0, 'after'))
    const chunks = feed(translator, events)
    const content = chunks.map((chunk) => chunk.choices[0].delta.content ?? '').join('')
    const finishes = chunks.filter((chunk) => chunk.choices[0].finish_reason !== null)
    return content === pieces.join('') && finishes.length === 1 && finishes[0] === chunks.at(-1) && translator.state === 'finished'
  }), { numRuns: 300 })
  t.pass('300 random splits streamed back whole')
})

/** An upstream stream that is already past message_start, from a list of events (an Error fails it). */
function source (events: Array<StreamPayload | Error>, closed: string[], name: string): ChoiceSource {
  const rest = (async function * () {
    for (const event of events) {
      if (event instanceof Error) throw event
      yield event
    }
  })()
  return { first: messageStart, rest, close: () => { closed.push(name) } }
}

test('completionStream: choices finish cleanly into usage and [DONE]; one failure ends the whole body', async (t) => {
  const clean = [textStart(0), textDelta(0, 'ok'), blockStop(0), messageDelta('end_turn', 2), messageStop]
  const closed: string[] = []
  const options = { identity, jsonTool: null, thinkingFormat: 'reasoning_content' as const, onReasoning: () => {} }
  const good: string[] = []
  for await (const chunk of completionStream([source(clean, closed, 'a'), source(clean, closed, 'b')], options)) good.push(chunk)
  t.equal(good.at(-1), 'data: [DONE]\n\n')
  t.match(parse(good.at(-2)!), { choices: [], usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 } }, 'usage summed over both choices')
  t.strictSame(closed.sort(), ['a', 'b'], 'both upstream streams closed')

  closed.length = 0
  const slow = [textStart(0), textDelta(0, 'slow'), ...Array.from({ length: 50 }, () => ping), blockStop(0), messageDelta('end_turn', 2), messageStop]
  const failing = [textStart(0), new Error('socket hang up')]
  const bad: string[] = []
  for await (const chunk of completionStream([source(slow, closed, 'slow'), source(failing, closed, 'failing')], options)) bad.push(chunk)
  const last = parse(bad.at(-1)!)
  t.match(last, { error: { type: 'server_error', code: 'upstream_stream_failed' } }, 'the body ends with the error')
  t.notOk(bad.includes('data: [DONE]\n\n'), 'no [DONE]')
  t.notOk(bad.some((chunk) => chunk.includes('"finish_reason":"stop"')), 'no clean finish for the choice still running')
  t.strictSame(closed.sort(), ['failing', 'slow'], 'every upstream stream is closed')
})

const thinkingStart = (index: number, thinking: string, signature: string): StreamPayload => ({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking, signature } })
const thinkingDelta = (index: number, thinking: string): StreamPayload => ({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } })
const signatureDelta = (index: number, signature: string): StreamPayload => ({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature } })
const jsonDelta = (index: number, partial: string): StreamPayload => ({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } })
const toolStart = (index: number, id: string, name: string): StreamPayload => ({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } })

test('reasoning_content: thinking streams as reasoning_content, each later shown block after a blank line', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  const chunks = feed(translator, [
    messageStart,
    // A thinking block with nothing in it shows nothing and does not count as an earlier thought.
    thinkingStart(0, '', ''), blockStop(0),
    thinkingStart(1, '', ''), thinkingDelta(1, 'First'), thinkingDelta(1, ''), thinkingDelta(1, ' thought'), blockStop(1),
    // The start event itself may carry the first piece of thinking and of the signature.
    thinkingStart(2, 'Second', 'sigB'), signatureDelta(2, 'C'), thinkingDelta(2, ' more'), blockStop(2),
    { type: 'content_block_start', index: 3, content_block: { type: 'text', text: 'Hi' } }, textDelta(3, ' there'), blockStop(3),
    toolStart(4, 'toolu_r', 'lookup'), jsonDelta(4, '{}'), blockStop(4),
    messageDelta('tool_use', 30), messageStop
  ])
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta), [
    { role: 'assistant', content: '' },
    { reasoning_content: 'First' },
    { reasoning_content: ' thought' },
    { reasoning_content: '\n\nSecond' },
    { reasoning_content: ' more' },
    { content: 'Hi' },
    { content: ' there' },
    { tool_calls: [{ index: 0, id: 'toolu_r', type: 'function', function: { name: 'lookup', arguments: '' } }] },
    { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
    {}
  ])
  t.strictSame(translator.reasoning, {
    toolCallIds: ['toolu_r'],
    blocks: [
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'thinking', thinking: 'First thought', signature: '' },
      { type: 'thinking', thinking: 'Second more', signature: 'sigBC' }
    ]
  }, 'whole thinking and signatures, start pieces included, for the store')
})

test('think-tags: each shown thinking block is wrapped in <think> tags inside content', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'think-tags')
  const chunks = feed(translator, [
    messageStart,
    thinkingStart(0, '', ''), thinkingDelta(0, 'Plan'), thinkingDelta(0, ' more'), blockStop(0),
    // Never opened: no tags at all.
    thinkingStart(1, '', ''), blockStop(1),
    thinkingStart(2, 'Again', 'sig'), blockStop(2),
    textStart(3), textDelta(3, 'Answer'), blockStop(3),
    messageDelta('end_turn', 12), messageStop
  ])
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta), [
    { role: 'assistant', content: '' },
    { content: '<think>\nPlan' },
    { content: ' more' },
    { content: '\n</think>\n\n' },
    { content: '<think>\nAgain' },
    { content: '\n</think>\n\n' },
    { content: 'Answer' },
    {}
  ])
  t.equal(translator.finishReason, 'stop')
})

test('the thinking store gets a turn\'s thinking only when the turn also called tools', async (t) => {
  const thoughtOnly = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(thoughtOnly, [messageStart, thinkingStart(0, 'hm', 'sig'), blockStop(0), textStart(1), textDelta(1, 'no tools'), blockStop(1), messageDelta('end_turn', 3), messageStop])
  t.equal(thoughtOnly.reasoning, null, 'thinking without tool calls is not stored')

  const toolsOnly = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(toolsOnly, [messageStart, toolStart(0, 'toolu_x', 'lookup'), blockStop(0), messageDelta('tool_use', 3), messageStop])
  t.equal(toolsOnly.reasoning, null, 'tool calls without thinking store nothing')
  t.equal(toolsOnly.finishReason, 'tool_calls')
})

test('deltas that do not fit their block, unknown blocks and unknown indexes give no chunk', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(translator, [messageStart, textStart(0), thinkingStart(1, '', ''), toolStart(2, 'toolu_t', 'lookup')])
  const serverTool = { type: 'content_block_start', index: 3, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } } as unknown as StreamPayload
  const futureDelta = { type: 'content_block_delta', index: 0, delta: { type: 'future_delta', value: 1 } } as unknown as StreamPayload
  t.equal(translator.handle(textDelta(0, '')), '', 'an empty text delta')
  t.equal(translator.handle(textDelta(1, 'wrong')), '', 'text into a thinking block')
  t.equal(translator.handle(textDelta(2, 'wrong')), '', 'text into a tool block')
  t.equal(translator.handle(thinkingDelta(0, 'wrong')), '', 'thinking into a text block')
  t.equal(translator.handle(thinkingDelta(1, '')), '', 'an empty thinking delta')
  t.equal(translator.handle(jsonDelta(0, '{"x":1}')), '', 'arguments into a text block')
  t.equal(translator.handle(jsonDelta(2, '')), '', 'empty arguments')
  t.equal(translator.handle(signatureDelta(0, 'sig')), '', 'a signature for a text block')
  t.equal(translator.handle(textDelta(9, 'nowhere')), '', 'a delta for a block that never started')
  t.equal(translator.handle(blockStop(9)), '', 'a stop for a block that never started')
  t.equal(translator.handle(serverTool), '', 'an unknown block type')
  t.equal(translator.handle(textDelta(3, 'into the unknown block')), '', 'a delta into an unknown block')
  t.equal(translator.handle(futureDelta), '', 'an unknown delta type')
  t.equal(translator.handle(ping), '', 'a ping while streaming')
  t.equal(translator.handle(unknownEvent), '', 'an unknown event while streaming')
  t.equal(translator.handle(blockStop(0)), '', 'the end of a text block')
  t.equal(translator.handle(blockStop(1)), '', 'the end of a thinking block that showed nothing')
  t.equal(translator.handle(blockStop(3)), '', 'the end of an unknown block')
  t.strictSame(feed(translator, [blockStop(2)]).map((chunk) => chunk.choices[0].delta), [{ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }], 'a call with no arguments gets {}')
  t.equal(translator.state, 'streaming')
})

test('the JSON answer tool streams its arguments as content and is no tool call', async (t) => {
  const translator = new StreamTranslator(identity, 0, 'json_answer', 'reasoning_content')
  const chunks = feed(translator, [messageStart, toolStart(0, 'toolu_j', 'json_answer'), jsonDelta(0, '{"a"'), jsonDelta(0, ''), jsonDelta(0, ':1}'), blockStop(0), messageDelta('tool_use', 8), messageStop])
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta), [{ role: 'assistant', content: '' }, { content: '{"a"' }, { content: ':1}' }, {}])
  t.equal(translator.finishReason, 'stop', 'a turn that only answered through the answer tool simply stopped')
  t.equal(translator.reasoning, null)

  const empty = new StreamTranslator(identity, 0, 'json_answer', 'reasoning_content')
  const emptyChunks = feed(empty, [messageStart, toolStart(0, 'toolu_j', 'json_answer'), blockStop(0), messageDelta('tool_use', 2), messageStop])
  t.strictSame(emptyChunks.map((chunk) => chunk.choices[0].delta), [{ role: 'assistant', content: '' }, { content: '{}' }, {}], 'no arguments at all answer {}')
})

test('message_delta: a later delta without stop_reason or usage keeps the earlier ones', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(translator, [messageStart, messageDelta('max_tokens', 5)])
  t.equal(translator.handle({ type: 'message_delta', delta: {} }), '')
  feed(translator, [messageStop])
  t.equal(translator.finishReason, 'length')
  t.strictSame(translator.usage, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } })
})

test('a finished choice cannot fail afterwards', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'reasoning_content')
  feed(translator, [messageStart, messageDelta('end_turn', 1), messageStop])
  t.equal(translator.fail('late failure', 'upstream_stream_failed'), '')
  t.equal(translator.state, 'finished')
  t.equal(translator.finishReason, 'stop')
})

// Mutants of the stream-translation area that no test can kill, because behaviour cannot change:
// - onBlockStart, unknown block type: `{ kind: 'ignored' }` → `{}`. Every reader of a block switches
//   on `kind` and treats a missing kind exactly like 'ignored' (no text, thinking, arguments or stop chunk).
// - onBlockDelta, signature_delta: `block.kind === 'thinking'` → `true`. A signature added to another
//   kind of block is never read: only thinking blocks' signatures go to the thinking store.

test('web search citations: a url_citation delta when the cited text block stops, placed by all the content before it', async (t) => {
  const translator = new StreamTranslator(identity, 0, null, 'think-tags')
  const cite = (url: string): StreamPayload => ({ type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url, title: `T ${url}` } } })
  const chunks = feed(translator, [
    messageStart,
    thinkingStart(0, 'ok', 's'), blockStop(0),
    { type: 'content_block_start', index: 1, content_block: { type: 'text', text: 'Sunny' } },
    cite('https://a.example/'),
    { type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { type: 'char_location', url: 'https://doc.example/', cited_text: 'x' } } },
    textDelta(1, '.'),
    cite('https://b.example/'),
    { type: 'content_block_delta', index: 0, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://late.example/' } } },
    blockStop(1),
    textStart(2), textDelta(2, ' Uncited.'), blockStop(2),
    messageDelta('end_turn', 5), messageStop
  ])
  // '<think>\nok' and '\n</think>\n\n' are 21 characters, so the cited text runs from 21 to 27.
  const at = (url: string): Record<string, unknown> => ({ type: 'url_citation', url_citation: { start_index: 21, end_index: 27, url, title: `T ${url}` } })
  t.strictSame(chunks.map((chunk) => chunk.choices[0].delta), [
    { role: 'assistant', content: '' },
    { content: '<think>\nok' },
    { content: '\n</think>\n\n' },
    { content: 'Sunny' },
    { content: '.' },
    { annotations: [at('https://a.example/'), at('https://b.example/')] },
    { content: ' Uncited.' },
    {}
  ], 'a document location and a citation on the thinking block give nothing; an uncited block no annotations')
})
