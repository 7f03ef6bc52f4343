import { invalidRequest } from '../errors.js'

/**
 * Bounds on what one request may hold, checked before any translation or state lookup so that
 * the work a request causes is linear in a count the gateway chose. Each is far above what a
 * real conversation sends (docs/reliability.md says why each value).
 */
export const LIMITS = {
  /** Chat messages, or Responses input items. */
  items: 10_000,
  /** Content parts summed over every message or item of a request. */
  contentParts: 10_000,
  /** Tools offered (namespace members counted one by one). */
  tools: 512,
  /** OpenAI's own metadata limits. */
  metadataPairs: 16,
  metadataKeyChars: 64,
  metadataValueChars: 512
} as const

/** A 400 naming the limit and the count when `count` is over `limit`. */
export function checkCount (count: number, limit: number, what: string, param: string): void {
  if (count > limit) throw invalidRequest(`Too many ${what} in ${param}: ${count}, at most ${limit} per request`, param, 'too_many_items')
}

/** OpenAI's rules for `metadata`: 16 pairs, keys up to 64 characters, string values up to 512. */
export function checkMetadata (metadata: Record<string, unknown> | null | undefined): void {
  if (metadata === null || metadata === undefined) return
  let pairs = 0
  for (const key in metadata) {
    if (++pairs > LIMITS.metadataPairs) throw invalidRequest(`metadata holds more than ${LIMITS.metadataPairs} key-value pairs, the most accepted`, 'metadata', 'metadata_too_large')
    if (key.length > LIMITS.metadataKeyChars) throw invalidRequest(`metadata keys are at most ${LIMITS.metadataKeyChars} characters; one has ${key.length}`, 'metadata', 'metadata_too_large')
    const value = metadata[key]
    if (typeof value === 'string' && value.length > LIMITS.metadataValueChars) throw invalidRequest(`metadata values are at most ${LIMITS.metadataValueChars} characters; the one of the ${pairs}. key has ${value.length}`, 'metadata', 'metadata_too_large')
  }
}

/** The number of content parts in a message's or item's `content` (a string counts as one). */
export function partsIn (content: unknown): number {
  return Array.isArray(content) ? content.length : 1
}
