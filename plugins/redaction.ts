import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { logRedactor, Redactor } from '../lib/core/redact.js'

/**
 * One redaction step for what leaves the process: log lines (through the logger's stream hook)
 * and every error response, in any protocol's shape, body and headers alike. Successful answers
 * are the model's own words and headers the gateway wrote itself; they are left alone.
 */
async function redactionPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const secrets = [...config.clientKeys, ...config.upstreamKeys]
  const redactor = new Redactor()
  redactor.add(secrets)
  logRedactor.add(secrets)

  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400) return payload
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      reply.header(name, Array.isArray(value) ? value.map((item) => redactor.redact(item)) : redactor.redact(String(value)))
    }
    // A streamed error body is relayed as it comes; a text or buffer one is redacted whole.
    return typeof payload === 'string' || Buffer.isBuffer(payload) ? redactor.redact(String(payload)) : payload
  })
}

export default fp(redactionPlugin, { name: 'redaction', fastify: '5.x', dependencies: ['config'] })
