import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTeamsStore, SQLITE_FILE_NAME } from '../../../lib/store/create-store.js'
import { numberPlaceholders, PostgresTeamsStore } from '../../../lib/store/postgres-store.js'
import { MIGRATIONS, SqlTeamsStore } from '../../../lib/store/sql-store.js'
import { SqliteTeamsStore } from '../../../lib/store/sqlite-store.js'
import { SPEND_PERIODS, type ClientRecord, type GroupRecord, type LedgerRow, type TeamsStore } from '../../../lib/store/teams-store.js'
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
function storeSuite (t: Test, open: () => TeamsStore, ledgerIndexesSql: string): void {
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

  /** A statement outside the TeamsStore interface, for what only the schema shows. */
  const query = async (sql: string): Promise<Array<Record<string, unknown>>> => await (store as unknown as { all: (sql: string) => Promise<Array<Record<string, unknown>>> }).all(sql)
  const FAR = Date.UTC(2030, 0, 1)
  const ids = (rows: LedgerRow[]): string[] => rows.map((r) => r.requestId)

  t.test('a fresh store is empty: revision 0, no organisation caps, no clients, groups, audit or rows', async (t) => {
    t.equal(await store.revision(), 0)
    t.same(await store.getOrganizationSpend(), {})
    t.same(await store.listClients(), [])
    t.same(await store.listGroups(), [])
    t.equal(await store.getGroup('backend'), undefined)
    t.same(await store.listAudit({ limit: 10 }), [])
    t.same(await store.ledgerRows({ from: 0, to: FAR }, 10), [])
    t.same(await store.usageTotals({ from: 0, to: FAR }), { requests: 0, uncachedInputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, outputTokens: 0, webSearchRequests: 0, costNanoUsd: 0, unpricedRequests: 0 })
    t.same([...(await store.spendByClient(0)).entries()], [])
  })

  t.test('migrating an up-to-date store again keeps its data and records nothing new', async (t) => {
    await store.putClient(client)
    await store.insertLedgerRows([ledgerRow()])
    await store.migrate()
    await store.migrate()
    t.same(await (store as SqlTeamsStore).appliedMigrations(), [1])
    t.same(await store.getClient('alice'), client)
    t.equal((await store.usageTotals({ from: 0, to: FAR })).requests, 1)
  })

  t.test('the ledger is indexed by time, and by client then time', async (t) => {
    t.same((await query(ledgerIndexesSql)).map((row) => row.name), ['ledger_at', 'ledger_client_at'])
  })

  t.test('clients and groups are listed by name; deleting a missing one changes nothing', async (t) => {
    await store.putClient({ ...client, name: 'zoe' })
    await store.putClient({ ...client, name: 'bob' })
    await store.putClient(client)
    await store.putGroup({ ...group, name: 'ops' })
    await store.putGroup(group)
    t.same((await store.listClients()).map((c) => c.name), ['alice', 'bob', 'zoe'])
    t.same((await store.listGroups()).map((g) => g.name), ['backend', 'ops'])
    t.same(await store.listGroups(), [group, { ...group, name: 'ops' }])
    const revision = await store.revision()
    t.equal(await store.deleteGroup('nobody'), false)
    t.equal(await store.revision(), revision)
    await store.putGroup({ ...group, limits: { rpm: 1 } })
    t.same((await store.getGroup('backend'))?.limits, { rpm: 1 }, 'a second put replaces the group')
  })

  t.test('organisation caps are replaced whole', async (t) => {
    await store.putOrganizationSpend({ daily: 100 })
    await store.putOrganizationSpend({ monthly: 2000 })
    t.same(await store.getOrganizationSpend(), { monthly: 2000 })
    t.equal(await store.revision(), 2)
  })

  t.test('audit entries keep every field; the limit is a whole number, never negative', async (t) => {
    for (let i = 0; i < 4; i++) await store.appendAudit({ at: `2026-12-02T00:00:0${i}.000Z`, actor: `admin#${i}`, action: `client.update.${i}`, target: `c${i}`, detail: { i, nested: { ok: true } } })
    const [newest] = await store.listAudit({ limit: 1 })
    t.same({ ...newest, id: undefined }, { id: undefined, at: '2026-12-02T00:00:03.000Z', actor: 'admin#3', action: 'client.update.3', target: 'c3', detail: { i: 3, nested: { ok: true } } })
    t.equal(typeof newest.id, 'number')
    t.same((await store.listAudit({ limit: 2.9 })).map((e) => e.target), ['c3', 'c2'], 'a fractional limit is rounded down')
    t.same(await store.listAudit({ limit: 0 }), [])
    t.same(await store.listAudit({ limit: -1 }), [], 'a negative limit is no rows, not all of them')
    t.same(await store.listAudit({ limit: 10, beforeId: (await store.listAudit({ limit: 4 }))[3].id }), [], 'nothing before the oldest')
  })

  t.test('a time range includes its start and excludes its end', async (t) => {
    await store.insertLedgerRows([ledgerRow({ requestId: 'before', at: 99 }), ledgerRow({ requestId: 'start', at: 100 }), ledgerRow({ requestId: 'last', at: 199 }), ledgerRow({ requestId: 'end', at: 200 })])
    t.same(ids(await store.ledgerRows({ from: 100, to: 200 }, 10)), ['start', 'last'])
    t.equal((await store.usageTotals({ from: 100, to: 200 })).requests, 2)
    t.same(ids(await store.ledgerRows({ from: 100, to: 100 }, 10)), [], 'an empty range')
  })

  t.test('client, group and model filters each narrow the rows, and combine', async (t) => {
    await store.insertLedgerRows([
      ledgerRow({ requestId: 'a1', client: 'alice', group: 'backend', upstreamModel: 'm1' }),
      ledgerRow({ requestId: 'a2', client: 'alice', group: 'backend', upstreamModel: 'm2' }),
      ledgerRow({ requestId: 'b1', client: 'bob', group: 'backend', upstreamModel: 'm1' }),
      ledgerRow({ requestId: 'c1', client: 'carol', group: 'frontend', upstreamModel: 'm1' }),
      ledgerRow({ requestId: 'n1', client: null, group: null, upstreamModel: null })
    ])
    const rows = async (filter: { clients?: string[], groups?: string[], models?: string[] }): Promise<string[]> => ids(await store.ledgerRows({ from: 0, to: FAR, ...filter }, 100))
    t.same(await rows({}), ['a1', 'a2', 'b1', 'c1', 'n1'])
    t.same(await rows({ clients: ['alice', 'carol'] }), ['a1', 'a2', 'c1'])
    t.same(await rows({ groups: ['backend'] }), ['a1', 'a2', 'b1'])
    t.same(await rows({ groups: ['frontend', 'ops'] }), ['c1'])
    t.same(await rows({ models: ['m1'] }), ['a1', 'b1', 'c1'])
    t.same(await rows({ clients: ['alice', 'carol'], groups: ['backend', 'frontend'], models: ['m1'] }), ['a1', 'c1'], 'all three at once, each with its own values')
    t.same(await rows({ clients: ['bob'], groups: ['frontend'] }), [], 'filters are all required, not any')
    t.same(await rows({ clients: [] }), [], 'an empty client list selects nothing')
    t.same(await rows({ groups: [] }), [], 'an empty group list selects nothing')
    t.same((await store.usageTotals({ from: 0, to: FAR, groups: ['backend'], models: ['m1'] })).requests, 2)
  })

  t.test('rows come in time order, ties in the order written; the limit is a whole number, never negative', async (t) => {
    await store.insertLedgerRows([ledgerRow({ requestId: 'late', at: 300 }), ledgerRow({ requestId: 'tie-1', at: 200 }), ledgerRow({ requestId: 'early', at: 100 })])
    await store.insertLedgerRows([ledgerRow({ requestId: 'tie-2', at: 200 })])
    t.same(ids(await store.ledgerRows({ from: 0, to: FAR }, 10)), ['early', 'tie-1', 'tie-2', 'late'])
    t.same(ids(await store.ledgerRows({ from: 0, to: FAR }, 2.9)), ['early', 'tie-1'])
    t.same(ids(await store.ledgerRows({ from: 0, to: FAR }, 2, 'newest')), ['tie-2', 'late'], 'the newest of tied rows is the last written')
    t.same(await store.ledgerRows({ from: 0, to: FAR }, -1, 'newest'), [])
    t.same(await store.ledgerRows({ from: 0, to: FAR }, 0), [])
    t.same(await store.ledgerRows({ from: 0, to: FAR }, -5), [], 'a negative limit is no rows, not all of them')
  })

  t.test('the first rows of many written at one instant are the first written', async (t) => {
    await store.insertLedgerRows(Array.from({ length: 60 }, (_, i) => ledgerRow({ requestId: `same-${i}`, at: 500 })))
    t.same(ids(await store.ledgerRows({ from: 0, to: FAR }, 7)), Array.from({ length: 7 }, (_, i) => `same-${i}`))
  })

  t.test('durations are kept in whole milliseconds', async (t) => {
    await store.insertLedgerRows([ledgerRow({ requestId: 'up', durationMs: 12.6, ttftMs: 3.4 }), ledgerRow({ requestId: 'down', durationMs: 12.4, ttftMs: 3.5 })])
    t.same((await store.ledgerRows({ from: 0, to: FAR }, 10)).map((r) => [r.durationMs, r.ttftMs]), [[13, 3], [12, 4]])
  })

  t.test('totals keep each column apart', async (t) => {
    await store.insertLedgerRows([
      ledgerRow({ requestId: 'x', uncachedInputTokens: 1, cacheWrite5mTokens: 2, cacheWrite1hTokens: 4, cacheReadTokens: 8, outputTokens: 16, webSearchRequests: 32, costNanoUsd: 64 }),
      ledgerRow({ requestId: 'y', uncachedInputTokens: 100, cacheWrite5mTokens: 200, cacheWrite1hTokens: 400, cacheReadTokens: 800, outputTokens: 1600, webSearchRequests: 3200, costNanoUsd: 6400 }),
      ledgerRow({ requestId: 'z', costNanoUsd: null }),
      ledgerRow({ requestId: 'w', costNanoUsd: null })
    ])
    const totals = await store.usageTotals({ from: 0, to: FAR, clients: ['alice'] })
    t.same(totals, { requests: 4, uncachedInputTokens: 121, cacheWrite5mTokens: 206, cacheWrite1hTokens: 410, cacheReadTokens: 816, outputTokens: 1626, webSearchRequests: 3234, costNanoUsd: 6464, unpricedRequests: 2 })
  })

  t.test("spend per client counts from its start inclusive, skips rows of no client, and sums each client's rows", async (t) => {
    await store.insertLedgerRows([
      ledgerRow({ requestId: 'before', client: 'alice', at: 99, costNanoUsd: 1 }),
      ledgerRow({ requestId: 'at', client: 'alice', at: 100, costNanoUsd: 10 }),
      ledgerRow({ requestId: 'after', client: 'alice', at: 101, costNanoUsd: 100 }),
      ledgerRow({ requestId: 'unpriced', client: 'alice', at: 102, costNanoUsd: null }),
      ledgerRow({ requestId: 'bob', client: 'bob', at: 150, costNanoUsd: 1000 }),
      ledgerRow({ requestId: 'free', client: 'free', at: 150, costNanoUsd: null }),
      ledgerRow({ requestId: 'anonymous', client: null, at: 150, costNanoUsd: 5 })
    ])
    t.same([...(await store.spendByClient(100)).entries()].sort(), [['alice', 110], ['bob', 1000], ['free', 0]])
  })

  t.test('pruning keeps the row at the cut-off itself', async (t) => {
    await store.insertLedgerRows([ledgerRow({ requestId: 'old', at: 14 }), ledgerRow({ requestId: 'edge', at: 15 }), ledgerRow({ requestId: 'new', at: 16 })])
    t.equal(await store.pruneLedger(15), 1)
    t.equal(await store.pruneLedger(15), 0)
    t.same(ids(await store.ledgerRows({ from: 0, to: 100 }, 10)), ['edge', 'new'])
  })

  t.test('a batch of exactly one or two full chunks goes in whole', async (t) => {
    await store.insertLedgerRows(Array.from({ length: 200 }, (_, i) => ledgerRow({ requestId: `one-${i}`, at: 1000 + i })))
    await store.insertLedgerRows(Array.from({ length: 400 }, (_, i) => ledgerRow({ requestId: `two-${i}`, at: 2000 + i })))
    t.equal((await store.usageTotals({ from: 0, to: 10_000 })).requests, 600)
    t.same(ids(await store.ledgerRows({ from: 2399, to: 2400 }, 10)), ['two-399'])
  })

  t.test('a batch is written whole or not at all, and the store works on after a refused one', async (t) => {
    // The 221st row breaks a NOT NULL column: the first chunk of 200 must not stay behind.
    const rows = Array.from({ length: 250 }, (_, i) => ledgerRow({ requestId: `bad-${i}`, at: 1000 + i, route: i === 220 ? (null as unknown as string) : '/v1/messages' }))
    await t.rejects(store.insertLedgerRows(rows))
    t.equal((await store.usageTotals({ from: 0, to: FAR })).requests, 0)
    await store.insertLedgerRows([ledgerRow({ requestId: 'after' })])
    t.same(ids(await store.ledgerRows({ from: 0, to: FAR }, 10)), ['after'])
  })

  t.test("a refused batch is never seen half written, nor takes other writers' changes down with it", async (t) => {
    const rows = Array.from({ length: 250 }, (_, i) => ledgerRow({ requestId: `bad-${i}`, at: 1000 + i, route: i === 220 ? (null as unknown as string) : '/v1/messages' }))
    const refused = store.insertLedgerRows(rows)
    const audits: Array<Promise<void>> = []
    const reads: Array<Promise<number>> = []
    // Writes and reads arriving turn after turn, while the batch's transaction is open.
    for (let i = 0; i < 30; i++) {
      audits.push(store.appendAudit({ at: '2026-12-02T00:00:00.000Z', actor: 'admin', action: 'x', target: `t${i}`, detail: {} }))
      reads.push(store.usageTotals({ from: 0, to: FAR }).then((totals) => totals.requests))
      await Promise.resolve()
    }
    await t.rejects(refused)
    await Promise.all(audits)
    t.same(new Set(await Promise.all(reads)), new Set([0]), 'every read saw no row of the batch')
    t.equal((await store.listAudit({ limit: 100 })).length, 30)
    t.equal((await store.usageTotals({ from: 0, to: FAR })).requests, 0)
  })

  t.test('writes started together all land, each change counted', async (t) => {
    await Promise.all([
      ...['a', 'b', 'c', 'd'].map(async (name) => { await store.putClient({ ...client, name }) }),
      ...[1, 2, 3].map(async (n) => { await store.insertLedgerRows([ledgerRow({ requestId: `p${n}a` }), ledgerRow({ requestId: `p${n}b` })]) }),
      store.appendAudit({ at: '2026-12-02T00:00:00.000Z', actor: 'admin', action: 'x', target: 'y', detail: {} }),
      store.putOrganizationSpend({ daily: 1 })
    ])
    t.equal((await store.listClients()).length, 4)
    t.equal((await store.usageTotals({ from: 0, to: FAR })).requests, 6)
    t.equal(await store.revision(), 5)
  })

  t.test('a closed store lets its connection go and refuses queries; closing twice is harmless', async (t) => {
    await store.close()
    await t.rejects(store.listClients(), 'the connection is gone')
    await store.close()
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
  storeSuite(t, () => createTeamsStore({ dataDir: current, databaseUrl: undefined }), "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger' AND name NOT LIKE 'sqlite_%' ORDER BY name")
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
  t.test('an empty DATABASE_URL means SQLite', async (t) => {
    const store = createTeamsStore({ dataDir: join(dir, 'empty-url'), databaseUrl: '' })
    t.equal(store.kind, 'sqlite')
    t.equal(SQLITE_FILE_NAME, 'claude2api.db')
    await store.close()
  })
  t.test('an in-memory database needs no directory', async (t) => {
    const store = new SqliteTeamsStore(':memory:')
    await store.migrate()
    t.same(await store.appliedMigrations(), [1])
    await store.close()
  })
})

/** Drops everything the store created: as good as a new database, and far quicker to get. */
async function emptySchema (url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
  } finally {
    await admin.end()
  }
}

