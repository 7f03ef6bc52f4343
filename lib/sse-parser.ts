import type { UpstreamEvent } from './anthropic-types.js'

/** Incremental parser of a server-sent event stream (text already decoded). */
export class SseParser {
  private buffer = ''

  push (text: string): UpstreamEvent[] {
    this.buffer += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text
    const events: UpstreamEvent[] = []
    let boundary = this.buffer.indexOf('\n\n')
    while (boundary !== -1) {
      const event = parseEvent(this.buffer.slice(0, boundary))
      if (event) events.push(event)
      this.buffer = this.buffer.slice(boundary + 2)
      boundary = this.buffer.indexOf('\n\n')
    }
    return events
  }

  /** Whatever is left when the stream ends (an event without its closing blank line). */
  end (): UpstreamEvent[] {
    const rest = this.buffer
    this.buffer = ''
    const event = rest.trim() ? parseEvent(rest) : undefined
    return event ? [event] : []
  }
}

function parseEvent (raw: string): UpstreamEvent | undefined {
  let event = 'message'
  const data: string[] = []
  for (const line of raw.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined
}
