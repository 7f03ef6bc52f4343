import { SseParser } from '../anthropic/sse-parser.js'
import type { AnthropicUsage } from '../anthropic/types.js'

/** A JSON answer larger than this is not kept for counting (Messages answers are far smaller). */
const JSON_LIMIT = 4 * 1024 * 1024

/**
 * Reads the token usage out of a passed-through answer while its bytes flow on unchanged:
 * `message_start` and the cumulative `message_delta` usage of a stream, or the `usage` of a
 * JSON answer. It only observes; what the client gets is never touched.
 */
export class UsageWatch {
  private readonly parser: SseParser | undefined
  private readonly decoder = new TextDecoder()
  private readonly json: Buffer[] = []
  private jsonBytes = 0
  private usage: AnthropicUsage | undefined
  /** The answer's stop reason, once seen. */
  stopReason: string | null = null
  /** The type of an SSE `error` event the stream carried, if any. */
  failure: string | undefined

  constructor (contentType: string | undefined) {
    this.parser = contentType?.startsWith('text/event-stream') === true ? new SseParser() : undefined
  }

  see (chunk: Buffer): void {
    if (this.parser) {
      for (const event of this.parser.push(this.decoder.decode(chunk, { stream: true }))) this.readEvent(event.event, event.data)
      return
    }
    this.jsonBytes += chunk.length
    if (this.jsonBytes <= JSON_LIMIT) this.json.push(chunk)
  }

  /** The usage seen, once the answer is complete; undefined when it held none. */
  finish (): AnthropicUsage | undefined {
    if (this.parser) return this.usage
    if (this.jsonBytes > JSON_LIMIT) return undefined
    try {
      const parsed = JSON.parse(Buffer.concat(this.json).toString('utf8')) as { usage?: AnthropicUsage; stop_reason?: unknown }
      if (typeof parsed.stop_reason === 'string') this.stopReason = parsed.stop_reason
      return typeof parsed.usage === 'object' && parsed.usage !== null ? parsed.usage : undefined
    } catch {
      return undefined
    }
  }

  private readEvent (name: string, data: string): void {
    if (name === 'error') {
      this.failure ??= errorTypeOf(data)
      return
    }
    if (name !== 'message_start' && name !== 'message_delta') return
    try {
      const payload = JSON.parse(data) as { message?: { usage?: AnthropicUsage }; usage?: AnthropicUsage; delta?: { stop_reason?: unknown } }
      if (typeof payload.delta?.stop_reason === 'string') this.stopReason = payload.delta.stop_reason
      const usage = name === 'message_start' ? payload.message?.usage : payload.usage
      if (usage) this.usage = { ...this.usage, ...withoutNulls(usage) }
    } catch {
      // A malformed event is the client's to see; counting just skips it.
    }
  }
}

function errorTypeOf (data: string): string {
  try {
    const type = (JSON.parse(data) as { error?: { type?: unknown } }).error?.type
    return typeof type === 'string' ? type.slice(0, 64) : 'api_error'
  } catch {
    return 'api_error'
  }
}

function withoutNulls (usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== null && value !== undefined)) as AnthropicUsage
}
