import t from 'tap'
import { MAX_EVENT_BYTES, withCheckedErrorEvents } from '../../../lib/messages/error-frames.js'

async function relayed (pieces: string[]): Promise<string[]> {
  const out: string[] = []
  async function * source (): AsyncGenerator<Buffer> { for (const piece of pieces) yield Buffer.from(piece) }
  for await (const chunk of withCheckedErrorEvents(source(), (text) => text.replaceAll('SECRET', '[redacted]'))) out.push(chunk.toString('utf8'))
  return out
}

t.test('events other than errors pass byte for byte, each whole, whatever the chunking and line ends', async (t) => {
  const stream = 'event: ping\r\ndata: {"type":"ping"}\r\n\r\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'
  const cuts = [[stream], [stream.slice(0, 35), stream.slice(35)], [...stream]]
  for (const pieces of cuts) {
    const out = await relayed(pieces)
    t.equal(out.join(''), stream, `${pieces.length} pieces: the same bytes`)
    t.same(out, ['event: ping\r\ndata: {"type":"ping"}\r\n\r\n', 'event: message_stop\ndata: {"type":"message_stop"}\n\n'], 'one chunk per event')
  }
})

t.test('an error event is rebuilt: known type, redacted message; an unreadable one becomes a plain api_error', async (t) => {
  const out = await relayed(['data: x\n\nevent: error\ndata: {"type":"error","error":{"type":"SECRET_type","message":"saw SECRET"}}\n\n', 'event:error\ndata: nope\n\n'])
  t.same(out, [
    'data: x\n\n',
    'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"saw [redacted]"}}\n\n',
    'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"upstream error"}}\n\n'
  ])
  const known = await relayed(['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'])
  t.match(known[0], /"type":"overloaded_error","message":"Overloaded"/)
})

t.test('an unfinished event is bounded: past the limit the stream ends with an error event', async (t) => {
  const out = await relayed(['event: content_block_delta\ndata: ', 'x'.repeat(MAX_EVENT_BYTES), 'never sent\n\n'])
  t.equal(out.length, 1)
  t.match(out[0], /^event: error\ndata: .*larger than/)
})
