import type { AuditEntry, CacheOutcomeCount, ClientRecord, GroupRecord, LedgerFilter, LedgerRow, SpendCaps, TeamsStore, UsageTotals, UsageTotalsFilter } from './teams-store.js'

export type SqlValue = string | number | null
export type SqlRow = Record<string, unknown>

/** What differs between SQLite and PostgreSQL beyond the statements below. */
export interface SqlDialect {
  /** An auto-numbered primary key column. */
  serial: string
  /** A JSON text column. */
  json: string
}

export interface Migration {
  version: number
  statements: (dialect: SqlDialect) => string[]
}

/** Numbered and append-only: a migration once released is never changed, only followed. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: (d) => [
      'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
      `CREATE TABLE IF NOT EXISTS clients (name TEXT PRIMARY KEY, data ${d.json} NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, data ${d.json} NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS audit (id ${d.serial}, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail ${d.json} NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ledger (
        id ${d.serial},
        at BIGINT NOT NULL,
        request_id TEXT NOT NULL,
        upstream_request_id TEXT,
        client TEXT,
        client_group TEXT,
        protocol TEXT NOT NULL,
        route TEXT NOT NULL,
        requested_model TEXT,
        upstream_model TEXT,
        key_label TEXT,
        status INTEGER NOT NULL,
        error_type TEXT,
        uncached_input_tokens BIGINT NOT NULL,
        cache_write_5m_tokens BIGINT NOT NULL,
        cache_write_1h_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        web_search_requests INTEGER NOT NULL,
        cost_nano_usd BIGINT,
        price_version TEXT,
        duration_ms INTEGER NOT NULL,
        ttft_ms INTEGER,
        streamed SMALLINT NOT NULL,
        cache_outcome TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at)',
      'CREATE INDEX IF NOT EXISTS ledger_client_at ON ledger (client, at)'
    ]
  }
]

const LEDGER_COLUMNS = [
  'at', 'request_id', 'upstream_request_id', 'client', 'client_group', 'protocol', 'route', 'requested_model', 'upstream_model',
  'key_label', 'status', 'error_type', 'uncached_input_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens',
  'output_tokens', 'web_search_requests', 'cost_nano_usd', 'price_version', 'duration_ms', 'ttft_ms', 'streamed', 'cache_outcome'
] as const

/** Rows per INSERT statement: well inside both databases' limits on bound parameters. */
const INSERT_CHUNK = 200

function ledgerValues (row: LedgerRow): SqlValue[] {
  return [
    row.at, row.requestId, row.upstreamRequestId, row.client, row.group, row.protocol, row.route, row.requestedModel, row.upstreamModel,
    row.keyLabel, row.status, row.errorType, row.uncachedInputTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens, row.cacheReadTokens,
    row.outputTokens, row.webSearchRequests, row.costNanoUsd, row.priceVersion, Math.round(row.durationMs), row.ttftMs === null ? null : Math.round(row.ttftMs),
    row.streamed ? 1 : 0, row.cacheOutcome
  ]
}

/** PostgreSQL hands BIGINT and SUM() back as strings; both stores answer plain numbers. */
function num (value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0)
}

function numOrNull (value: unknown): number | null {
  return value === null || value === undefined ? null : num(value)
}

