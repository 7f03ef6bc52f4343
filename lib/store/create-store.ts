import { join } from 'node:path'
import { PostgresTeamsStore } from './postgres-store.js'
import { SqliteTeamsStore } from './sqlite-store.js'
import type { TeamsStore } from './teams-store.js'

export interface StoreSettings {
  /** DATA_DIR: where the SQLite file lives. */
  dataDir: string
  /** DATABASE_URL: PostgreSQL instead of SQLite when set. */
  databaseUrl: string | undefined
}

export const SQLITE_FILE_NAME = 'claude2api.db'

/** PostgreSQL when a DATABASE_URL is given, else a SQLite file under DATA_DIR. Migrations are the caller's to run. */
export function createTeamsStore (settings: StoreSettings): TeamsStore {
  if (settings.databaseUrl) return new PostgresTeamsStore(settings.databaseUrl)
  return new SqliteTeamsStore(join(settings.dataDir, SQLITE_FILE_NAME))
}
