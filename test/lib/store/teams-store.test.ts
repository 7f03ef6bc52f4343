import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createTeamsStore } from '../../../lib/store/create-store.js'
import { MIGRATIONS, SqlTeamsStore } from '../../../lib/store/sql-store.js'
import type { ClientRecord, GroupRecord, LedgerRow, TeamsStore } from '../../../lib/store/teams-store.js'
import { createTestDatabase } from '../../helpers/postgres.js'

function ledgerRow (overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    at: Date.UTC(2026, 11, 2, 10),
    requestId: 'req-1',
    upstreamRequestId: 'req_up_1',
    client: 'alice',
    group: 'backend',
    protocol: 'chat',
    route: '/v1/chat/completions',
    requestedModel: 'claude-sonnet-4-5',
    upstreamModel: 'claude-sonnet-4-5-20250929',
    keyLabel: 'key#1 (…AAAA)',
    status: 200,
    errorType: null,
    uncachedInputTokens: 10,
    cacheWrite5mTokens: 2,
    cacheWrite1hTokens: 3,
    cacheReadTokens: 4,
    outputTokens: 5,
    webSearchRequests: 1,
    // Beyond 2^31, so a 32-bit column would not hold it.
    costNanoUsd: 5_000_000_123,
    priceVersion: 'claude-sonnet-4-5@2026-12-02',
    durationMs: 1234,
    ttftMs: 56,
    streamed: true,
    cacheOutcome: null,
    ...overrides
  }
}

const client: ClientRecord = {
  name: 'alice',
  group: 'backend',
  models: ['claude-sonnet-*'],
  expiresAt: null,
  disabled: false,
  limits: { rpm: 60, input_tpm: null },
  spend: { daily: 500, weekly: null },
  keys: [{ digest: 'a'.repeat(64), label: 'c2a-…abcd', createdAt: '2026-12-02T00:00:00.000Z', expiresAt: null }],
  createdAt: '2026-12-02T00:00:00.000Z',
  updatedAt: '2026-12-02T00:00:00.000Z'
}

const group: GroupRecord = { name: 'backend', limits: { rpm: 600 }, spend: { monthly: 20000, pooled: true }, createdAt: '2026-12-02T00:00:00.000Z', updatedAt: '2026-12-02T00:00:00.000Z' }

