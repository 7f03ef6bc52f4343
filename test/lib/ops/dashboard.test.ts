import { test } from 'tap'
import { dashboardData, dollars, quantile, renderDashboard } from '../../../lib/ops/dashboard.js'
import type { LedgerRow } from '../../../lib/store/teams-store.js'

const NOW = Date.parse('2026-11-20T12:30:00Z')
const DAY = 86_400_000

function row (overrides: Partial<LedgerRow>): LedgerRow {
  return {
    at: NOW - 60_000, requestId: 'r', upstreamRequestId: null, client: 'alice', group: null, protocol: 'chat', route: '/v1/chat/completions',
    requestedModel: 'claude-haiku-4-5', upstreamModel: 'claude-haiku-4-5', keyLabel: null, status: 200, errorType: null,
    uncachedInputTokens: 10, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 30, outputTokens: 5, webSearchRequests: 0,
    costNanoUsd: 50_000_000, priceVersion: null, durationMs: 100, ttftMs: 40, streamed: true, cacheOutcome: null, ...overrides
  }
}

test('quantiles by nearest rank', async (t) => {
  t.equal(quantile([], 0.5), null)
  t.equal(quantile([3, 1, 2], 0.5), 2)
  t.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 0.95), 19)
  t.equal(dollars(12_345_678_901), '$12.35')
})

test('the dashboard\'s figures: spend per day and client, standing against caps, cache share, hourly traffic, latency', async (t) => {
  const rows = [
    row({}),
    row({ client: 'bob', upstreamModel: 'claude-sonnet-4-6', costNanoUsd: 20_000_000, cacheReadTokens: 0, status: 502, errorType: 'api_error', durationMs: 300, ttftMs: null }),
    row({ at: NOW - 3 * DAY, costNanoUsd: 70_000_000 }),
    row({ at: NOW - 40 * DAY, costNanoUsd: 999 }),
    row({ at: NOW - 2 * 3_600_000, costNanoUsd: null })
  ]
  const data = dashboardData(rows, NOW, (client) => (client === 'alice' ? { daily: 10, monthly: null } : { daily: null, monthly: 500 }), false, [])
  t.equal(data.days.length, 30)
  t.equal(data.days.at(-1)!.byClient.get('alice'), 50_000_000, 'today\'s spend, an unpriced row adding nothing')
  t.equal(data.days.at(-4)!.byClient.get('alice'), 70_000_000)
  t.equal(data.days.at(-1)!.byModel.get('claude-sonnet-4-6'), 20_000_000)
  t.same(data.clients.map((client) => [client.name, client.todayNano, client.monthNano]), [['alice', 50_000_000, 120_000_000], ['bob', 20_000_000, 20_000_000]], 'the row older than 30 days is left out')
  t.equal(data.clients[0]!.cacheReadShare, 90 / 120)
  t.equal(data.clients[1]!.cacheReadShare, 0)
  t.equal(data.hours.reduce((sum, hour) => sum + hour.requests, 0), 3)
  t.equal(data.hours.at(-1)!.errors, 1)
  t.same(data.latencyMs, { p50: 100, p95: 300 })
  t.same(data.firstTokenMs, { p50: 40, p95: 40 })

  const html = renderDashboard(data)
  t.match(html, /<svg viewBox="0 0 600 160"/, 'inline SVG charts')
  t.notMatch(html, /<script/i, 'no script in the fragment')
  t.match(html, /data-client="alice"><td>alice<\/td><td>\$0\.05 of \$0\.10/, 'today against the daily cap')
  t.match(html, /data-client="bob"><td>bob<\/td><td>\$0\.02 <span class="muted">\(no cap\)/)
  t.match(html, /<td id="error-rate-24h">33\.3 %<\/td>/)
  t.match(html, /data-series="alice" data-day="2026-11-20" data-nano="50000000"/)
  t.match(html, /<tbody id="cache-misses"><tr><td colspan="3">no outcome other than a hit<\/td><\/tr><\/tbody>/)
})

test('each client\'s most frequent cache outcomes other than a hit stand next to its cache-read share', async (t) => {
  const attribution = 'miss_prefix_changed; at=system[0] (Claude Code attribution block)'
  const outcomes = [
    { client: 'bob', outcome: 'not_cacheable', requests: 2 },
    { client: 'alice', outcome: 'first_write', requests: 3 },
    { client: 'alice', outcome: attribution, requests: 12 },
    { client: null, outcome: 'miss_expired', requests: 1 }
  ]
  const data = dashboardData([row({}), row({ client: 'bob', cacheReadTokens: 0 })], NOW, () => ({ daily: null, monthly: null }), false, outcomes)
  t.same(data.cacheMisses, [
    { name: '(unnamed keys)', cacheReadShare: null, reasons: [{ outcome: 'miss_expired', requests: 1 }] },
    { name: 'alice', cacheReadShare: 30 / 40, reasons: [{ outcome: attribution, requests: 12 }, { outcome: 'first_write', requests: 3 }] },
    { name: 'bob', cacheReadShare: 0, reasons: [{ outcome: 'not_cacheable', requests: 2 }] }
  ], 'by client name, the most frequent reason first, the share from the same days\' rows')
  const html = renderDashboard(data)
  t.match(html, '<tr data-client="alice"><td>alice</td><td>75 %</td><td><ul class="reasons"><li data-outcome="miss_prefix_changed; at=system[0] (Claude Code attribution block)" data-requests="12">miss_prefix_changed at system[0] (Claude Code attribution block) ×12</li><li data-outcome="first_write" data-requests="3">first_write ×3</li></ul></td></tr>')
  t.match(html, '<tr data-client="bob"><td>bob</td><td>0 %</td><td><ul class="reasons"><li data-outcome="not_cacheable" data-requests="2">not_cacheable ×2</li></ul></td></tr>')
  t.match(html, '<tr data-client="(unnamed keys)"><td>(unnamed keys)</td><td>–</td>')
})

test('names are escaped in the dashboard', async (t) => {
  const html = renderDashboard(dashboardData([row({ upstreamModel: '<img src=x onerror=alert(1)>' })], NOW, () => ({ daily: null, monthly: null }), true, [{ client: '<b>eve</b>', outcome: 'miss_prefix_changed; at=<img>', requests: 1 }]))
  t.notMatch(html, /<img/)
  t.notMatch(html, /<b>eve/)
  t.match(html, /&lt;img/)
  t.match(html, /newest 1 ledger rows/)
})
