import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { decodeBody, isSupportedCoding, requestCodings } from '../lib/body-decoding.js'
import { GatewayError } from '../lib/errors.js'

/**
 * Request bodies sent with Content-Encoding gzip, deflate, br or zstd (Codex compresses with zstd)
 * are decoded as they stream in, on every route; each route's body limit applies to the decoded
 * size. Any other coding is refused with 415 before the body is read. Errors take the route's own
 * shape through the error handler.
 */
async function bodyEncodingPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const codings = requestCodings(request.headers['content-encoding'])
    if (codings.length === 0) return payload
    const [coding] = codings
    if (codings.length > 1 || !isSupportedCoding(coding)) {
      throw new GatewayError(415, 'invalid_request_error', `Content-Encoding '${codings.join(', ')}' is not supported; send the body as it is, or compressed with one of gzip, deflate, br, zstd`, { code: 'unsupported_content_encoding' })
    }
    const limit = request.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit ?? Infinity
    return decodeBody(payload, coding, limit,
      () => new GatewayError(413, 'invalid_request_error', 'Request body is too large once decompressed', { code: 'request_too_large' }),
      () => new GatewayError(400, 'invalid_request_error', `Request body is not valid ${coding} data`, { code: 'invalid_content_encoding' }))
  })
}

export default fp(bodyEncodingPlugin, { name: 'body-encoding', fastify: '5.x', dependencies: ['error-handler'] })
