import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { serverOptions } from './app.js'
import { loggerOptions } from './lib/logger-options.js'
import { healthcheckUrl } from './lib/ops/healthcheck-url.js'
import configPlugin from './plugins/config.js'
import { LOG_LEVELS } from './schemas/config.js'

const HEALTHCHECK_TIMEOUT_MS = 4000

/**
 * `--healthcheck` (the image's HEALTHCHECK): reads the configuration exactly as the server does
 * (config.yaml, or the environment and .env) and asks the server's own /health on the address it
 * listens on. Exit 0 when it answers 200 (ok or degraded), else 1.
 */
async function healthcheck (): Promise<number> {
  const reader = Fastify({ logger: false })
  try {
    await reader.register(configPlugin)
    await reader.ready()
    const answer = await fetch(healthcheckUrl(reader.config.host, reader.config.port), { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) })
    return answer.status === 200 ? 0 : 1
  } catch {
    return 1
  }
}
if (process.argv.includes('--healthcheck')) process.exit(await healthcheck())

// The level is checked (and named in a clear message) with the rest of the configuration; until
// then an unknown one must not stop the logger from being built.
const bootLevel = LOG_LEVELS.includes(process.env.LOG_LEVEL ?? '') ? process.env.LOG_LEVEL! : 'info'
const server = Fastify(serverOptions(loggerOptions(bootLevel)))
try {
  await server.register(fp(app))
  await server.ready()
} catch (error) {
  server.log.fatal((error as Error).message)
  process.exit(1)
}

let closing = false
/** First signal: stop accepting, let running requests finish within the grace period. A second one cuts them now. */
async function shutdown (signal: string): Promise<void> {
  if (closing) {
    server.log.warn({ signal }, 'second signal: closing the remaining connections now')
    server.server.closeAllConnections()
    return
  }
  closing = true
  server.startDraining()
  server.log.info({ signal }, 'shutting down: no new connections, running requests may finish')
  const grace = setTimeout(() => {
    server.log.warn('grace period over; closing the remaining connections')
    server.server.closeAllConnections()
  }, server.config.shutdownGraceMs)
  grace.unref()
  await server.close()
  clearTimeout(grace)
  process.exit(0)
}
process.on('SIGTERM', () => { void shutdown('SIGTERM') })
process.on('SIGINT', () => { void shutdown('SIGINT') })

const { host, port } = server.config
try {
  await server.listen({ host, port })
} catch (error) {
  server.log.fatal(listenFailure(error as NodeJS.ErrnoException, host, port))
  process.exit(1)
}

/** What went wrong when listening, and what to do about it, in one line. */
function listenFailure (error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE': return `Cannot listen: port ${port} on ${host} is already in use by another process; stop it, or set PORT (or ADDRESS) to a free port`
    case 'EACCES': return `Cannot listen: not allowed to use port ${port} on ${host}; choose a port above 1023 with PORT (or ADDRESS)`
    case 'EADDRNOTAVAIL': return `Cannot listen: ${host} is not an address of this machine; set ADDRESS to one of its addresses, or 0.0.0.0`
    case 'ENOTFOUND': case 'EAI_AGAIN': return `Cannot listen: the host name ${host} in ADDRESS does not resolve; use an IP address or localhost`
    default: return `Cannot listen on ${host}:${port}: ${error.message}`
  }
}
