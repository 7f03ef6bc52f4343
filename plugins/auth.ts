import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { apiKeyProblem } from '../lib/anthropic/api-keys.js'
import { GatewayError } from '../lib/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook: the caller must present one of the configured client keys. */
    requireClientKey: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
    /** onRequest hook for mirror mode: the caller's bearer token is its own Anthropic API key. */
    requireAnthropicKey: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** Set in mirror mode: the upstream key to use instead of the pool. */
    callerAnthropicKey: string | undefined
  }
}

function digest (value: string): Buffer {
  return hash('sha256', value, 'buffer')
}

/** The key a request presents: `Authorization: Bearer …` or `x-api-key`. */
export function presentedKey (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization?.trim() ?? ''
  // Trimmed, a header that starts with "Bearer" and a space has a key after it.
  if (/^Bearer\s/i.test(header)) return header.slice('Bearer'.length).trim()
  const apiKey = request.headers['x-api-key']
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined
}

/**
 * Compares against every configured key without stopping early, on fixed-length digests,
 * so neither the position of a match nor the key's length shows in the timing.
 */
export function matchesAnyKey (candidate: string, digests: Buffer[], equal: (a: Buffer, b: Buffer) => boolean = timingSafeEqual): boolean {
  const wanted = digest(candidate)
  let found = false
  for (const known of digests) found = equal(wanted, known) || found
  return found
}

const unauthorized = (message: string): GatewayError =>
  new GatewayError(401, 'authentication_error', message, { code: 'invalid_api_key' })

async function authPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorateRequest('callerAnthropicKey', undefined)

  // Client keys (APIKEY's and named clients') are found by digest in the teams directory.
  fastify.decorate('requireClientKey', async (request: FastifyRequest) => {
    const key = presentedKey(request)
    if (!key) throw unauthorized('Missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"')
    fastify.teams.authenticate(request, key)
  })

  fastify.decorate('requireAnthropicKey', async (request: FastifyRequest) => {
    const key = presentedKey(request)
    if (!key) throw unauthorized('Missing API key: in mirror mode send your Anthropic API key as "Authorization: Bearer <key>"')
    const problem = apiKeyProblem(key)
    if (problem !== undefined) throw unauthorized(`Mirror mode takes your own Anthropic API key; the key presented was refused: ${problem}`)
    request.callerAnthropicKey = key
  })
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['config', 'teams'] })
