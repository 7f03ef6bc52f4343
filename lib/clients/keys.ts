import { hash, randomBytes } from 'node:crypto'
import { MIN_LENGTH_FOR_SUFFIX } from '../pool/key-spec.js'

/** Prefix of every key the gateway generates, so a leaked one is recognisable in a scan. */
export const CLIENT_KEY_PREFIX = 'c2a-'
const KEY_BYTES = 32
const HEX_DIGEST = /^[0-9a-f]{64}$/

/** Hex SHA-256 of a key: the only form in which client keys are kept. */
export function keyDigest (key: string): string {
  return hash('sha256', key, 'hex')
}

export function isKeyDigest (text: string): boolean {
  return HEX_DIGEST.test(text)
}

/** A new client key: the prefix and 256 bits of randomness. */
export function generateClientKey (): string {
  return CLIENT_KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url')
}

/** What logs and the admin API show of a key: enough to tell keys apart, not to use one. */
export function clientKeyLabel (key: string): string {
  if (key.length < MIN_LENGTH_FOR_SUFFIX) return digestLabel(keyDigest(key))
  const prefix = key.startsWith(CLIENT_KEY_PREFIX) ? CLIENT_KEY_PREFIX : ''
  return `${prefix}…${key.slice(-4)}`
}

/** The label of a key known only by its digest. */
export function digestLabel (digest: string): string {
  return `sha256:${digest.slice(0, 8)}`
}
