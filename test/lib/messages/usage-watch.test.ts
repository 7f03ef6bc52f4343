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
