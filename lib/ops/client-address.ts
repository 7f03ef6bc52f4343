import type { IncomingMessage } from 'node:http'
import proxyaddr from '@fastify/proxy-addr'

/** TRUST_PROXY as Fastify's `trustProxy` reads it: nobody, every hop, the last N hops, or the proxies at these addresses. */
export type TrustProxy = boolean | number | string[]

/** `false` / `true` / a number of hops / a comma-separated list of addresses and CIDR ranges (`loopback`, `uniquelocal`… too). */
export function parseTrustProxy (raw: string | undefined): TrustProxy {
  const text = (raw ?? '').trim()
  if (text === '' || text === 'false') return false
  if (text === 'true') return true
  if (/^\d+$/.test(text)) return Number(text)
  const list = text.split(',').map((item) => item.trim()).filter(Boolean)
  // Throws on an address or range that is not one, naming it.
  proxyaddr.compile(list)
  return list
}

/**
 * The address a request came from: the socket's peer, or, for each hop the setting trusts,
 * the next address X-Forwarded-For names (Fastify's `request.ip` under the same `trustProxy`).
 */
export function clientAddressResolver (trust: TrustProxy): (request: IncomingMessage) => string {
  if (trust === false || trust === 0) return (request) => request.socket.remoteAddress ?? 'unknown'
  const trusts = trust === true ? () => true : typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : proxyaddr.compile(trust)
  return (request) => proxyaddr(request, trusts)
}
