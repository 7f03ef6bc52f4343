import { hash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GatewayError } from '../lib/errors.js'
import { matchesAnyKey, presentedKey } from '../plugins/auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin key's label (`admin#1`, `read#2`), never the key: what the audit log names. */
    adminLabel: string | undefined
  }
}

const digest = (key: string): Buffer => hash('sha256', key, 'buffer')

/**
 * onRequest hook for the admin routes: ADMIN_KEYS may read and change, ADMIN_READ_KEYS only read.
 * No key is a 401; a client key (or a read key on a change) is a 403.
 */
export function adminGuard (fastify: FastifyInstance): (request: FastifyRequest) => Promise<void> {
  const { adminKeys, adminReadKeys } = fastify.config.teams
  const writers = adminKeys.map(digest)
  const readers = adminReadKeys.map(digest)
  const labelOf = (key: string): string | undefined => {
    const write = adminKeys.findIndex((known) => matchesAnyKey(key, [digest(known)]))
    if (write >= 0) return `admin#${write + 1}`
    const read = adminReadKeys.findIndex((known) => matchesAnyKey(key, [digest(known)]))
    return read >= 0 ? `read#${read + 1}` : undefined
  }
  return async (request) => {
    const key = presentedKey(request)
    if (!key) throw new GatewayError(401, 'authentication_error', 'Missing admin key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"', { code: 'invalid_api_key' })
    const writer = matchesAnyKey(key, writers)
    const reader = !writer && matchesAnyKey(key, readers)
    if (!writer && !reader) {
      if (fastify.teams.directory.lookup(key) !== undefined) throw new GatewayError(403, 'permission_error', 'This is a client key; the admin API takes an admin key (ADMIN_KEYS)', { code: 'not_admin' })
      throw new GatewayError(401, 'authentication_error', 'Invalid admin key', { code: 'invalid_api_key' })
    }
    if (!writer && request.method !== 'GET') throw new GatewayError(403, 'permission_error', 'This admin key may only read (ADMIN_READ_KEYS)', { code: 'read_only_admin_key' })
    request.adminLabel = labelOf(key)
  }
}
