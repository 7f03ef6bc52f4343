import { StringDecoder } from 'node:string_decoder'
import type { StreamPayload, UpstreamEvent } from './types.js'
import { knownAnthropicErrorType, UpstreamError, UpstreamNetworkError, type RawUpstreamAnswer } from '../errors.js'
import { SseParser } from './sse-parser.js'
import { redactAnthropicKeys } from '../core/redact.js'

/** Reads a whole response body as text. */
export async function readBody (stream: AsyncIterable<Buffer | string>): Promise<string> {
  const decoder = new StringDecoder('utf8')
  let text = ''
  for await (const chunk of stream) text += decoder.write(chunk as Buffer)
  return text + decoder.end()
}

/** A 2xx JSON body; anything unreadable (an HTML page from a proxy, a cut body) is a fault worth a retry. */
export function parseJsonBody<T> (text: string): T {
  try {
    return JSON.parse(text) as T
  } catch {
    throw new UpstreamNetworkError('upstream sent an unreadable response body', 'EBADBODY')
  }
}

/**
 * An upstream error body (`{type:"error", error:{type,message}}`) as an UpstreamError. Its message
 * may quote the request (a proxy echoing headers): keys are removed. A body that is not JSON
 * (an HTML page from a proxy) is described by status and content type, never quoted.
 */
export function parseErrorBody (status: number, body: string, retryAfter: string | undefined, requestId: string | undefined, contentType?: string, keptHeaders?: Record<string, string>): UpstreamError {
  let type = 'api_error'
  let message = `HTTP ${status}`
  // The body is given back as it came (keys removed) only when its error type is one of Anthropic's.
  let relayed = ''
  try {
    const parsed = JSON.parse(body) as { error?: { type?: unknown; message?: unknown } }
    type = knownAnthropicErrorType(parsed.error?.type)
    if (type === parsed.error?.type) relayed = redactAnthropicKeys(body)
    if (typeof parsed.error?.message === 'string') message = redactAnthropicKeys(parsed.error.message)
  } catch {
    message = `HTTP ${status} with a ${contentType ?? 'untyped'} body of ${Buffer.byteLength(body)} bytes that is not an API error (not shown)`
  }
  const seconds = retryAfter !== undefined ? Number(retryAfter) : NaN
  return new UpstreamError(status, type, message, {
    retryAfterSeconds: Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined,
    requestId,
    // Kept for the pass-through, which answers with the upstream's own body (keys removed here too).
    raw: keptHeaders ? { body: relayed, headers: keptHeaders } : undefined
  })
}

/**
 * Parses the upstream's SSE body into typed events. An `error` event is yielded like any other
 * (the translator shows it to the client); a body that ends before `message_stop` throws.
 */
export async function * readEvents (stream: AsyncIterable<Buffer | string>): AsyncGenerator<StreamPayload> {
  const decoder = new StringDecoder('utf8')
  const parser = new SseParser()
  let stopped = false
  let ended = false
  const chunks = stream[Symbol.asyncIterator]()
  while (!ended) {
    const next = await chunks.next()
    ended = next.done === true
    const events = ended ? [...parser.push(decoder.end()), ...parser.end()] : parser.push(decoder.write(next.value as Buffer))
    // A plain loop rather than a sub-generator per chunk: this runs for every upstream event.
    for (const event of events) {
      const payload = parseEvent(event)
      if (payload.type === 'message_stop' || payload.type === 'error') stopped = true
      yield payload
    }
  }
  if (!stopped) throw new UpstreamNetworkError('upstream stream ended before message_stop', 'ESTREAMCUT')
}

function parseEvent (event: UpstreamEvent): StreamPayload {
  try {
    const payload = JSON.parse(event.data) as StreamPayload
    // An error event's text goes to the client and the log; it may quote the request.
    if (payload.type === 'error') {
      const error: { type?: unknown; message?: unknown } = typeof payload.error === 'object' && payload.error !== null ? payload.error : {}
      payload.error = { type: knownAnthropicErrorType(error.type), message: typeof error.message === 'string' ? redactAnthropicKeys(error.message) : 'upstream error' }
    }
    return payload
  } catch {
    throw new UpstreamNetworkError(`upstream sent an unreadable ${event.event} event`, 'EBADEVENT')
  }
}
