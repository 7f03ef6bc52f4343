import type { UpstreamEvent } from './types.js'

/**
 * Incremental parser of a server-sent event stream (text already decoded). It is on the
 * streaming hot path: each pushed piece is scanned once, and the unparsed rest is copied once.
 */
export class SseParser {
  private buffer = ''
  /** A CR that ended the last piece: it may be the first half of a CRLF split across pieces. */
  private pendingCr = false

  push (text: string): UpstreamEvent[] {
    this.buffer += this.normalizeLineEnds(text)
    const events: UpstreamEvent[] = []
    let start = 0
    let boundary = this.buffer.indexOf('\n\n')
    while (boundary !== -1) {
      const event = parseEvent(this.buffer, start, boundary)
      if (event) events.push(event)
      start = boundary + 2
      boundary = this.buffer.indexOf('\n\n', start)
    }
    if (start > 0) this.buffer = this.buffer.slice(start)
    return events
  }

  /** Whatever is left when the stream ends (an event without its closing blank line). */
  end (): UpstreamEvent[] {
    const rest = this.buffer + (this.pendingCr ? '\n' : '')
    this.buffer = ''
    this.pendingCr = false
    const event = rest.trim() ? parseEvent(rest, 0, rest.length) : undefined
    return event ? [event] : []
  }

  /** CRLF and lone CR end lines like LF; a trailing CR waits for the next piece to be read. */
  private normalizeLineEnds (text: string): string {
    let piece = this.pendingCr ? '\r' + text : text
    this.pendingCr = piece.endsWith('\r')
    if (this.pendingCr) piece = piece.slice(0, -1)
    return piece.includes('\r') ? piece.replace(/\r\n?/g, '\n') : piece
  }
}

/** Reads the event in text[from, to): its `event` name and its `data` lines joined by LF. */
function parseEvent (text: string, from: number, to: number): UpstreamEvent | undefined {
  let event = 'message'
  let data: string | undefined
  let lineStart = from
  while (lineStart < to) {
    const newline = text.indexOf('\n', lineStart)
    const lineEnd = newline === -1 || newline > to ? to : newline
    if (lineEnd > lineStart && text.charCodeAt(lineStart) !== 58 /* ':' comment */) {
      const colon = text.indexOf(':', lineStart)
      const fieldEnd = colon === -1 || colon > lineEnd ? lineEnd : colon
      let valueStart = fieldEnd === lineEnd ? lineEnd : fieldEnd + 1
      if (text.charCodeAt(valueStart) === 32 /* ' ' */ && valueStart < lineEnd) valueStart++
      const field = text.slice(lineStart, fieldEnd)
      if (field === 'data') {
        const value = text.slice(valueStart, lineEnd)
        data = data === undefined ? value : `${data}\n${value}`
      } else if (field === 'event') {
        event = text.slice(valueStart, lineEnd)
      }
    }
    lineStart = lineEnd + 1
  }
  return data !== undefined ? { event, data } : undefined
}
