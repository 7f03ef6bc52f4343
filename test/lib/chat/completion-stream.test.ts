// completionStream: one or several upstream streams into the client's SSE body.
import { test } from 'tap'
import type { AnthropicResponse, ReasoningBlock, StreamPayload } from '../../../lib/anthropic/types.js'
import { completionStream, type ChoiceSource, type CompletionStreamOptions } from '../../../lib/chat/completion-stream.js'
import type { StreamIdentity } from '../../../lib/chat/stream-translator.js'
import { UpstreamError, UpstreamNetworkError } from '../../../lib/errors.js'
import { blockStop, messageDelta, messageStartWith, messageStop, ping, textDelta, textStart, unknownEvent } from '../../helpers/anthropic-events.js'

const identity: StreamIdentity = { id: 'chatcmpl-cs', created: 1700000001, model: 'gpt-test', includeUsage: true }

const messageStart = messageStartWith(10)

/** Marks the place where the upstream iterator throws `undefined` (some libraries reject without a reason). */
const THROW_UNDEFINED = Symbol('throw undefined')
type Step = StreamPayload | Error | typeof THROW_UNDEFINED

function source (events: Step[], closed: string[] = [], name = 'choice', first: StreamPayload = messageStart): ChoiceSource {
  const rest = (async function * () {
    for (const event of events) {
      if (event === THROW_UNDEFINED) throw undefined
      if (event instanceof Error) throw event
      yield event
    }
  })()
  return { first, rest, close: () => { closed.push(name) } }
}

function options (overrides: Partial<CompletionStreamOptions> = {}): CompletionStreamOptions {
  return { identity, jsonTool: null, thinkingFormat: 'reasoning_content', onReasoning: () => {}, ...overrides }
}

async function collect (body: AsyncGenerator<string>): Promise<string[]> {
  const chunks: string[] = []
  for await (const chunk of body) chunks.push(chunk)
  return chunks
}

function parse (chunk: string): any {
  if (!chunk.startsWith('data: ') || !chunk.endsWith('\n\n')) throw new Error(`not an SSE data chunk: ${JSON.stringify(chunk)}`)
  return JSON.parse(chunk.slice(6))
}

const DONE = 'data: [DONE]\n\n'
const clean = [textStart(0), textDelta(0, 'Hel'), ping, textDelta(0, 'lo'), ping, blockStop(0), messageDelta('end_turn', 4), messageStop]

test('one choice: its chunks, then the usage chunk and [DONE]; pings make no chunk', async (t) => {
  const closed: string[] = []
  const chunks = await collect(completionStream([source(clean, closed, 'only')], options()))
  t.equal(chunks.at(-1), DONE)
  t.strictSame(chunks.slice(0, -2).map((chunk) => parse(chunk).choices[0].delta), [{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo' }, {}])
  t.equal(parse(chunks.at(-3)!).choices[0].finish_reason, 'stop')
  t.strictSame(parse(chunks.at(-2)!), {
    id: 'chatcmpl-cs',
    object: 'chat.completion.chunk',
    created: 1700000001,
    model: 'gpt-test',
    system_fingerprint: null,
    choices: [],
    usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }
  })
  t.equal(chunks.length, 6, 'no empty chunk anywhere')
  t.strictSame(closed, ['only'])
})

test('without include_usage there is no usage chunk', async (t) => {
  const chunks = await collect(completionStream([source(clean)], options({ identity: { ...identity, includeUsage: false } })))
  t.equal(chunks.length, 5)
  t.equal(chunks.at(-1), DONE)
  t.equal(parse(chunks.at(-2)!).choices[0].finish_reason, 'stop')
  t.notOk(chunks.some((chunk) => chunk.includes('"usage"')), 'no usage anywhere')
})

test('an unknown event before message_start is passed over and the choice still streams', async (t) => {
  const single = await collect(completionStream([source([messageStart, ...clean], [], 'one', unknownEvent)], options()))
  t.equal(single.length, 6, 'role, two pieces, finish, usage, [DONE]; no empty chunk')
  t.strictSame(parse(single[0]).choices[0].delta, { role: 'assistant', content: '' })
  t.equal(single.at(-1), DONE)

  const merged = await collect(completionStream([source([messageStart, ...clean], [], 'a', unknownEvent), source(clean, [], 'b')], options()))
  t.equal(merged.length, 10, 'two choices of four chunks, usage, [DONE]; no empty chunk')
  t.equal(merged.at(-1), DONE)
  t.strictSame(merged.slice(0, -2).map((chunk) => parse(chunk).choices[0].index).sort(), [0, 0, 0, 0, 1, 1, 1, 1])
  t.match(parse(merged.at(-2)!), { usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 } })
})

test('how each upstream failure is told to the client', async (t) => {
  const cases: Array<{ name: string; failure: Step; error: object }> = [
    {
      name: 'a network failure',
      failure: new UpstreamNetworkError('read ECONNRESET', 'ECONNRESET'),
      error: { message: 'The upstream stream failed before the answer was complete (read ECONNRESET)', type: 'server_error', param: null, code: 'upstream_stream_failed' }
    },
    {
      name: 'an upstream error',
      failure: new UpstreamError(529, 'overloaded_error', 'Overloaded'),
      error: { message: 'Upstream: Overloaded', type: 'server_error', param: null, code: 'overloaded_error' }
    },
    {
      name: 'any other exception',
      failure: new Error('parser bug'),
      error: { message: 'The upstream stream failed before the answer was complete', type: 'server_error', param: null, code: 'upstream_stream_failed' }
    },
    {
      name: 'an exception without a value',
      failure: THROW_UNDEFINED,
      error: { message: 'The upstream stream failed before the answer was complete', type: 'server_error', param: null, code: 'upstream_stream_failed' }
    }
  ]
  for (const { name, failure, error } of cases) {
    const closed: string[] = []
    const chunks = await collect(completionStream([source([textStart(0), textDelta(0, 'par'), failure], closed)], options()))
    t.strictSame(chunks.map(parse), [
      { id: 'chatcmpl-cs', object: 'chat.completion.chunk', created: 1700000001, model: 'gpt-test', system_fingerprint: null, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], usage: null },
      { id: 'chatcmpl-cs', object: 'chat.completion.chunk', created: 1700000001, model: 'gpt-test', system_fingerprint: null, choices: [{ index: 0, delta: { content: 'par' }, logprobs: null, finish_reason: null }], usage: null },
      { error }
    ], name)
    t.strictSame(closed, ['choice'], `${name}: the upstream stream is closed`)
  }

  const cut = await collect(completionStream([source([textStart(0), textDelta(0, 'par')])], options()))
  t.strictSame(parse(cut.at(-1)!), { error: { message: 'The upstream stream ended before the answer was complete', type: 'server_error', param: null, code: 'upstream_stream_failed' } }, 'a stream that ends without message_stop')
  t.equal(cut.length, 3)
})

