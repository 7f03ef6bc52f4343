import { test } from 'tap'
import { centsString, costReport, type RowParts } from '../../../lib/reports/cost-report.js'
import { parseReportQuery, type ReportQuery } from '../../../lib/reports/report-query.js'
import { csvField, usageCsv } from '../../../lib/reports/usage-csv.js'
import { usageReport } from '../../../lib/reports/usage-report.js'
import type { LedgerRow } from '../../../lib/store/teams-store.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-11-20T12:00:00Z')
const START = Date.parse('2026-11-10T00:00:00Z')

function row (overrides: Partial<LedgerRow>): LedgerRow {
  return {
    at: START + 3_600_000,
    requestId: 'req',
    upstreamRequestId: null,
    client: 'alice',
    group: 'backend',
    protocol: 'chat',
    route: '/v1/chat/completions',
    requestedModel: 'claude-haiku-4-5',
    upstreamModel: 'claude-haiku-4-5',
    keyLabel: null,
    status: 200,
    errorType: null,
    uncachedInputTokens: 100,
    cacheWrite5mTokens: 10,
    cacheWrite1hTokens: 20,
    cacheReadTokens: 30,
    outputTokens: 40,
    webSearchRequests: 0,
    costNanoUsd: 123_456,
    priceVersion: 'claude-haiku-4-5@2026-12-02',
    durationMs: 5,
    ttftMs: null,
    streamed: false,
    cacheOutcome: null,
    ...overrides
  }
}

function query (raw: Record<string, string | string[]>, kind: 'usage' | 'cost' = 'usage'): ReportQuery {
  return parseReportQuery(raw, kind, NOW)
}

test('the query: defaults and bounds of Anthropic\'s reports', async (t) => {
  const daily = query({ starting_at: '2026-11-10T05:06:07Z' })
  t.equal(daily.from, START, 'the start is snapped to the bucket')
  t.equal(daily.width, '1d')
  t.equal(daily.limit, 7, '7 daily buckets by default')
  t.equal(daily.to, NOW, 'up to now without ending_at')
  t.equal(query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1h' }).limit, 24)
  t.equal(query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1m' }).limit, 60)
  t.equal(query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1h', limit: '168' }).limit, 168)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1h', limit: '169' }), /from 1 to 168/, 'above the maximum')
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', limit: '32' }), /from 1 to 31/)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', limit: '0' }), { name: 'ReportQueryError' })
  t.throws(() => query({}), /starting_at is required/)
  t.throws(() => query({ starting_at: 'yesterday' }), /RFC 3339/)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-09T00:00:00Z' }), /after starting_at/)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1w' }), /bucket_width/)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', bucket_width: '1h' }, 'cost'), /cost report must be "1d"/)
  t.same(query({ starting_at: '2026-11-10T00:00:00Z', 'group_by[]': ['model', 'api_key_id', 'model'] }).groupBy, ['model', 'api_key_id'], 'repeats collapse')
  t.same(query({ starting_at: '2026-11-10T00:00:00Z', 'group_by[]': 'workspace_id' }).groupBy, ['workspace_id'], 'a single value is a list of one')
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', 'group_by[]': 'description' }), /group_by\[\]/, 'description is a cost dimension only')
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', 'group_by[]': 'model' }, 'cost'), /group_by\[\]/, 'the cost report has no model dimension')
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', 'models[]': Array.from({ length: 101 }, (_, i) => `m${i}`) }), /at most 100/)
  t.throws(() => query({ starting_at: '2026-11-10T00:00:00Z', page: 'not-ours' }), /next_page/)
})

test('the usage report: buckets, grouping, filters and paging in Anthropic\'s shape', async (t) => {
  const rows = [
    row({}),
    row({ at: START + 2 * 3_600_000, client: 'bob', group: null, protocol: 'messages', webSearchRequests: 2 }),
    row({ at: START + DAY + 5, upstreamModel: 'claude-sonnet-4-6', outputTokens: 7 }),
    row({ at: START - 1 }),
    row({ at: START + 9 * DAY })
  ]
  const q = query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-13T00:00:00Z', limit: '2', 'group_by[]': ['api_key_id', 'model'] })
  const report = usageReport(rows, q)
  t.equal(report.data.length, 2, 'limit buckets')
  t.equal(report.has_more, true)
  t.type(report.next_page, 'string')
  t.same(report.data.map((bucket) => [bucket.starting_at, bucket.ending_at]), [['2026-11-10T00:00:00Z', '2026-11-11T00:00:00Z'], ['2026-11-11T00:00:00Z', '2026-11-12T00:00:00Z']])
  t.same(report.data[0]!.results, [
    { uncached_input_tokens: 100, cache_creation: { ephemeral_1h_input_tokens: 20, ephemeral_5m_input_tokens: 10 }, cache_read_input_tokens: 30, output_tokens: 40, server_tool_use: { web_search_requests: 0 }, api_key_id: 'alice', workspace_id: null, model: 'claude-haiku-4-5', protocol: null, service_tier: null, context_window: null },
    { uncached_input_tokens: 100, cache_creation: { ephemeral_1h_input_tokens: 20, ephemeral_5m_input_tokens: 10 }, cache_read_input_tokens: 30, output_tokens: 40, server_tool_use: { web_search_requests: 2 }, api_key_id: 'bob', workspace_id: null, model: 'claude-haiku-4-5', protocol: null, service_tier: null, context_window: null }
  ])
  t.match(report.data[1]!.results, [{ model: 'claude-sonnet-4-6', output_tokens: 7, api_key_id: 'alice' }])

  const second = usageReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-13T00:00:00Z', limit: '2', page: report.next_page! }))
  t.equal(second.data.length, 1, 'the last bucket on the next page')
  t.equal(second.data[0]!.starting_at, '2026-11-12T00:00:00Z')
  t.same(second.data[0]!.results, [], 'an empty bucket is listed with no results')
  t.equal(second.has_more, false)
  t.equal(second.next_page, null)

  const ungrouped = usageReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-11T00:00:00Z' }))
  t.match(ungrouped.data[0]!.results, [{ uncached_input_tokens: 200, output_tokens: 80, api_key_id: null, model: null }], 'one total per bucket without group_by')

  const filtered = usageReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-12T00:00:00Z', 'api_key_ids[]': 'bob', 'group_by[]': ['workspace_id', 'protocol'] }))
  t.match(filtered.data[0]!.results, [{ uncached_input_tokens: 100, workspace_id: null, protocol: 'messages' }])
  t.same(filtered.data[1]!.results, [])
  const byModel = usageReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-12T00:00:00Z', 'models[]': 'claude-sonnet-4-6' }))
  t.same(byModel.data.map((bucket) => bucket.results.length), [0, 1])
})

