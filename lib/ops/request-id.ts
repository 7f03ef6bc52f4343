import { randomBytes } from 'node:crypto'
import { logRedactor } from '../core/redact.js'

/** Secret-shaped prefixes (Anthropic's, OpenAI's): a client that puts its key here must not see it logged and echoed. */
const KEY_LIKE = /^sk-|sk-ant-/i

/** Bounded so an id fits a metric exemplar (128 characters with its label name) and a log line. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/

/**
 * The id a request is logged, answered and counted under: the caller's `x-request-id` when it
 * is well-formed (so a trace spans the client, a load balancer and this gateway), else 96
 * random bits, unique across instances without any coordination.
 */
export function requestIdFor (incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && INCOMING_ID.test(incoming) && !looksLikeKey(incoming)) return incoming
  return randomBytes(12).toString('hex')
}

/** Shaped like a key, or holding one of the configured keys (the redactor knows them all). */
function looksLikeKey (id: string): boolean {
  return KEY_LIKE.test(id) || logRedactor.redact(id) !== id
}