t.test('PostgreSQL', async (t) => {
  const database = await createTestDatabase('store')
  const url = database.url
  t.teardown(async () => { await database.drop() })
  t.beforeEach(async () => { await emptySchema(url) })
  storeSuite(t, () => createTeamsStore({ dataDir: '/nonexistent', databaseUrl: url }), "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'ledger' AND indexname <> 'ledger_pkey' ORDER BY indexname")
})

t.test('PostgreSQL replicas', async (t) => {
  const database = await createTestDatabase('replicas')
  const url = database.url
  t.teardown(async () => { await database.drop() })
  t.beforeEach(async () => { await emptySchema(url) })

  t.test('a DATABASE_URL means PostgreSQL', async (t) => {
    const store = createTeamsStore({ dataDir: '/nonexistent', databaseUrl: url })
    t.equal(store.kind, 'postgres')
    await store.close()
  })

  t.test('replicas starting together migrate one at a time, each migration once', async (t) => {
    const replicas = Array.from({ length: 4 }, () => new PostgresTeamsStore(url))
    t.teardown(async () => { for (const replica of replicas) await replica.close() })
    // Each already connected (the query fails: no tables yet), so the migrations do reach the server together.
    await Promise.all(replicas.map(async (replica) => await replica.revision().catch(() => 0)))
    await Promise.all(replicas.map(async (replica) => { await replica.migrate() }))
    t.same(await replicas[0].appliedMigrations(), [1])
  })

  t.test('a pooled connection the server drops does not crash the process; the next query reconnects', async (t) => {
    const store = new PostgresTeamsStore(url)
    t.teardown(async () => { await store.close() })
    await store.migrate()
    const pool = (store as unknown as { pool: pg.Pool }).pool
    t.ok(pool.idleCount > 0, 'an idle connection is kept')
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    await admin.end()
    for (let i = 0; i < 200 && pool.totalCount > 0; i++) await sleep(10)
    t.equal(pool.totalCount, 0, 'the dropped connection left the pool')
    t.equal(await store.revision(), 0)
  })
})

t.test('statements are numbered for PostgreSQL from $1, in order', async (t) => {
  t.equal(numberPlaceholders('SELECT ? , ? FROM t WHERE a IN (?)'), 'SELECT $1 , $2 FROM t WHERE a IN ($3)')
  t.equal(numberPlaceholders('SELECT 1'), 'SELECT 1')
})

t.test('the spend periods are daily, weekly and monthly, in that order', async (t) => {
  t.same(SPEND_PERIODS, ['daily', 'weekly', 'monthly'])
})
