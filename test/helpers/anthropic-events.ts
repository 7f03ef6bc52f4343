// Upstream stream events for translator tests, in Anthropic's wire shape.
import type { AnthropicResponse, StreamPayload } from '../../lib/anthropic/types.js'

/** A message_start whose usage reports `inputTokens` prompt tokens. */
export function messageStartWith (inputTokens: number): StreamPayload {
  const message: AnthropicResponse = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1 } }
  return { type: 'message_start', message }
}
export const textStart = (index: number): StreamPayload => ({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } })
export const textDelta = (index: number, text: string): StreamPayload => ({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } })
export const blockStop = (index: number): StreamPayload => ({ type: 'content_block_stop', index })
export const messageDelta = (stop: string, outputTokens: number): StreamPayload => ({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: outputTokens } })
export const messageStop: StreamPayload = { type: 'message_stop' }
export const ping: StreamPayload = { type: 'ping' }
// Shapes the type does not know, as a newer API version might send them.
export const unknownEvent = { type: 'brand_new_event', detail: 1 } as unknown as StreamPayload