test('cents are exact decimal strings', async (t) => {
  t.equal(centsString(0n), '0')
  t.equal(centsString(10_000_000_000n), '1', 'one cent')
  t.equal(centsString(12_345_000_000_000n), '1234.5')
  t.equal(centsString(1n), '0.0000000001', 'one pico-dollar')
  t.equal(centsString(-25_000_000_000n), '-2.5')
})

test('the cost report: totals equal the ledger\'s, and the description split adds up to them', async (t) => {
  // Haiku 4.5's rates in pico-USD per token ($1, $5, $0.10, $1.25, $2 per million), one cent a search.
  const split = (r: LedgerRow): RowParts => ({
    uncached_input_tokens: BigInt(r.uncachedInputTokens) * 1_000_000n,
    output_tokens: BigInt(r.outputTokens) * 5_000_000n,
    cache_read_input_tokens: BigInt(r.cacheReadTokens) * 100_000n,
    'cache_creation.ephemeral_5m_input_tokens': BigInt(r.cacheWrite5mTokens) * 1_250_000n,
    'cache_creation.ephemeral_1h_input_tokens': BigInt(r.cacheWrite1hTokens) * 2_000_000n,
    web_search: BigInt(r.webSearchRequests) * 10_000_000_000n
  })
  const rows = [
    row({ costNanoUsd: 355_500 }),
    // One nano-USD more than the parts: the rounding difference lands on the largest part.
    row({ costNanoUsd: 10_355_501, client: 'bob', webSearchRequests: 1 }),
    row({ costNanoUsd: null, upstreamModel: 'claude-unknown-9' })
  ]
  const whole = costReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-11T00:00:00Z' }, 'cost'), split)
  t.same(whole.data[0]!.results, [{ amount: '1.0711001', currency: 'USD', description: null, cost_type: null, model: null, service_tier: null, token_type: null, context_window: null, workspace_id: null, api_key_id: null, protocol: null, unpriced_requests: 1 }], '10,711,001 nano-USD is 1.0711001 cents; the unpriced request is counted, not priced at zero')

  const detailed = costReport(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-11T00:00:00Z', 'group_by[]': ['description', 'api_key_id'] }, 'cost'), split)
  const results = detailed.data[0]!.results
  t.same(results.filter((result) => result.api_key_id === 'alice' && result.unpriced_requests === 0).map((result) => [result.token_type, result.amount]), [
    ['uncached_input_tokens', '0.01'],
    ['output_tokens', '0.02'],
    ['cache_read_input_tokens', '0.0003'],
    ['cache_creation.ephemeral_5m_input_tokens', '0.00125'],
    ['cache_creation.ephemeral_1h_input_tokens', '0.004']
  ], 'each token type priced exactly')
  t.match(results.find((result) => result.api_key_id === 'alice' && result.token_type === 'uncached_input_tokens'), { cost_type: 'tokens', model: 'claude-haiku-4-5', service_tier: 'standard', description: 'claude-haiku-4-5 Usage - Input Tokens', currency: 'USD' })
  t.match(results.find((result) => result.cost_type === 'web_search'), { api_key_id: 'bob', model: null, token_type: null, service_tier: null, description: 'Web Search', amount: '1.0000001' })
  t.match(results.find((result) => result.unpriced_requests > 0), { model: 'claude-unknown-9', amount: '0', token_type: null, unpriced_requests: 1 })
})

test('the CSV export: one line per bucket and group, safe in a spreadsheet', async (t) => {
  const rows = [row({}), row({ client: 'bob', upstreamModel: '=HYPERLINK("x")' })]
  const { csv, nextPage } = usageCsv(rows, query({ starting_at: '2026-11-10T00:00:00Z', ending_at: '2026-11-11T00:00:00Z', 'group_by[]': ['api_key_id', 'model'] }))
  const lines = csv.trimEnd().split('\r\n')
  t.equal(lines[0], 'starting_at,ending_at,api_key_id,workspace_id,model,protocol,requests,uncached_input_tokens,cache_creation_5m_input_tokens,cache_creation_1h_input_tokens,cache_read_input_tokens,output_tokens,web_search_requests,cost_cents,unpriced_requests')
  t.equal(lines[1], '2026-11-10T00:00:00Z,2026-11-11T00:00:00Z,alice,,claude-haiku-4-5,,1,100,10,20,30,40,0,0.0123456,0')
  t.equal(lines[2], '2026-11-10T00:00:00Z,2026-11-11T00:00:00Z,bob,,"\'=HYPERLINK(""x"")",,1,100,10,20,30,40,0,0.0123456,0', 'a formula is defused and quoted')
  t.equal(nextPage, null)
  t.equal(csvField('a,b'), '"a,b"')
  t.equal(csvField(null), '')
})