function str (value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

function rowToLedger (row: SqlRow): LedgerRow {
  return {
    at: num(row.at),
    requestId: String(row.request_id),
    upstreamRequestId: str(row.upstream_request_id),
    client: str(row.client),
    group: str(row.client_group),
    protocol: row.protocol as LedgerRow['protocol'],
    route: String(row.route),
    requestedModel: str(row.requested_model),
    upstreamModel: str(row.upstream_model),
    keyLabel: str(row.key_label),
    status: num(row.status),
    errorType: str(row.error_type),
    uncachedInputTokens: num(row.uncached_input_tokens),
    cacheWrite5mTokens: num(row.cache_write_5m_tokens),
    cacheWrite1hTokens: num(row.cache_write_1h_tokens),
    cacheReadTokens: num(row.cache_read_tokens),
    outputTokens: num(row.output_tokens),
    webSearchRequests: num(row.web_search_requests),
    costNanoUsd: numOrNull(row.cost_nano_usd),
    priceVersion: str(row.price_version),
    durationMs: num(row.duration_ms),
    ttftMs: numOrNull(row.ttft_ms),
    streamed: num(row.streamed) === 1,
    cacheOutcome: str(row.cache_outcome)
  }
}

function parseJson<T> (value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

/**
 * The TeamsStore in SQL both databases accept; a subclass supplies the connection. Statements
 * use `?` placeholders, which the PostgreSQL store numbers.
 */
export abstract class SqlTeamsStore implements TeamsStore {
  abstract readonly kind: 'sqlite' | 'postgres'
  protected abstract readonly dialect: SqlDialect

  protected abstract run (sql: string, params?: SqlValue[]): Promise<number>
  protected abstract all (sql: string, params?: SqlValue[]): Promise<SqlRow[]>
  /** Runs `work` in one transaction; the callbacks it gets use the same connection. */
  protected abstract transaction<T> (work: (run: (sql: string, params?: SqlValue[]) => Promise<number>, all: (sql: string, params?: SqlValue[]) => Promise<SqlRow[]>) => Promise<T>): Promise<T>
  abstract close (): Promise<void>

  async migrate (): Promise<void> {
    await this.run('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    await this.transaction(async (run, all) => {
      const applied = new Set((await all('SELECT version FROM migrations')).map((row) => num(row.version)))
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue
        for (const statement of migration.statements(this.dialect)) await run(statement)
        await run('INSERT INTO migrations (version, applied_at) VALUES (?, ?)', [migration.version, new Date().toISOString()])
      }
    })
  }

  /** The migrations applied, in order (for tests and the status of a deployment). */
  async appliedMigrations (): Promise<number[]> {
    return (await this.all('SELECT version FROM migrations ORDER BY version')).map((row) => num(row.version))
  }

  async revision (): Promise<number> {
    const rows = await this.all("SELECT value FROM meta WHERE key = 'revision'")
    return rows.length === 0 ? 0 : num(rows[0].value)
  }

  private async bumpRevision (run: (sql: string, params?: SqlValue[]) => Promise<number>): Promise<void> {
    await run("INSERT INTO meta (key, value) VALUES ('revision', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)")
  }

  private async putJson (table: 'clients' | 'groups', name: string, data: unknown): Promise<void> {
    await this.transaction(async (run) => {
      await run(`INSERT INTO ${table} (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data`, [name, JSON.stringify(data)])
      await this.bumpRevision(run)
    })
  }

  private async deleteNamed (table: 'clients' | 'groups', name: string): Promise<boolean> {
    return await this.transaction(async (run) => {
      const deleted = await run(`DELETE FROM ${table} WHERE name = ?`, [name])
      if (deleted > 0) await this.bumpRevision(run)
      return deleted > 0
    })
  }

  async listClients (): Promise<ClientRecord[]> {
    return (await this.all('SELECT data FROM clients ORDER BY name')).map((row) => parseJson<ClientRecord>(row.data))
  }

  async getClient (name: string): Promise<ClientRecord | undefined> {
    const rows = await this.all('SELECT data FROM clients WHERE name = ?', [name])
    return rows.length === 0 ? undefined : parseJson<ClientRecord>(rows[0].data)
  }

  async putClient (client: ClientRecord): Promise<void> { await this.putJson('clients', client.name, client) }
  async deleteClient (name: string): Promise<boolean> { return await this.deleteNamed('clients', name) }

  async listGroups (): Promise<GroupRecord[]> {
    return (await this.all('SELECT data FROM groups ORDER BY name')).map((row) => parseJson<GroupRecord>(row.data))
  }

  async getGroup (name: string): Promise<GroupRecord | undefined> {
    const rows = await this.all('SELECT data FROM groups WHERE name = ?', [name])
    return rows.length === 0 ? undefined : parseJson<GroupRecord>(rows[0].data)
  }

  async putGroup (group: GroupRecord): Promise<void> { await this.putJson('groups', group.name, group) }
  async deleteGroup (name: string): Promise<boolean> { return await this.deleteNamed('groups', name) }

  async getOrganizationSpend (): Promise<SpendCaps> {
    const rows = await this.all("SELECT value FROM meta WHERE key = 'organization_spend'")
    return rows.length === 0 ? {} : parseJson<SpendCaps>(rows[0].value)
  }

  async putOrganizationSpend (spend: SpendCaps): Promise<void> {
    await this.transaction(async (run) => {
      await run("INSERT INTO meta (key, value) VALUES ('organization_spend', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [JSON.stringify(spend)])
      await this.bumpRevision(run)
    })
  }

  async appendAudit (entry: AuditEntry): Promise<void> {
    await this.run('INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)', [entry.at, entry.actor, entry.action, entry.target, JSON.stringify(entry.detail)])
  }

  async listAudit (options: { limit: number, beforeId?: number }): Promise<AuditEntry[]> {
    const where = options.beforeId === undefined ? '' : 'WHERE id < ?'
    const params: SqlValue[] = options.beforeId === undefined ? [] : [options.beforeId]
    const rows = await this.all(`SELECT id, at, actor, action, target, detail FROM audit ${where} ORDER BY id DESC LIMIT ?`, [...params, Math.max(0, Math.floor(options.limit))])
    return rows.map((row) => ({ id: num(row.id), at: String(row.at), actor: String(row.actor), action: String(row.action), target: String(row.target), detail: parseJson<Record<string, unknown>>(row.detail) }))
  }

  async insertLedgerRows (rows: LedgerRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.transaction(async (run) => {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        const chunk = rows.slice(start, start + INSERT_CHUNK)
        const placeholders = chunk.map(() => `(${LEDGER_COLUMNS.map(() => '?').join(', ')})`).join(', ')
        await run(`INSERT INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES ${placeholders}`, chunk.flatMap(ledgerValues))
      }
    })
  }

  private ledgerWhere (filter: LedgerFilter): { where: string, params: SqlValue[] } {
    const clauses = ['at >= ?', 'at < ?']
    const params: SqlValue[] = [filter.from, filter.to]
    if (filter.clients !== undefined) {
      clauses.push(filter.clients.length === 0 ? '1 = 0' : `client IN (${filter.clients.map(() => '?').join(', ')})`)
      params.push(...filter.clients)
    }
    if (filter.groups !== undefined) {
      clauses.push(filter.groups.length === 0 ? '1 = 0' : `client_group IN (${filter.groups.map(() => '?').join(', ')})`)
      params.push(...filter.groups)
    }
    if (filter.models !== undefined) {
      clauses.push(filter.models.length === 0 ? '1 = 0' : `upstream_model IN (${filter.models.map(() => '?').join(', ')})`)
      params.push(...filter.models)
    }
    return { where: clauses.join(' AND '), params }
  }

  async ledgerRows (filter: LedgerFilter, limit: number, keep: 'oldest' | 'newest' = 'oldest'): Promise<LedgerRow[]> {
    const { where, params } = this.ledgerWhere(filter)
    const order = keep === 'newest' ? 'at DESC, id DESC' : 'at, id'
    const rows = (await this.all(`SELECT ${LEDGER_COLUMNS.join(', ')} FROM ledger WHERE ${where} ORDER BY ${order} LIMIT ?`, [...params, Math.max(0, Math.floor(limit))])).map(rowToLedger)
    return keep === 'newest' ? rows.reverse() : rows
  }

  async usageTotals (filter: UsageTotalsFilter): Promise<UsageTotals> {
    const { where, params } = this.ledgerWhere(filter)
    const rows = await this.all(`SELECT COUNT(*) AS requests,
      COALESCE(SUM(uncached_input_tokens), 0) AS uncached_input, COALESCE(SUM(cache_write_5m_tokens), 0) AS write_5m,
      COALESCE(SUM(cache_write_1h_tokens), 0) AS write_1h, COALESCE(SUM(cache_read_tokens), 0) AS cache_read,
      COALESCE(SUM(output_tokens), 0) AS output, COALESCE(SUM(web_search_requests), 0) AS web_searches,
      COALESCE(SUM(cost_nano_usd), 0) AS cost, SUM(CASE WHEN cost_nano_usd IS NULL THEN 1 ELSE 0 END) AS unpriced
      FROM ledger WHERE ${where}`, params)
    const row = rows[0] ?? {}
    return {
      requests: num(row.requests),
      uncachedInputTokens: num(row.uncached_input),
      cacheWrite5mTokens: num(row.write_5m),
      cacheWrite1hTokens: num(row.write_1h),
      cacheReadTokens: num(row.cache_read),
      outputTokens: num(row.output),
      webSearchRequests: num(row.web_searches),
      costNanoUsd: num(row.cost),
      unpricedRequests: num(row.unpriced)
    }
  }

  async cacheOutcomesByClient (filter: LedgerFilter, perClient: number): Promise<CacheOutcomeCount[]> {
    const { where, params } = this.ledgerWhere(filter)
    // Ranked in the database, so the answer is bounded by clients × perClient whatever the window holds.
    const rows = await this.all(`SELECT client, cache_outcome, requests FROM (
      SELECT client, cache_outcome, COUNT(*) AS requests,
        ROW_NUMBER() OVER (PARTITION BY client ORDER BY COUNT(*) DESC, cache_outcome) AS place
      FROM ledger WHERE ${where} AND cache_outcome IS NOT NULL AND cache_outcome <> 'hit'
      GROUP BY client, cache_outcome
    ) ranked WHERE place <= ? ORDER BY client, place`, [...params, Math.max(0, Math.floor(perClient))])
    return rows.map((row) => ({ client: str(row.client), outcome: String(row.cache_outcome), requests: num(row.requests) }))
  }

  async spendByClient (from: number): Promise<Map<string, number>> {
    const rows = await this.all('SELECT client, COALESCE(SUM(cost_nano_usd), 0) AS cost FROM ledger WHERE at >= ? AND client IS NOT NULL GROUP BY client', [from])
    return new Map(rows.map((row) => [String(row.client), num(row.cost)]))
  }

  async pruneLedger (before: number): Promise<number> {
    return await this.run('DELETE FROM ledger WHERE at < ?', [before])
  }
}
