import { UpstreamError, UpstreamNetworkError } from '../errors.js'
import type { AnthropicUsage, StreamPayload } from './types.js'

export interface StreamEnd {
  stopReason: string | null
  failure?: string
}

export interface UsageTapHooks {
  /** The first content delta (text, thinking or tool input) of the stream. */
  onFirstToken: () => void
  /**
   * The stream's usage once it is over: message_start's, overlaid with the cumulative message_delta
   * usage; its stop reason, and the failure's error type when the upstream stream failed (an error
   * event or a cut).
   */
  onEnd: (usage: AnthropicUsage, end: StreamEnd) => void
}

function merge (into: AnthropicUsage, more: AnthropicUsage | undefined): AnthropicUsage {
  if (!more) return into
  const merged: AnthropicUsage = { ...into }
  for (const [name, value] of Object.entries(more) as Array<[keyof AnthropicUsage, AnthropicUsage[keyof AnthropicUsage]]>) {
    if (value !== null && value !== undefined) (merged as Record<string, unknown>)[name] = value
  }
  return merged
}

/**
 * Passes a stream's events through unchanged while noticing its first token and its usage;
 * `onEnd` runs once, however the stream ends (finished, failed or abandoned by the consumer).
 */
export async function * tapUsage (first: StreamPayload, rest: AsyncIterator<StreamPayload>, hooks: UsageTapHooks): AsyncGenerator<StreamPayload> {
  let usage: AnthropicUsage = first.type === 'message_start' ? { ...first.message.usage } : {}
  let sawToken = false
  let stopReason: string | null = null
  let failure: string | undefined
  try {
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) {
      const event = next.value
      if (!sawToken && event.type === 'content_block_delta') {
        sawToken = true
        hooks.onFirstToken()
      } else if (event.type === 'message_delta') {
        usage = merge(usage, event.usage)
        stopReason = event.delta.stop_reason ?? stopReason
      } else if (event.type === 'error') failure = event.error.type
      yield event
    }
  } catch (error) {
    failure = error instanceof UpstreamNetworkError ? 'network_error' : error instanceof UpstreamError ? error.upstreamType : 'api_error'
    throw error
  } finally {
    hooks.onEnd(usage, failure === undefined ? { stopReason } : { stopReason, failure })
  }
}
