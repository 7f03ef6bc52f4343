import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app, { serverOptions } from './app.js'
import { loggerOptions } from './lib/logger-options.js'

const server = Fastify(serverOptions(loggerOptions(process.env.LOG_LEVEL ?? 'info')))
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

await server.listen({ host: server.config.host, port: server.config.port })
