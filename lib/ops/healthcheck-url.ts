import { isIPv6 } from 'node:net'

/**
 * Where a check on this machine reaches the server's /health: a wildcard listen address
 * (0.0.0.0, ::) is not an address to connect to, so its loopback stands in for it.
 */
export function healthcheckUrl (host: string, port: number): string {
  const target = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${isIPv6(target) ? `[${target}]` : target}:${port}/health`
}
