import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * How long a client may take to send its request, and what happens to a body nobody reads.
 * Node's own request deadline (checked every second, see serverOptions) answers 408 through the
 * clientErrorHandler and closes the connection. A request answered before its body arrived (a 401
 * from onRequest, say) gets `connection: close`: Node then closes the socket after the answer
 * rather than reading and discarding whatever the client still sends.
 */
async function requestDeadlinesPlugin (fastify: FastifyInstance): Promise<void> {
  const { bodyTimeoutMs } = fastify.config
  const server = fastify.server
  server.requestTimeout = bodyTimeoutMs
  // Node applies the request deadline only while the headers deadline is not longer.
  server.headersTimeout = Math.min(server.headersTimeout, bodyTimeoutMs)

  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.raw.complete === false) reply.header('connection', 'close')
    return payload
  })
}

export default fp(requestDeadlinesPlugin, { name: 'request-deadlines', fastify: '5.x', dependencies: ['config'] })
