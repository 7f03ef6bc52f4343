import { hash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import { GatewayError } from '../lib/errors.js'

type Verdict = 'ok' | 'rejected'

/** How long Anthropic's verdict on a caller's key is trusted: long enough to spare the upstream, short enough for a new or revoked key. */
const ACCEPTED_TTL_MS = 5 * 60_000
const REJECTED_TTL_MS = 60_000
const MAX_VERDICTS = 10_000

/**
 * Mirror mode: before the body is read or anything is translated, the caller's key is shown to
 * Anthropic with one cheap models call; the verdict is kept per key digest (never the key), and
 * callers with the same new key share one check. A key Anthropic refuses costs nothing more.
 * An inconclusive check (network, 429, 5xx) lets the request go on: its own call will tell.
 * Register inside the mirror scope, after the hook that reads the caller's key.
 */
async function mirrorKeyCheckPlugin (fastify: FastifyInstance): Promise<void> {
  const verdicts = new LRUCache<string, Verdict>({ max: MAX_VERDICTS })
  const running = new Map<string, Promise<Verdict | 'unknown'>>()

  async function verdictFor (key: string): Promise<Verdict | 'unknown'> {
    const digest = hash('sha256', key, 'base64url')
    const known = verdicts.get(digest)
    if (known !== undefined) return known
    let check = running.get(digest)
    if (check === undefined) {
      check = fastify.claude.checkKey(key).finally(() => running.delete(digest))
      running.set(digest, check)
      const verdict = await check
      if (verdict !== 'unknown') verdicts.set(digest, verdict, { ttl: verdict === 'ok' ? ACCEPTED_TTL_MS : REJECTED_TTL_MS })
      return verdict
    }
    return await check
  }

  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    const key = request.callerAnthropicKey
    if (key === undefined) return
    if (await verdictFor(key) === 'rejected') {
      throw new GatewayError(401, 'authentication_error', 'Mirror mode: Anthropic does not accept the API key presented', { code: 'invalid_api_key' })
    }
  })
}

export default fp(mirrorKeyCheckPlugin, { name: 'mirror-key-check', fastify: '5.x', dependencies: ['auth', 'claude-client', 'error-handler'] })
