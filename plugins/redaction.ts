import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { logRedactor, Redactor } from '../lib/core/redact.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one redaction step (configured secrets and Anthropic-shaped keys), for text a route relays. */
    redactor: Redactor
  }
}

/**
 * One redaction step for what leaves the process: log lines (through the logger's stream hook),
 * the headers of every response (a pass-through relays upstream headers, which a proxy may fill
 * with the key), and the whole body of every error response, in any protocol's shape. A
 * successful body is the model's own words and is left alone (the pass-through checks the
 * error events inside a stream itself).
 */
async function redactionPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const secrets = [...config.clientKeys, ...config.upstreamKeys]
  const redactor = new Redactor()
  redactor.add(secrets)
  logRedactor.add(secrets)
  fastify.decorate('redactor', redactor)

  fastify.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (typeof value === 'number' || value === undefined) continue
      const clean = Array.isArray(value) ? value.map((item) => redactor.redact(item)) : redactor.redact(String(value))
      if (Array.isArray(clean) ? clean.some((item, index) => item !== (value as string[])[index]) : clean !== value) reply.header(name, clean)
    }
    if (reply.statusCode < 400) return payload
    // A streamed error body is relayed as it comes; a text or buffer one is redacted whole.
    return typeof payload === 'string' || Buffer.isBuffer(payload) ? redactor.redact(String(payload)) : payload
  })
}

export default fp(redactionPlugin, { name: 'redaction', fastify: '5.x', dependencies: ['config'] })
