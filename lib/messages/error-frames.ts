import { knownAnthropicErrorType } from '../errors.js'

/** Larger than any event Anthropic sends; an upstream that sends more is cut off with an error event. */
export const MAX_EVENT_BYTES = 4 * 1024 * 1024

/** Where one SSE event ends: two line ends in a row (CRLF, LF or CR; a CR last in the text may still be a CRLF's first half). */
const EVENT_END = /(?:\r\n|\n|\r(?!\n|$))(?:\r\n|\n|\r(?!\n|$))/g
/** An `event: error` field line anywhere in an event. */
const ERROR_FIELD = /(?:^|[\r\n])event: ?error(?:\r\n|\n|\r|$)/

function errorFrame (type: string, message: string): Buffer {
  return Buffer.from(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`)
}

/** The data of one SSE event: its `data:` lines joined by newlines. */
function eventData (event: string): string {
  return event.split(/\r\n|\n|\r/).filter((line) => line.startsWith('data:')).map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)).join('\n')
}

/** An upstream `error` event written anew: a known type and the message redacted; anything unreadable is a plain api_error. */
function rebuiltErrorEvent (event: Buffer, redact: (text: string) => string): Buffer {
  try {
    const error = (JSON.parse(eventData(event.toString('utf8'))) as { error?: { type?: unknown; message?: unknown } }).error ?? {}
    return errorFrame(knownAnthropicErrorType(error.type), typeof error.message === 'string' ? redact(error.message) : 'upstream error')
  } catch {
    return errorFrame('api_error', 'upstream error')
  }
}

/**
 * A 200 event stream of the pass-through, relayed byte for byte except for its `error` events,
 * which a client shows and which an upstream or a proxy may fill with anything: each is
 * rebuilt with a known error type and a redacted message. Events are relayed whole as soon as
 * their blank line arrives (a client can do nothing with half an event anyway); one event
 * larger than MAX_EVENT_BYTES ends the stream with an error event.
 */
export async function * withCheckedErrorEvents (chunks: AsyncIterable<Buffer>, redact: (text: string) => string): AsyncGenerator<Buffer> {
  const checked = (event: Buffer): Buffer => ERROR_FIELD.test(event.toString('latin1')) ? rebuiltErrorEvent(event, redact) : event
  // The start of an event whose end has not arrived; it holds no event end, so only the new bytes are searched.
  let held: Buffer[] = []
  let heldBytes = 0
  // A line end split across chunks: the last bytes held are searched again with the new ones.
  let carry = ''
  for await (const chunk of chunks) {
    const text = carry + chunk.toString('latin1')
    let from = 0
    EVENT_END.lastIndex = 0
    for (let match = EVENT_END.exec(text); match !== null; match = EVENT_END.exec(text)) {
      const end = match.index + match[0].length - carry.length
      const piece = chunk.subarray(from, end)
      yield checked(heldBytes === 0 ? piece : Buffer.concat([...held, piece]))
      held = []
      heldBytes = 0
      from = end
    }
    if (from < chunk.length) {
      held.push(chunk.subarray(from))
      heldBytes += chunk.length - from
    }
    // Only bytes still held count: those of an event sent out in this chunk do not.
    const heldFrom = held.length === 1 && from > 0 ? carry.length + from : 0
    carry = heldBytes === 0 ? '' : text.slice(Math.max(heldFrom, text.length - 3))
    if (heldBytes > MAX_EVENT_BYTES) {
      yield errorFrame('api_error', `upstream sent an event larger than ${MAX_EVENT_BYTES} bytes`)
      return
    }
  }
  if (heldBytes > 0) yield checked(Buffer.concat(held))
}
