import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { connectionDrain } from '../lib/ops/connection-drain.js'
import { gatewayVersion } from '../lib/ops/version.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** True once shutdown has begun: readiness fails so load balancers stop sending new work. */
    readonly draining: boolean
    /** Called by server.ts on SIGTERM/SIGINT before it closes; closing sets it too. */
    startDraining: () => void
    /** When this instance started (ms since the epoch) and which version it runs. */
    readonly instanceInfo: { startedAt: number; version: string }
  }
}

async function lifecyclePlugin (fastify: FastifyInstance): Promise<void> {
  let draining = false
  fastify.decorate('draining', { getter: () => draining })
  fastify.decorate('startDraining', () => { draining = true })
  fastify.decorate('instanceInfo', { startedAt: Date.now(), version: gatewayVersion() })
  const connections = connectionDrain(fastify.server)
  fastify.addHook('preClose', async () => {
    draining = true
    connections.start()
  })
}

export default fp(lifecyclePlugin, { name: 'lifecycle', fastify: '5.x' })