test('a choice that fails after the other one finished still ends the body with the error and no [DONE]', async (t) => {
  const late = [textStart(0), textDelta(0, 'late'), ...Array.from({ length: 30 }, () => ping), new Error('socket hang up')]
  const chunks = await collect(completionStream([source(clean, [], 'a'), source(late, [], 'b')], options()))
  const parsed = chunks.map(parse)
  t.ok(parsed.some((chunk) => chunk.choices?.[0]?.index === 0 && chunk.choices[0].finish_reason === 'stop'), 'the first choice finished')
  t.match(parsed.at(-1), { error: { code: 'upstream_stream_failed' } })
  t.notOk(chunks.includes(DONE), 'no [DONE]')
  t.notOk(parsed.some((chunk) => chunk.usage !== undefined && chunk.usage !== null), 'no usage chunk')
})

const thinking: StreamPayload = { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: 'look it up', signature: 'sig1' } }
const toolCall = (id: string): StreamPayload => ({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id, name: 'lookup', input: {} } })
const toolTurn = (id: string): StreamPayload[] => [thinking, blockStop(0), toolCall(id), blockStop(1), messageDelta('tool_use', 6), messageStop]

test('the thinking of a tool-calling turn is saved, awaited before usage and [DONE]', async (t) => {
  const log: string[] = []
  const saved: Array<{ ids: string[]; blocks: ReasoningBlock[] }> = []
  const onReasoning = async (ids: string[], blocks: ReasoningBlock[]): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve))
    saved.push({ ids, blocks })
    log.push('saved')
  }
  for await (const chunk of completionStream([source(toolTurn('toolu_1')), source(toolTurn('toolu_2'))], options({ onReasoning }))) {
    log.push(chunk === DONE ? 'done' : parse(chunk).choices.length === 0 ? 'usage' : 'chunk')
  }
  t.strictSame(saved, [
    { ids: ['toolu_1'], blocks: [{ type: 'thinking', thinking: 'look it up', signature: 'sig1' }] },
    { ids: ['toolu_2'], blocks: [{ type: 'thinking', thinking: 'look it up', signature: 'sig1' }] }
  ], 'each choice\'s thinking, in choice order')
  t.strictSame(log.slice(-4), ['saved', 'saved', 'usage', 'done'])

  saved.length = 0
  const failed = [thinking, blockStop(0), toolCall('toolu_3'), blockStop(1), new Error('cut')]
  await collect(completionStream([source(failed)], options({ onReasoning })))
  t.strictSame(saved, [], 'nothing is saved for a turn that failed')
})

// Equivalent mutant: `sources.length === 1` → `false` in completionStream sends a single choice
// through mergedChoices, which for one source pulls the same events in the same order, yields the
// same chunks and stops at the same state as singleChoice; only the bookkeeping differs.
