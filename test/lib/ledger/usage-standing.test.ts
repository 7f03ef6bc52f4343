import t from 'tap'
import { NANO_USD_PER_CENT } from '../../../lib/ledger/money.js'
import { usageStanding, type StandingCap } from '../../../lib/ledger/usage-standing.js'
import { SqliteTeamsStore } from '../../../lib/store/sqlite-store.js'
import type { LedgerRow } from '../../../lib/store/teams-store.js'

const HOUR = 3_600_000
/** Wednesday 2 December 2026, 10:00 UTC: the week began on Monday 30 November, in the month before. */
const NOW = Date.UTC(2026, 11, 2, 10)
const DAY_START = Date.UTC(2026, 11, 2)
const WEEK_START = Date.UTC(2026, 10, 30)
const MONTH_START = Date.UTC(2026, 11, 1)

let sequence = 0
function row (at: number, cents: number | null, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    at, requestId: `r${sequence++}`, upstreamRequestId: null, client: 'alice', group: 'backend', protocol: 'messages', route: '/v1/messages',
    requestedModel: 'm', upstreamModel: 'm', keyLabel: null, status: 200, errorType: null,
    uncachedInputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, outputTokens: 0, webSearchRequests: 0,
    costNanoUsd: cents === null ? null : cents * NANO_USD_PER_CENT, priceVersion: null, durationMs: 1, ttftMs: null, streamed: false, cacheOutcome: null,
    ...overrides
  }
}

async function ledger (rows: LedgerRow[]): Promise<SqliteTeamsStore> {
  const store = new SqliteTeamsStore(':memory:')
  await store.migrate()
  await store.insertLedgerRows(rows)
  return store
}

/** Alice's rows at each period's edges, with costs in distinct powers of two (cents) so any sum shows which rows it took. */
const EDGE_ROWS = [
  row(DAY_START, 1),
  row(DAY_START - 1, 2),
  row(WEEK_START, 4),
  row(WEEK_START - 1, 8),
  row(MONTH_START, 16),
  row(MONTH_START - 1, 32),
  row(DAY_START + 24 * HOUR, 64),
  row(WEEK_START + 7 * 24 * HOUR, 128),
  row(Date.UTC(2027, 0, 1), 256)
]

t.test('each period counts from its UTC start, inclusive, to its reset, exclusive', async (t) => {
  const store = await ledger(EDGE_ROWS)
  t.teardown(async () => { await store.close() })
  const standing = await usageStanding(store, 'alice', 'backend', [], NOW)
  t.same([standing.daily.starts_at, standing.daily.resets_at], ['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z'])
  t.same([standing.weekly.starts_at, standing.weekly.resets_at], ['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z'])
  t.same([standing.monthly.starts_at, standing.monthly.resets_at], ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'])
  t.equal(standing.daily.cost_cents, '1', 'today: only the row at midnight')
  t.equal(standing.weekly.cost_cents, String(1 + 2 + 4 + 16 + 32 + 64), 'this week: Monday midnight up to the next Monday')
  t.equal(standing.monthly.cost_cents, String(1 + 2 + 16 + 64 + 128), 'this month: the 1st up to the 1st of January')
  t.same([standing.daily.requests, standing.weekly.requests, standing.monthly.requests], [1, 6, 5])
  t.same([standing.object, standing.client, standing.group], ['usage', 'alice', 'backend'])
})

t.test('at the exact instant a period resets, the new one is empty', async (t) => {
  const store = await ledger([row(MONTH_START - 1, 1), row(MONTH_START, 2)])
  t.teardown(async () => { await store.close() })
  const before = await usageStanding(store, 'alice', null, [], MONTH_START - 1)
  t.same([before.daily.cost_cents, before.monthly.cost_cents, before.monthly.resets_at], ['1', '1', '2026-12-01T00:00:00.000Z'])
  const at = await usageStanding(store, 'alice', null, [], MONTH_START)
  t.same([at.daily.cost_cents, at.monthly.cost_cents, at.monthly.starts_at], ['2', '2', '2026-12-01T00:00:00.000Z'])
})

t.test("a client's standing counts its own rows only, every token kind in its place", async (t) => {
  const store = await ledger([
    row(DAY_START + HOUR, 3, { uncachedInputTokens: 1, cacheWrite5mTokens: 2, cacheWrite1hTokens: 3, cacheReadTokens: 4, outputTokens: 5, webSearchRequests: 6 }),
    row(DAY_START + 2 * HOUR, null, { uncachedInputTokens: 10, cacheWrite5mTokens: 20, cacheWrite1hTokens: 30, cacheReadTokens: 40, outputTokens: 50, webSearchRequests: 60 }),
    row(DAY_START + HOUR, 1000, { client: 'bob', uncachedInputTokens: 1000 })
  ])
  t.teardown(async () => { await store.close() })
  const { daily } = await usageStanding(store, 'alice', 'backend', [], NOW)
  t.same(daily, {
    starts_at: '2026-12-02T00:00:00.000Z',
    resets_at: '2026-12-03T00:00:00.000Z',
    requests: 2,
    tokens: { uncached_input: 11, cache_write_5m: 22, cache_write_1h: 33, cache_read: 44, output: 55 },
    web_search_requests: 66,
    cost_cents: '3',
    unpriced_requests: 1,
    cap: null
  })
})

t.test("each period's cap shows what was spent against it and what is left, never below zero", async (t) => {
  const store = await ledger([...EDGE_ROWS, row(DAY_START, 1000, { client: 'bob' }), row(DAY_START, 5000, { client: 'carol', group: 'frontend' })])
  t.teardown(async () => { await store.close() })
  const caps: StandingCap[] = [
    { period: 'daily', cents: 5, pooled: false, group: 'backend' },
    { period: 'weekly', cents: 2000, pooled: true, group: 'backend' },
    { period: 'monthly', cents: 300, pooled: true, group: null }
  ]
  const standing = await usageStanding(store, 'alice', 'backend', caps, NOW)
  t.same(standing.daily.cap, { amount_cents: '5', spent_cents: '1', remaining_cents: '4', pooled: false }, "a member's own cap counts only its own spend")
  t.same(standing.weekly.cap, { amount_cents: '2000', spent_cents: '1119', remaining_cents: '881', pooled: true }, "a pooled cap counts the whole group's spend, no other group's")
  t.same(standing.monthly.cap, { amount_cents: '300', spent_cents: '211', remaining_cents: '89', pooled: true }, 'a pooled cap without a group counts the own spend')
  t.equal(standing.weekly.cost_cents, '119', "the client's own figures stay its own under a pooled cap")
  const over = await usageStanding(store, 'alice', 'backend', [{ period: 'daily', cents: 0, pooled: true, group: 'backend' }], NOW)
  t.same(over.daily.cap, { amount_cents: '0', spent_cents: '1001', remaining_cents: '0', pooled: true })
  t.same([over.weekly.cap, over.monthly.cap], [null, null], 'uncapped periods have no cap')
})

t.test('a fraction of a cent left is shown exactly', async (t) => {
  const store = await ledger([row(DAY_START, null, { costNanoUsd: 12_345_678 })])
  t.teardown(async () => { await store.close() })
  const { daily } = await usageStanding(store, 'alice', null, [{ period: 'daily', cents: 2, pooled: false, group: null }], NOW)
  t.same(daily.cap, { amount_cents: '2', spent_cents: '1.2345678', remaining_cents: '0.7654322', pooled: false })
  t.equal(daily.cost_cents, '1.2345678')
})
