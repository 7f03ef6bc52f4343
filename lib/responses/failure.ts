import { GatewayError, UpstreamError, UpstreamNetworkError } from '../errors.js'

export interface ResponseFailure { code: string; message: string }

/**
 * A failure after the stream started, as the `response.failed` error Codex acts on:
 * rate_limit_exceeded and server_is_overloaded are retried, context_length_exceeded and
 * insufficient_quota are shown for what they are, anything else is a server_error.
 */
export function describeFailure (error: unknown): ResponseFailure {
  if (error instanceof UpstreamError) return { code: codeForUpstream(error.upstreamType, error.message), message: `Upstream: ${error.message}` }
  if (error instanceof UpstreamNetworkError) return { code: 'server_error', message: `The upstream stream failed before the answer was complete (${error.message})` }
  if (error instanceof GatewayError) return { code: error.code ?? 'server_error', message: error.message }
  return { code: 'server_error', message: 'The upstream stream failed before the answer was complete' }
}

export function codeForUpstream (type: string, message: string): string {
  switch (type) {
    case 'rate_limit_error': return 'rate_limit_exceeded'
    case 'overloaded_error': return 'server_is_overloaded'
    case 'billing_error': return 'insufficient_quota'
    case 'invalid_request_error': return /too long|context|too many tokens/i.test(message) ? 'context_length_exceeded' : 'invalid_prompt'
    default: return 'server_error'
  }
}
