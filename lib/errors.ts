export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'upstream_error'
  | 'insufficient_quota'

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null }
}

/** Longest client-chosen string quoted inside an error message or log line. */
const CLIENT_TEXT_MAX = 80
/** Whatever a message quotes, it stays this short: an error body or log line never grows with the request. */
const MESSAGE_MAX = 2048
const PARAM_MAX = 256

/**
 * Client-chosen text (a field name, an id, a type) as quoted inside messages and log lines:
 * cut to a few dozen characters, with how much was left out, so a 1 MB name costs 1 MB nowhere.
 */
export function clientText (value: unknown, max = CLIENT_TEXT_MAX): string {
  const text = String(value)
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} characters)`
}

/** An error meant for the client: it already knows its status and OpenAI error shape. */
export class GatewayError extends Error {
  readonly status: number
  readonly type: OpenAIErrorType
  readonly param: string | null
  readonly code: string | null
  readonly headers: Record<string, string>
  /** The upstream answer this error reports, which Anthropic-shaped routes give back as it came. */
  readonly upstream: UpstreamError | undefined
  /** What only Anthropic-shaped answers carry: an error type other than the status's, and extra headers. */
  readonly anthropic: { type?: string; headers?: Record<string, string> } | undefined

  constructor (status: number, type: OpenAIErrorType, message: string, options: { param?: string | null; code?: string | null; headers?: Record<string, string>; upstream?: UpstreamError; anthropic?: { type?: string; headers?: Record<string, string> } } = {}) {
    // The bound of last resort: every message and param that reaches a client or a log is short.
    super(clientText(message, MESSAGE_MAX))
    this.name = 'GatewayError'
    this.status = status
    this.type = type
    this.param = options.param === undefined || options.param === null ? null : clientText(options.param, PARAM_MAX)
    this.code = options.code ?? null
    this.headers = options.headers ?? {}
    this.upstream = options.upstream
    this.anthropic = options.anthropic
  }

  toBody (): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

export function invalidRequest (message: string, param: string | null = null, code: string | null = null): GatewayError {
  return new GatewayError(400, 'invalid_request_error', message, { param, code })
}

/** The error types Anthropic's API documents; an upstream (or a proxy) saying anything else says `api_error`. */
const ANTHROPIC_ERROR_TYPES: ReadonlySet<string> = new Set([
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error',
  'conflict_error', 'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error'
])

/** An upstream `error.type` as the gateway may repeat it: one of Anthropic's, else `api_error` (it is client-visible and becomes a key's reason). */
export function knownAnthropicErrorType (type: unknown): string {
  return typeof type === 'string' && ANTHROPIC_ERROR_TYPES.has(type) ? type : 'api_error'
}

/** An upstream answer as it came: its body text and the headers a client may see. */
export interface RawUpstreamAnswer { body: string; headers: Record<string, string> }

/** What the Anthropic API answered with a non-2xx status (or an `error` stream event). */
export class UpstreamError extends Error {
  readonly status: number
  readonly upstreamType: string
  readonly retryAfterSeconds: number | undefined
  readonly requestId: string | undefined
  readonly raw: RawUpstreamAnswer | undefined

  constructor (status: number, upstreamType: string, message: string, options: { retryAfterSeconds?: number; requestId?: string; raw?: RawUpstreamAnswer } = {}) {
    super(message)
    this.name = 'UpstreamError'
    this.status = status
    this.upstreamType = upstreamType
    this.retryAfterSeconds = options.retryAfterSeconds
    this.requestId = options.requestId
    this.raw = options.raw
  }

  /** Whether another attempt (on another key) may succeed. */
  get retryable (): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 408
  }
}

/** A failure to talk to the upstream at all: refused, reset, timed out. */
export class UpstreamNetworkError extends Error {
  readonly code: string
  constructor (message: string, code: string) {
    super(message)
    this.name = 'UpstreamNetworkError'
    this.code = code
  }
}

const UPSTREAM_STATUS_MAP: Record<number, { status: number; type: OpenAIErrorType }> = {
  400: { status: 400, type: 'invalid_request_error' },
  401: { status: 401, type: 'authentication_error' },
  402: { status: 402, type: 'invalid_request_error' },
  403: { status: 403, type: 'permission_error' },
  404: { status: 404, type: 'not_found_error' },
  408: { status: 504, type: 'server_error' },
  409: { status: 409, type: 'invalid_request_error' },
  413: { status: 413, type: 'invalid_request_error' },
  429: { status: 429, type: 'rate_limit_error' },
  500: { status: 502, type: 'server_error' },
  504: { status: 504, type: 'server_error' },
  529: { status: 503, type: 'server_error' }
}

/** Translates an upstream failure into what the client sees, keeping its meaning. */
export function toClientError (error: UpstreamError): GatewayError {
  const mapped = UPSTREAM_STATUS_MAP[error.status] ?? (error.status >= 500
    ? { status: 502, type: 'server_error' as const }
    : { status: error.status, type: 'invalid_request_error' as const })
  const headers: Record<string, string> = {}
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds)
  return new GatewayError(mapped.status, mapped.type, `Upstream: ${error.message}`, { code: error.upstreamType, headers, upstream: error })
}

export function networkErrorToClient (error: UpstreamNetworkError): GatewayError {
  const timeout = error.code.startsWith('ETIMEDOUT') || error.code.includes('TIMEOUT')
  const what = timeout ? 'Upstream timed out' : 'Upstream request failed'
  return new GatewayError(timeout ? 504 : 502, 'server_error', `${what}: ${error.message}`, { code: timeout ? 'upstream_timeout' : 'upstream_unreachable' })
}

// ---------------------------------------------------------------------------------------------
// Anthropic's error shape, for the routes Anthropic's own clients call
// ---------------------------------------------------------------------------------------------

export interface AnthropicErrorBody {
  type: 'error'
  error: { type: string; message: string }
  request_id: string
}

/** Anthropic names its error types by status; the gateway's own errors follow the same names. */
function anthropicErrorType (status: number, type: OpenAIErrorType): string {
  switch (status) {
    case 401: return 'authentication_error'
    case 402: return 'billing_error'
    case 403: return 'permission_error'
    case 404: return 'not_found_error'
    case 409: return 'conflict_error'
    case 413: return 'request_too_large'
    case 429: return 'rate_limit_error'
    case 504: return 'timeout_error'
    case 529: return 'overloaded_error'
  }
  if (status >= 500) return 'api_error'
  return type === 'server_error' || type === 'upstream_error' ? 'api_error' : type
}

export interface AnthropicErrorAnswer { status: number; headers: Record<string, string>; body: AnthropicErrorBody | string }

/**
 * What an Anthropic client gets for an error: an upstream answer comes back with its own
 * status, headers and (JSON) body; anything else is the gateway's error in Anthropic's shape.
 */
export function toAnthropicError (error: GatewayError, requestId: string): AnthropicErrorAnswer {
  const upstream = error.upstream
  if (upstream) {
    const headers: Record<string, string> = { 'request-id': requestId, ...upstream.raw?.headers }
    delete headers['content-type']
    if (upstream.raw && isJsonObjectText(upstream.raw.body)) return { status: upstream.status, headers: { ...headers, 'content-type': 'application/json' }, body: upstream.raw.body }
    return { status: upstream.status, headers, body: { type: 'error', error: { type: upstream.upstreamType, message: upstream.message }, request_id: upstream.requestId ?? requestId } }
  }
  const type = error.anthropic?.type ?? anthropicErrorType(error.status, error.type)
  return { status: error.status, headers: { ...error.headers, ...error.anthropic?.headers, 'request-id': requestId }, body: { type: 'error', error: { type, message: error.message }, request_id: requestId } }
}

function isJsonObjectText (text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
  } catch {
    return false
  }
}
