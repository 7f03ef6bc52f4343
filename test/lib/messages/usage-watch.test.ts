// The usage of a passed-through answer is read while its bytes flow on, stream or JSON.
import { test } from 'tap'
import { UsageWatch } from '../../../lib/messages/usage-watch.js'

function sse (events: Array<[string, unknown]>): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('')
}

const STREAM = sse([
  ['message_start', { type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 120, cache_read_input_tokens: 80, cache_creation_input_tokens: 40, output_tokens: 1 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['ping', { type: 'ping' }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 57, cache_read_input_tokens: null } }],
  ['message_stop', { type: 'message_stop' }]
])

function watched (contentType: string | undefined, text: string, cut: number): ReturnType<UsageWatch['finish']> {
  const watch = new UsageWatch(contentType)
  const bytes = Buffer.from(text)
  for (let at = 0; at < bytes.length; at += cut) watch.see(bytes.subarray(at, at + cut))
  return watch.finish()
}

test('a streamed answer counts message_start usage merged with the final message_delta usage', async (t) => {
  const expected = { input_tokens: 120, cache_read_input_tokens: 80, cache_creation_input_tokens: 40, output_tokens: 57 }
  t.same(watched('text/event-stream; charset=utf-8', STREAM, STREAM.length), expected, 'one chunk')
  t.same(watched('text/event-stream', STREAM, 7), expected, 'small chunks')
})

test('a stream without usage, or with malformed events, counts nothing it cannot read', async (t) => {
  t.equal(watched('text/event-stream', sse([['ping', { type: 'ping' }]]), 100), undefined)
  const broken = 'event: message_start\ndata: {not json\n\n' + sse([['message_delta', { usage: { output_tokens: 3 } }]])
  t.same(watched('text/event-stream', broken, 100), { output_tokens: 3 })
})

test('a JSON answer counts its usage; anything else counts nothing', async (t) => {
  const answer = JSON.stringify({ id: 'msg_1', type: 'message', usage: { input_tokens: 9, output_tokens: 4 } })
  t.same(watched('application/json', answer, 5), { input_tokens: 9, output_tokens: 4 })
  t.same(watched(undefined, answer, 1000), { input_tokens: 9, output_tokens: 4 }, 'no content type: read as JSON')
  t.equal(watched('application/json', '{"usage":null}', 100), undefined)
  t.equal(watched('application/json', 'not json', 100), undefined)
  t.equal(watched('application/json', `{"pad":"${'x'.repeat(4 * 1024 * 1024)}","usage":{"input_tokens":1}}`, 1024 * 1024), undefined, 'beyond 4 MiB nothing is kept')
})

test('a JSON answer of exactly 4 MiB is counted; one byte more is not, even when its first 4 MiB parse alone', async (t) => {
  const limit = 4 * 1024 * 1024
  const answer = '{"usage":{"input_tokens":1},"pad":""}'
  const exact = answer.replace('""', `"${'x'.repeat(limit - answer.length)}"`)
  t.same(watched('application/json', exact, 1024 * 1024), { input_tokens: 1 }, 'exactly 4 MiB, its last byte in the last chunk')
  const over = new UsageWatch('application/json')
  over.see(Buffer.from(answer + ' '.repeat(limit - answer.length)))
  over.see(Buffer.from(' '))
  t.equal(over.finish(), undefined, '4 MiB + 1 byte of valid JSON')
})

test('a JSON answer whose usage is not an object counts nothing', async (t) => {
  t.equal(watched('application/json', '{"usage":5}', 100), undefined)
  t.equal(watched('application/json', '{"usage":"many"}', 100), undefined)
})

test('a JSON answer gives its stop reason; without a string one it stays null', async (t) => {
  const read = (text: string): string | null => {
    const watch = new UsageWatch('application/json')
    watch.see(Buffer.from(text))
    watch.finish()
    return watch.stopReason
  }
  t.equal(read('{"stop_reason":"max_tokens","usage":{"output_tokens":2}}'), 'max_tokens')
  t.equal(read('{"usage":{"output_tokens":2}}'), null, 'absent')
  t.equal(read('{"stop_reason":null}'), null, 'null')
})

test('a stream gives the stop reason of its message_delta', async (t) => {
  const watch = new UsageWatch('text/event-stream')
  watch.see(Buffer.from(STREAM))
  watch.finish()
  t.equal(watch.stopReason, 'end_turn')
})

test('a character split between chunks reaches the stream reading whole', async (t) => {
  const watch = new UsageWatch('text/event-stream')
  const bytes = Buffer.from(sse([['message_delta', { delta: { stop_reason: 'fin_é€' }, usage: { output_tokens: 1 } }]]))
  for (let at = 0; at < bytes.length; at++) watch.see(bytes.subarray(at, at + 1))
  t.same(watch.finish(), { output_tokens: 1 })
  t.equal(watch.stopReason, 'fin_é€')
})

test('only message_start and message_delta events count usage', async (t) => {
  const text = sse([
    ['message_start', { message: { usage: { input_tokens: 5 } } }],
    ['message_stop', { usage: { input_tokens: 999, output_tokens: 999 } }],
    ['content_block_delta', { delta: { stop_reason: 'not_a_delta' }, usage: { output_tokens: 999 } }]
  ])
  const watch = new UsageWatch('text/event-stream')
  watch.see(Buffer.from(text))
  t.same(watch.finish(), { input_tokens: 5 })
  t.equal(watch.stopReason, null, 'a stop reason outside message_delta is not taken')
})

test('a stream event whose usage holds no object (0 or false) adds nothing to the count', async (t) => {
  t.equal(watched('text/event-stream', sse([['message_delta', { usage: 0 }], ['message_delta', { usage: false }]]), 100), undefined)
})

test('a stream error event names its type: the first one, at most 64 characters, api_error when unreadable', async (t) => {
  const failureOf = (text: string): string | undefined => {
    const watch = new UsageWatch('text/event-stream')
    watch.see(Buffer.from(text))
    watch.finish()
    return watch.failure
  }
  t.equal(failureOf(sse([['message_start', { message: { usage: { input_tokens: 1 } } }]])), undefined, 'no error event')
  t.equal(failureOf(sse([['error', { type: 'error', error: { type: 'overloaded_error', message: 'busy' } }], ['error', { error: { type: 'api_error' } }]])), 'overloaded_error', 'the first error is kept')
  t.equal(failureOf(sse([['error', { error: { type: 'x'.repeat(100) } }]])), 'x'.repeat(64), 'cut to 64 characters')
  t.equal(failureOf(sse([['error', { error: { type: 42 } }]])), 'api_error', 'a type that is a number')
  t.equal(failureOf(sse([['error', { error: { type: ['overloaded_error'] } }]])), 'api_error', 'a type that is an array')
  t.equal(failureOf(sse([['error', { message: 'no error object' }]])), 'api_error', 'no error object')
  t.equal(failureOf('event: error\ndata: {not json\n\n'), 'api_error', 'data that is not JSON')
})