/** The same checks for each store; `reopen` gives a new store on the same data (a restart). */
function storeSuite (t: Test, open: () => TeamsStore): void {
  let store: TeamsStore
  t.beforeEach(async () => {
    store = open()
    await store.migrate()
  })
  t.afterEach(async () => { await store.close() })

  t.test('migrations are numbered, applied once and recorded', async (t) => {
    await store.migrate()
    t.same(await (store as SqlTeamsStore).appliedMigrations(), MIGRATIONS.map((m) => m.version))
  })

  t.test('clients and groups round-trip, and every change grows the revision', async (t) => {
    const before = await store.revision()
    await store.putClient(client)
    await store.putGroup(group)
    t.same(await store.getClient('alice'), client)
    t.same(await store.getGroup('backend'), group)
    t.equal(await store.revision(), before + 2)
    await store.putClient({ ...client, disabled: true })
    t.equal((await store.getClient('alice'))?.disabled, true)
    t.same((await store.listClients()).map((c) => c.name), ['alice'])
    t.equal(await store.deleteClient('alice'), true)
    t.equal(await store.deleteClient('alice'), false)
    t.equal(await store.getClient('alice'), undefined)
    t.equal(await store.deleteGroup('backend'), true)
    t.same(await store.listGroups(), [])
    t.equal(await store.revision(), before + 5)
    await store.putOrganizationSpend({ daily: 1000, monthly: null })
    t.same(await store.getOrganizationSpend(), { daily: 1000, monthly: null })
    t.equal(await store.revision(), before + 6)
  })

  t.test('the audit log pages backwards from the newest entry', async (t) => {
    for (let i = 0; i < 5; i++) await store.appendAudit({ at: `2026-12-02T00:00:0${i}.000Z`, actor: 'admin#1', action: 'client.create', target: `c${i}`, detail: { i } })
    const first = await store.listAudit({ limit: 2 })
    t.same(first.map((e) => e.target), ['c4', 'c3'])
    const next = await store.listAudit({ limit: 10, beforeId: first[1].id })
    t.same(next.map((e) => e.target), ['c2', 'c1', 'c0'])
    t.same(next[0].detail, { i: 2 })
  })

  t.test('ledger rows keep every field, big costs and nulls included', async (t) => {
    const rows = [ledgerRow(), ledgerRow({ requestId: 'req-2', at: Date.UTC(2026, 11, 2, 11), costNanoUsd: null, priceVersion: null, ttftMs: null, streamed: false, client: null, group: null, upstreamRequestId: null, errorType: 'api_error', status: 502 })]
    await store.insertLedgerRows(rows)
    t.same(await store.ledgerRows({ from: 0, to: Date.UTC(2030, 0, 1) }, 10), rows)
    t.same((await store.ledgerRows({ from: 0, to: Date.UTC(2030, 0, 1), clients: ['alice'] }, 10)).map((r) => r.requestId), ['req-1'])
    t.same(await store.ledgerRows({ from: 0, to: Date.UTC(2030, 0, 1), models: [] }, 10), [])
    t.equal((await store.ledgerRows({ from: 0, to: Date.UTC(2030, 0, 1) }, 1)).length, 1)
  })

  t.test('a bounded read takes the oldest rows, or the newest when asked, and gives them in time order either way', async (t) => {
    await store.insertLedgerRows([1, 2, 3, 4].map((hour) => ledgerRow({ requestId: `h${hour}`, at: Date.UTC(2026, 11, 2, hour) })))
    const window = { from: 0, to: Date.UTC(2030, 0, 1) }
    t.same((await store.ledgerRows(window, 2)).map((r) => r.requestId), ['h1', 'h2'])
    t.same((await store.ledgerRows(window, 2, 'newest')).map((r) => r.requestId), ['h3', 'h4'])
  })

  t.test('many rows go in one call, in chunks', async (t) => {
    const rows = Array.from({ length: 450 }, (_, i) => ledgerRow({ requestId: `bulk-${i}`, at: 1000 + i, costNanoUsd: i }))
    await store.insertLedgerRows(rows)
    const totals = await store.usageTotals({ from: 0, to: 10_000 })
    t.equal(totals.requests, 450)
    t.equal(totals.costNanoUsd, (449 * 450) / 2)
  })

  t.test('totals and spend per client sum the rows; unpriced rows are counted apart', async (t) => {
    await store.insertLedgerRows([
      ledgerRow({ requestId: 'a', client: 'alice' }),
      ledgerRow({ requestId: 'b', client: 'alice', costNanoUsd: null }),
      ledgerRow({ requestId: 'c', client: 'bob', costNanoUsd: 7 }),
      ledgerRow({ requestId: 'old', client: 'bob', costNanoUsd: 1000, at: 5 })
    ])
    const alice = await store.usageTotals({ from: 100, to: Date.UTC(2030, 0, 1), clients: ['alice'] })
    t.same(alice, { requests: 2, uncachedInputTokens: 20, cacheWrite5mTokens: 4, cacheWrite1hTokens: 6, cacheReadTokens: 8, outputTokens: 10, webSearchRequests: 2, costNanoUsd: 5_000_000_123, unpricedRequests: 1 })
    const spend = await store.spendByClient(100)
    t.same([...spend.entries()].sort(), [['alice', 5_000_000_123], ['bob', 7]])
    const none = await store.usageTotals({ from: 0, to: 1, clients: ['nobody'] })
    t.equal(none.requests, 0)
    t.equal(none.costNanoUsd, 0)
  })

  t.test('each client\'s most frequent cache outcomes other than hits, at most so many per client', async (t) => {
    const rows = (client: string | null, outcome: string | null, count: number, at = Date.UTC(2026, 11, 2, 10)): LedgerRow[] =>
      Array.from({ length: count }, (_, i) => ledgerRow({ requestId: `${client}-${outcome}-${at}-${i}`, client, cacheOutcome: outcome, at }))
    const attribution = 'miss_prefix_changed; at=system[0] (Claude Code attribution block)'
    await store.insertLedgerRows([
      ...rows('alice', 'hit', 9),
      ...rows('alice', attribution, 5),
      ...rows('alice', 'first_write', 3),
      ...rows('alice', 'miss_expired', 2),
      ...rows('alice', 'not_cacheable', 1),
      ...rows('alice', null, 4),
      ...rows('bob', 'miss_key_switch', 2),
      ...rows('bob', 'first_write', 2),
      ...rows('bob', 'miss_expired', 7, 50),
      ...rows(null, 'not_cacheable', 1)
    ])
    const window = { from: 100, to: Date.UTC(2030, 0, 1) }
    const byClient = (found: Array<{ client: string | null }>): Array<{ client: string | null }> => [...found].sort((a, b) => String(a.client).localeCompare(String(b.client)))
    t.same(byClient(await store.cacheOutcomesByClient(window, 3)), [
      { client: 'alice', outcome: attribution, requests: 5 },
      { client: 'alice', outcome: 'first_write', requests: 3 },
      { client: 'alice', outcome: 'miss_expired', requests: 2 },
      { client: 'bob', outcome: 'first_write', requests: 2 },
      { client: 'bob', outcome: 'miss_key_switch', requests: 2 },
      { client: null, outcome: 'not_cacheable', requests: 1 }
    ], 'hits, rows without an outcome, the fourth reason and rows before the window are left out; a tie goes by name')
    t.same(await store.cacheOutcomesByClient({ ...window, clients: ['bob'] }, 1), [{ client: 'bob', outcome: 'first_write', requests: 2 }], 'the filter and the bound apply')
    t.same(await store.cacheOutcomesByClient({ from: 0, to: 100, clients: ['bob'] }, 3), [{ client: 'bob', outcome: 'miss_expired', requests: 7 }])
  })

  t.test('pruning deletes only older rows', async (t) => {
    await store.insertLedgerRows([ledgerRow({ requestId: 'old', at: 10 }), ledgerRow({ requestId: 'new', at: 20 })])
    t.equal(await store.pruneLedger(15), 1)
    t.same((await store.ledgerRows({ from: 0, to: 100 }, 10)).map((r) => r.requestId), ['new'])
  })

  t.test('rows and clients survive a restart', async (t) => {
    await store.putClient(client)
    await store.insertLedgerRows([ledgerRow({ requestId: 'kept' })])
    await store.close()
    store = open()
    await store.migrate()
    t.same(await store.getClient('alice'), client)
    t.same((await store.ledgerRows({ from: 0, to: Date.UTC(2030, 0, 1) }, 10)).map((r) => r.requestId), ['kept'])
  })
}

t.test('SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c2a-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  // Each subtest its own file (a fresh database); the restart test reopens the same one.
  let current = ''
  t.beforeEach(() => { current = join(dir, `db-${n++}`) })
  storeSuite(t, () => createTeamsStore({ dataDir: current, databaseUrl: undefined }))
  t.test('the file is created under DATA_DIR in WAL mode', async (t) => {
    const dataDir = join(dir, 'nested', 'data')
    const store = createTeamsStore({ dataDir, databaseUrl: undefined })
    await store.migrate()
    await store.insertLedgerRows([ledgerRow()])
    t.equal(store.kind, 'sqlite')
    const { existsSync } = await import('node:fs')
    t.ok(existsSync(join(dataDir, 'claude2api.db')))
    t.ok(existsSync(join(dataDir, 'claude2api.db-wal')))
    await store.close()
  })
})

t.test('PostgreSQL', async (t) => {
  let url = ''
  let drop = async (): Promise<void> => {}
  t.beforeEach(async () => {
    const database = await createTestDatabase('store')
    url = database.url
    drop = database.drop
  })
  t.afterEach(async () => { await drop() })
  storeSuite(t, () => createTeamsStore({ dataDir: '/nonexistent', databaseUrl: url }))
})
