import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { GatewayError, type OpenAIErrorBody } from '../lib/errors.js'

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
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 400 && error instanceof SyntaxError) {
    return new GatewayError(400, 'invalid_request_error', 'Request body is not valid JSON', { code: 'invalid_json' })
  }
  if (status >= 400 && status < 500) return new GatewayError(status, 'invalid_request_error', error.message, { code: fastifyError.code ?? null })
  return new GatewayError(500, 'server_error', 'Internal server error', { code: 'internal_error' })
}

async function errorHandlerPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toGatewayError(error)
    if (mapped.status >= 500 && !(error instanceof GatewayError)) request.log.error({ err: error }, 'unexpected error')
    else request.log.info({ status: mapped.status, code: mapped.code }, mapped.message)
    const body: OpenAIErrorBody = mapped.toBody()
    return reply.code(mapped.status).headers(mapped.headers).send(body)
  })
  fastify.setNotFoundHandler((request, reply) => {
    const body = new GatewayError(404, 'not_found_error', `Unknown route ${request.method} ${request.url.split('?')[0]}`, { code: 'unknown_route' }).toBody()
    return reply.code(404).send(body)
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' })
