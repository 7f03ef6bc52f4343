import type { IncomingHttpHeaders } from 'node:http'

/** Upstream response headers an Anthropic client reads; the rest (cookies, encodings, lengths, the key's organisation) stay here. */
const KEPT = new Set(['content-type', 'request-id', 'retry-after', 'retry-after-ms', 'x-should-retry'])
const KEPT_PREFIX = 'anthropic-ratelimit-'

export function keptResponseHeaders (headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || (!KEPT.has(name) && !name.startsWith(KEPT_PREFIX))) continue
    kept[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return kept
}
