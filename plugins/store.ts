import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createTeamsStore } from '../lib/store/create-store.js'
import type { TeamsStore } from '../lib/store/teams-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Clients, groups, spend caps, the audit log and the usage ledger (SQLite or PostgreSQL). */
    teamsStore: TeamsStore
  }
}

/** Opens the store and brings its schema up to date before anything reads it; closes it last. */
async function storePlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const store = createTeamsStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl })
  try {
    await store.migrate()
  } catch (error) {
    await store.close().catch(() => {})
    const where = store.kind === 'postgres' ? 'the PostgreSQL database at DATABASE_URL' : `the SQLite file under DATA_DIR (${config.dataDir})`
    throw new Error(`Could not open ${where}: ${error instanceof Error ? error.message : String(error)}`)
  }
  fastify.log.debug({ kind: store.kind }, 'teams store ready')
  fastify.decorate('teamsStore', store)
  fastify.addHook('onClose', async () => { await store.close() })
}

export default fp(storePlugin, { name: 'store', fastify: '5.x', dependencies: ['config'] })
