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

t.test('an event end right after another event, its next event begun in the same chunk, is found in the next chunks', async (t) => {
  const cuts = [['data: a\n\nd', 'ata: b\n\n'], ['data: a', '\n\nd', 'ata: b\n\n'], ['data: a\r\n\r\nd', 'a', 'ta: b\r\n\r\n']]
  for (const pieces of cuts) {
    const stream = pieces.join('')
    const out = await relayed(pieces)
    t.equal(out.join(''), stream, `${JSON.stringify(pieces)}: the same bytes`)
    t.equal(out.length, 2, `${JSON.stringify(pieces)}: one chunk per event`)
  }
})

t.test('an event without its closing blank line is relayed when the stream ends', async (t) => {
  t.same(await relayed(['data: a\n\ndata: b', '\n']), ['data: a\n\n', 'data: b\n'])
})

t.test('an error event cut short at the end of the stream is still rebuilt', async (t) => {
  const out = await relayed(['data: {"type":"error","error":{"type":"overloaded_error","message":"SECRET"}}\nevent: error'])
  t.same(out, ['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"[redacted]"}}\n\n'])
})

t.test('an event field after other fields marks an error; "event: error" inside a data line does not', async (t) => {
  const out = await relayed(['id: 7\nevent: error\ndata: {"error":{"type":"overloaded_error","message":"busy"}}\n\n', 'data: see event: error\n\n'])
  t.same(out, ['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}\n\n', 'data: see event: error\n\n'])
})

t.test('an error event without a string message keeps its known type and says "upstream error"', async (t) => {
  const out = await relayed(['event: error\ndata: {"error":{"type":"overloaded_error"}}\n\n', 'event: error\ndata: {"error":{"type":"rate_limit_error","message":42}}\n\n'])
  t.same(out, [
    'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"upstream error"}}\n\n',
    'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"upstream error"}}\n\n'
  ])
})

t.test('an event may hold exactly MAX_EVENT_BYTES before its end, whatever events went out before it in the same chunk', async (t) => {
  const before = `data: ${'a'.repeat(1024 * 1024)}\n\n`
  const held = 'data: ' + 'b'.repeat(MAX_EVENT_BYTES - 6)
  const out = await relayed([before + held, '\n\n'])
  t.equal(out.length, 2)
  t.equal(out[0], before)
  t.equal(out[1], held + '\n\n')
})
