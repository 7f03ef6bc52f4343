import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { clientText, GatewayError, toAnthropicError, type OpenAIErrorBody } from '../lib/errors.js'
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../lib/json-depth.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The shape of this route's errors: `anthropic` for Anthropic's own routes, `by-version` for
     * routes both kinds of client call (Anthropic's when the request has an anthropic-version
     * header); OpenAI's otherwise.
     */
    errorShape?: 'anthropic' | 'by-version'
  }
}

interface ValidationIssue { instancePath?: string; message?: string; params?: Record<string, unknown> }


/** `/messages/0/role` → `messages[0].role`, the way OpenAI names parameters. */
function paramName (instancePath: string, missing: unknown): string | null {
  const parts = instancePath.split('/').filter(Boolean)
  if (typeof missing === 'string') parts.push(missing)
  if (parts.length === 0) return null
  return parts.reduce((name, part) => /^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part, '')
}

function fromValidation (error: FastifyError): GatewayError {
  const issue = (error.validation?.[0] ?? {}) as ValidationIssue
  const missing = issue.params?.requiredProperties ?? issue.params?.missingProperty
  const param = paramName(issue.instancePath ?? '', Array.isArray(missing) ? missing[0] : missing)
  const where = param ?? error.validationContext ?? 'request'
  return new GatewayError(400, 'invalid_request_error', `Invalid ${where}: ${issue.message ?? 'is not valid'}`, { param, code: 'invalid_value' })
}

const invalidJson = (): GatewayError =>
  new GatewayError(400, 'invalid_request_error', 'Request body is not valid JSON', { code: 'invalid_json' })

/** Maps any error to the OpenAI error shape and a fitting status; internals never reach the client. */
export function toGatewayError (error: FastifyError | Error): GatewayError {
  if (error instanceof GatewayError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation) return fromValidation(fastifyError)
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError(413, 'invalid_request_error', 'Request body is too large', { code: 'request_too_large' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError(415, 'invalid_request_error', 'Content-Type must be application/json', { code: 'unsupported_media_type' })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError(400, 'invalid_request_error', 'Request body is empty; send a JSON object', { code: 'invalid_json' })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidJson()
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 400 && error instanceof SyntaxError) return invalidJson()
  if (status >= 400 && status < 500) return new GatewayError(status, 'invalid_request_error', error.message, { code: fastifyError.code ?? null })
  return new GatewayError(500, 'server_error', 'Internal server error', { code: 'internal_error' })
}

/**
 * The only body type the API takes is JSON: the text/plain parser goes (so such bodies get 415,
 * not a confusing schema error), and JSON nested too deep to forward safely is refused here.
 */
function registerBodyParsers (fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error')
  fastify.removeContentTypeParser(['application/json', 'text/plain'])
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      done(new GatewayError(400, 'invalid_request_error', `Request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`, { code: 'invalid_json' }), undefined)
      return
    }
    parseJson(request, text, done)
  })
}

/** The error body with the id the request was logged under, so a user's report can be matched to the log. */
function bodyFor (error: GatewayError, request: FastifyRequest): OpenAIErrorBody & { error: { request_id: string } } {
  const body = error.toBody()
  return { error: { ...body.error, request_id: request.id } }
}

function sentByAnthropicClient (request: FastifyRequest): boolean {
  return request.headers['anthropic-version'] !== undefined
}

/** Whether a request's errors take Anthropic's shape; `matched` is false when no route matched. */
function wantsAnthropicShape (request: FastifyRequest, matched: boolean): boolean {
  const shape = matched ? request.routeOptions.config?.errorShape : 'by-version'
  return shape === 'anthropic' || (shape === 'by-version' && sentByAnthropicClient(request))
}

/** The one place an error becomes an answer, in the shape the request's protocol uses. */
function sendError (request: FastifyRequest, reply: FastifyReply, error: GatewayError, anthropic: boolean): FastifyReply {
  if (!anthropic) return reply.code(error.status).headers(error.headers).send(bodyFor(error, request))
  const answer = toAnthropicError(error, request.id)
  return reply.code(answer.status).headers(answer.headers).send(answer.body)
}

/** Fastify's `frameworkErrors` option: malformed URLs and over-long path parameters. */
export function frameworkErrorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = toGatewayError(error)
  request.log.info({ status: mapped.status, code: mapped.code }, mapped.message)
  void sendError(request, reply, mapped, wantsAnthropicShape(request, false))
}

/** The raw HTTP answer to a request Node could not even parse (bad request line, huge headers, timeout). */
export function clientErrorResponse (code: string | undefined): string {
  const [status, reason, message] = code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'Request headers are too large']
    : code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request took too long to arrive']
      : [400, 'Bad Request', 'Malformed HTTP request']
  const body = JSON.stringify(new GatewayError(status, 'invalid_request_error', message, { code: 'malformed_request' }).toBody())
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
}

/**
 * Fastify's `clientErrorHandler` option. Once the answer is flushed the socket is destroyed, not
 * only ended: a client that keeps its side open (still "sending" a body) would otherwise hold a
 * half-closed socket on the server for as long as it likes.
 */
export function clientErrorHandler (error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  if (socket.writable) socket.end(clientErrorResponse(error.code), () => { socket.destroy() })
  else socket.destroy(error)
}

async function errorHandlerPlugin (fastify: FastifyInstance): Promise<void> {
  registerBodyParsers(fastify)
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toGatewayError(error)
    if (mapped.status >= 500 && !(error instanceof GatewayError)) request.log.error({ err: error }, 'unexpected error')
    else request.log.info({ status: mapped.status, code: mapped.code }, mapped.message)
    return sendError(request, reply, mapped, wantsAnthropicShape(request, true))
  })
  fastify.setNotFoundHandler((request, reply) => {
    const error = new GatewayError(404, 'not_found_error', `Unknown route ${request.method} ${clientText(request.url.split('?')[0], 200)}`, { code: 'unknown_route' })
    return sendError(request, reply, error, wantsAnthropicShape(request, false))
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' })
