import pg from 'pg'
import { SqlTeamsStore, type SqlDialect, type SqlRow, type SqlValue } from './sql-store.js'

const DIALECT: SqlDialect = { serial: 'BIGSERIAL PRIMARY KEY', json: 'TEXT' }

/** `?` placeholders, as the shared statements are written, become PostgreSQL's `$1`, `$2`… */
export function numberPlaceholders (sql: string): string {
  let index = 0
  return sql.replace(/\?/g, () => `$${++index}`)
}

type Queryable = Pick<pg.PoolClient, 'query'>

async function runOn (client: Queryable, sql: string, params: SqlValue[] = []): Promise<number> {
  return (await client.query(numberPlaceholders(sql), params)).rowCount ?? 0
}

async function allOn (client: Queryable, sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
  return (await client.query(numberPlaceholders(sql), params)).rows as SqlRow[]
}

/** The shared store for several replicas: a `pg` pool on DATABASE_URL. */
export class PostgresTeamsStore extends SqlTeamsStore {
  readonly kind = 'postgres' as const
  protected readonly dialect = DIALECT
  private readonly pool: pg.Pool
  private closed = false

  constructor (connectionString: string, options: { max?: number, connectionTimeoutMillis?: number } = {}) {
    super()
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 5, connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000 })
    // An idle client's connection dropping is reported here; the next query gets a fresh one.
    this.pool.on('error', () => {})
  }

  protected async run (sql: string, params?: SqlValue[]): Promise<number> { return await runOn(this.pool, sql, params) }
  protected async all (sql: string, params?: SqlValue[]): Promise<SqlRow[]> { return await allOn(this.pool, sql, params) }

  protected async transaction<T> (work: (run: (sql: string, params?: SqlValue[]) => Promise<number>, all: (sql: string, params?: SqlValue[]) => Promise<SqlRow[]>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(async (sql, params) => await runOn(client, sql, params), async (sql, params) => await allOn(client, sql, params))
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  override async migrate (): Promise<void> {
    // Replicas starting together would race on CREATE TABLE; one advisory lock lets one migrate at a time.
    const client = await this.pool.connect()
    try {
      await client.query('SELECT pg_advisory_lock(7160412)')
      try {
        await super.migrate()
      } finally {
        await client.query('SELECT pg_advisory_unlock(7160412)')
      }
    } finally {
      client.release()
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}
