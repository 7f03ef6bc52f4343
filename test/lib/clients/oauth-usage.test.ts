import { test } from 'tap'
import type { AppliedCap } from '../../../lib/clients/effective-limits.js'
import { NANO_PER_CENT } from '../../../lib/clients/limiter.js'
import { oauthUsage } from '../../../lib/clients/oauth-usage.js'

const NOW = Date.parse('2026-12-02T12:00:10.500Z')
const cap = (period: AppliedCap['period'], cents: number, fields: Partial<AppliedCap> = {}): AppliedCap => ({ period, cents, source: 'client', counter: 'c:alice', pooled: false, ...fields })
const none = { daily: 0, weekly: 0, monthly: 0 }

function spending (amounts: Map<AppliedCap, number>): (cap: AppliedCap) => number {
  return (cap) => amounts.get(cap) ?? 0
}

test('no cap: the month\'s own spend in cents, null limit and utilization, daily and weekly beside it', async (t) => {
  const usage = oauthUsage([], () => 0, { daily: 123456789, weekly: 5 * NANO_PER_CENT, monthly: 1999 * NANO_PER_CENT + 4999 }, NOW)
  t.same(usage, {
    extra_usage: { is_enabled: true, monthly_limit: null, used_credits: 1999, utilization: null, currency: 'USD' },
    limits: [],
    daily: { limit: null, used_credits: 12.35, utilization: null },
    weekly: { limit: null, used_credits: 5, utilization: null }
  })
  t.equal(oauthUsage([], () => 0, { ...none, monthly: 5000 + 100000 * 3 }, NOW).extra_usage.used_credits, 0.03, 'cents to two decimals')
  t.equal(oauthUsage([], () => 0, { ...none, monthly: 150000 }, NOW).extra_usage.used_credits, 0.02, 'half a hundredth rounds up')
})

test('capped: one limit per cap with its whole percent and reset second, and no daily or weekly objects', async (t) => {
  const daily = cap('daily', 200)
  const monthly = cap('monthly', 10000, { source: 'group', counter: 'g:backend', pooled: true })
  const usage = oauthUsage([daily, monthly], spending(new Map([[daily, 50 * NANO_PER_CENT], [monthly, 2500 * NANO_PER_CENT]])), none, NOW)
  t.same(usage, {
    extra_usage: { is_enabled: true, monthly_limit: 200, used_credits: 50, utilization: 25, currency: 'USD' },
    limits: [
      { kind: 'spend', group: 'daily', percent: 25, resets_at: '2026-12-03T00:00:00Z', severity: 'normal', is_active: true },
      { kind: 'spend', group: 'monthly', percent: 25, resets_at: '2027-01-01T00:00:00Z', severity: 'normal', is_active: true }
    ]
  }, 'equal percents: the first cap is the one reported')
  t.equal(oauthUsage([cap('weekly', 1)], () => 0, none, NOW).limits[0].resets_at, '2026-12-07T00:00:00Z', 'weeks end on Monday')
})

test('capped: extra_usage reports the cap with the highest percent', async (t) => {
  const daily = cap('daily', 1000)
  const weekly = cap('weekly', 100)
  const monthly = cap('monthly', 100000)
  const usage = oauthUsage([daily, weekly, monthly], spending(new Map([[daily, 500 * NANO_PER_CENT], [weekly, 90 * NANO_PER_CENT], [monthly, 900 * NANO_PER_CENT]])), none, NOW)
  t.same(usage.extra_usage, { is_enabled: true, monthly_limit: 100, used_credits: 90, utilization: 90, currency: 'USD' })
  t.same(usage.limits.map((limit) => limit.percent), [50, 90, 0])
})

test('percent: rounded down, 100 at most, 100 for a zero cap', async (t) => {
  const percentOf = (used: number, cents: number): number | null => {
    const only = cap('daily', cents)
    return oauthUsage([only], () => used, none, NOW).extra_usage.utilization
  }
  t.equal(percentOf(100 * NANO_PER_CENT - 1, 100), 99, 'a nano-dollar short is 99')
  t.equal(percentOf(100 * NANO_PER_CENT, 100), 100)
  t.equal(percentOf(300 * NANO_PER_CENT, 100), 100, 'never above 100')
  t.equal(percentOf(0, 100), 0)
  t.equal(percentOf(0, 0), 100, 'a zero cap is used up')
  t.equal(percentOf(1, 1), 0, 'one nano-dollar of a cent')
})
