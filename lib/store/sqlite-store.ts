import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync, type SQLInputValue } from 'node:sqlite'
import { SqlTeamsStore, type SqlDialect, type SqlRow, type SqlValue } from './sql-store.js'

const DIALECT: SqlDialect = { serial: 'INTEGER PRIMARY KEY', json: 'TEXT' }
/** How long a write waits for another process's lock (two gateways on one file) before failing. */
const BUSY_TIMEOUT_MS = 5000

/**
 * The default store: one SQLite file (node:sqlite, no native module to build), in WAL mode so
 * readers never wait for the ledger's writer. Calls are synchronous underneath and short.
 */
export class SqliteTeamsStore extends SqlTeamsStore {
  readonly kind = 'sqlite' as const
  protected readonly dialect = DIALECT
  private readonly db: DatabaseSync
  private closed = false

  constructor (readonly file: string) {
    super()
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS })
    this.db.exec('PRAGMA journal_mode = WAL')
    this.db.exec('PRAGMA synchronous = NORMAL')
  }

  /** Statements one at a time: a transaction's awaits must not let another caller's statement into it. */
  private queue: Promise<unknown> = Promise.resolve()

  private exclusive<T> (work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work)
    this.queue = next.catch(() => {})
    return next
  }

  private rawRun (sql: string, params: SqlValue[] = []): number {
    return Number(this.db.prepare(sql).run(...(params as SQLInputValue[])).changes)
  }

  private rawAll (sql: string, params: SqlValue[] = []): SqlRow[] {
    return this.db.prepare(sql).all(...(params as SQLInputValue[])) as SqlRow[]
  }

  protected async run (sql: string, params?: SqlValue[]): Promise<number> {
    return await this.exclusive(async () => this.rawRun(sql, params))
  }

  protected async all (sql: string, params?: SqlValue[]): Promise<SqlRow[]> {
    return await this.exclusive(async () => this.rawAll(sql, params))
  }

  protected async transaction<T> (work: (run: (sql: string, params?: SqlValue[]) => Promise<number>, all: (sql: string, params?: SqlValue[]) => Promise<SqlRow[]>) => Promise<T>): Promise<T> {
    return await this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE')
      try {
        const result = await work(async (sql, params) => this.rawRun(sql, params), async (sql, params) => this.rawAll(sql, params))
        this.db.exec('COMMIT')
        return result
      } catch (error) {
        this.db.exec('ROLLBACK')
        throw error
      }
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
