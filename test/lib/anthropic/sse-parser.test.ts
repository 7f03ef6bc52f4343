// The upstream SSE parser: any split of a valid event stream yields the same events.
import fc from 'fast-check'
import { test } from 'tap'
import type { UpstreamEvent } from '../../../lib/anthropic/types.js'
import { SseParser } from '../../../lib/anthropic/sse-parser.js'
import { readEvents } from '../../../lib/anthropic/upstream-events.js'

interface GeneratedEvent { event: string; dataLines: string[]; comment: string | null }

// Data lines hold anything but line breaks (including ':' and unicode); names are SSE tokens.
const lineText = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', ':', '{', '"', '}', 'é', '🌦', '\t', '0'), fc.string({ maxLength: 1 })), maxLength: 30 }).map((text) => text.replace(/[\r\n]/g, ''))
const eventArb: fc.Arbitrary<GeneratedEvent> = fc.record({
  event: fc.constantFrom('message_start', 'content_block_delta', 'ping', 'error', 'some_future_event'),
  dataLines: fc.array(lineText, { minLength: 1, maxLength: 3 }),
  comment: fc.option(lineText, { nil: null })
})

function serialize (events: GeneratedEvent[]): string {
  return events.map((event) => {
    const lines = [`event: ${event.event}`, ...event.dataLines.map((line) => `data: ${line}`)]
    if (event.comment !== null) lines.unshift(`: ${event.comment}`)
    return lines.join('\n') + '\n\n'
  }).join('')
}

function expected (events: GeneratedEvent[]): UpstreamEvent[] {
  return events.map((event) => ({ event: event.event, data: event.dataLines.join('\n') }))
}

/** Splits text at the given fractions of its length. */
function splitAt (text: string, cuts: number[]): string[] {
  const positions = [...new Set(cuts.map((cut) => Math.floor(cut * text.length)))].sort((a, b) => a - b)
  const pieces: string[] = []
  let from = 0
  for (const position of positions) {
    pieces.push(text.slice(from, position))
    from = position
  }
  pieces.push(text.slice(from))
  return pieces
}

function parsePieces (pieces: string[]): UpstreamEvent[] {
  const parser = new SseParser()
  return [...pieces.flatMap((piece) => parser.push(piece)), ...parser.end()]
}

test('any split of an LF-delimited event stream yields the same events', async (t) => {
  fc.assert(fc.property(fc.array(eventArb, { maxLength: 8 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (events, cuts) => {
    const text = serialize(events)
    return t.strictSame(parsePieces(splitAt(text, cuts)), expected(events))
  }), { numRuns: 300 })
})

test('character-by-character delivery yields the same events', async (t) => {
  fc.assert(fc.property(fc.array(eventArb, { minLength: 1, maxLength: 4 }), (events) => {
    const text = serialize(events)
    return t.strictSame(parsePieces([...text]), expected(events))
  }), { numRuns: 50 })
})

test('any split of a CRLF-delimited event stream (a CR and its LF apart too) yields the same events', async (t) => {
  fc.assert(fc.property(fc.array(eventArb, { maxLength: 6 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (events, cuts) => {
    const crlf = serialize(events).replace(/\n/g, '\r\n')
    return t.strictSame(parsePieces(splitAt(crlf, cuts)), expected(events))
  }), { numRuns: 300 })
  const parser = new SseParser()
  t.strictSame([...parser.push('event: ping\r'), ...parser.push('\ndata: {}\r\n\r\n')], [{ event: 'ping', data: '{}' }], 'a CR at the end of one piece and its LF at the start of the next')
})

test('a last event without its closing blank line is still read at the end', async (t) => {
  const parser = new SseParser()
  t.strictSame(parser.push('event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}'), [{ event: 'ping', data: '{"type":"ping"}' }])
  t.strictSame(parser.end(), [{ event: 'message_stop', data: '{"type":"message_stop"}' }])
  t.strictSame(parser.end(), [], 'nothing twice')
  t.strictSame(new SseParser().push(': keep-alive comment\n\nevent: x\n\n'), [], 'comments and events without data are no events')
})

test('readEvents: any split of the bytes (inside UTF-8 characters too) yields the same payloads', async (t) => {
  const payloadArb = fc.array(fc.record({ type: fc.constantFrom('ping', 'content_block_delta'), text: fc.string({ unit: fc.constantFrom('a', 'é', '🌦', '中', '"', '\\', ' '), maxLength: 12 }) }), { maxLength: 6 })
  await fc.assert(fc.asyncProperty(payloadArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }), async (payloads, cuts) => {
    const all = [...payloads, { type: 'message_stop' }]
    const bytes = Buffer.from(all.map((payload) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`).join(''))
    const positions = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b)
    const chunks = [0, ...positions].map((start, i) => bytes.subarray(start, [...positions, bytes.length][i]))
    const read: unknown[] = []
    for await (const payload of readEvents((async function * () { yield * chunks })())) read.push(payload)
    return t.strictSame(read, JSON.parse(JSON.stringify(all)))
  }), { numRuns: 150 })
})

test('readEvents: a body that ends before message_stop throws', async (t) => {
  const body = (async function * () { yield Buffer.from('event: ping\ndata: {"type":"ping"}\n\n') })()
  const read: unknown[] = []
  await t.rejects(async () => { for await (const payload of readEvents(body)) read.push(payload) }, { code: 'ESTREAMCUT' })
  t.strictSame(read, [{ type: 'ping' }], 'what came before is still delivered')
})
