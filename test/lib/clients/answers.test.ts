import { test } from 'tap'
import { openAiRateHeaders, rateRefusalMessage, retryAfterSeconds, spendRefusalHeaders, spendRefusalMessage, tightestSpend, unifiedUsageHeaders, utilization, withoutUpstreamRateLimits } from '../../../lib/clients/answers.js'
import type { AppliedCap, AppliedRate } from '../../../lib/clients/effective-limits.js'
import { NANO_PER_CENT, type RateStanding, type SpendStanding } from '../../../lib/clients/limiter.js'

const reset = Date.parse('2026-12-03T00:00:00Z')
const standing = (usedCents: number, pooled = false): SpendStanding => ({ cap: { period: 'daily', cents: 100, source: pooled ? 'group' : 'client', counter: pooled ? 'g:backend' : 'c:alice', pooled }, usedNano: usedCents * NANO_PER_CENT, resetAt: reset })

test('usage headers: allowed below 75 %, allowed_warning with the threshold passed above it', async (t) => {
  const below = unifiedUsageHeaders([standing(50)])
  t.equal(below['anthropic-ratelimit-unified-status'], 'allowed')
  t.equal(below['anthropic-ratelimit-unified-overage-utilization'], '0.50')
  t.equal(below['anthropic-ratelimit-unified-overage-surpassed-threshold'], undefined)
  t.equal(below['anthropic-ratelimit-unified-reset'], String(reset / 1000))
  const warned = unifiedUsageHeaders([standing(80)])
  t.same([warned['anthropic-ratelimit-unified-status'], warned['anthropic-ratelimit-unified-overage-status'], warned['anthropic-ratelimit-unified-representative-claim'], warned['anthropic-ratelimit-unified-overage-surpassed-threshold']], ['allowed_warning', 'allowed_warning', 'overage', '0.75'])
  t.equal(unifiedUsageHeaders([standing(96)])['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.95')
  t.equal(unifiedUsageHeaders([standing(99.9)])['anthropic-ratelimit-unified-overage-utilization'], '0.99', 'below 1 while allowed')
  t.same(unifiedUsageHeaders([]), {}, 'no cap, no headers')
})

test('the refusal: the contract\'s headers without representative-claim or overage-status, and one sentence', async (t) => {
  const headers = spendRefusalHeaders(standing(100), reset - 3600000)
  t.same(headers, {
    'x-should-retry': 'false',
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(reset / 1000),
    'anthropic-ratelimit-unified-overage-reset': String(reset / 1000),
    'anthropic-ratelimit-unified-overage-utilization': '1',
    'anthropic-ratelimit-unified-overage-surpassed-threshold': '1',
    'anthropic-ratelimit-unified-overage-period': 'daily',
    'anthropic-ratelimit-unified-overage-disabled-reason': 'org_spend_cap_reached'
  })
  t.equal(spendRefusalHeaders(standing(100, true), reset)['anthropic-ratelimit-unified-overage-scope'], 'group_pool')
  t.equal(spendRefusalMessage(standing(100), 'alice', null), "You have reached the daily spend cap of $1.00 for client 'alice'; it resets at 2026-12-03T00:00:00Z, so wait until then or ask your gateway administrator to raise the cap.")
})

test('OpenAI rate headers name the tightest limit; upstream anthropic-ratelimit headers are dropped', async (t) => {
  const now = Date.parse('2026-12-02T12:00:30Z')
  const resetAt = Date.parse('2026-12-02T12:01:00Z')
  const headers = openAiRateHeaders([
    { rate: { kind: 'rpm', limit: 10, counter: 'c:alice', scope: 'client' }, value: 3, resetAt },
    { rate: { kind: 'rpm', limit: 100, counter: 'g:backend', scope: 'group' }, value: 98, resetAt },
    { rate: { kind: 'output_tpm', limit: 1000, counter: 'c:alice', scope: 'client' }, value: 400, resetAt }
  ], now)
  t.same(headers, { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '30s', 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '600', 'x-ratelimit-reset-tokens': '30s' })
  t.same(withoutUpstreamRateLimits({ 'request-id': 'r', 'anthropic-ratelimit-tokens-remaining': '5' }), { 'request-id': 'r' })
})

const spendOf = (usedNano: number, cap: Partial<AppliedCap> = {}, resetAt = reset): SpendStanding => ({ cap: { period: 'daily', cents: 100, source: 'client', counter: 'c:alice', pooled: false, ...cap }, usedNano, resetAt })
const rateOf = (kind: AppliedRate['kind'], limit: number, value: number, scope: AppliedRate['scope'] = 'client', resetAt = reset): RateStanding => ({ rate: { kind, limit, counter: scope === 'client' ? 'c:alice' : 'g:backend', scope }, value, resetAt })

test('utilization: used over cap in hundredths, rounded down, at most 1; a zero cap is fully used', async (t) => {
  t.equal(utilization(spendOf(0)), 0)
  t.equal(utilization(spendOf(50 * NANO_PER_CENT)), 0.5)
  t.equal(utilization(spendOf(100 * NANO_PER_CENT - 1)), 0.99, 'a nano-dollar short of the cap is not 1')
  t.equal(utilization(spendOf(100 * NANO_PER_CENT)), 1)
  t.equal(utilization(spendOf(250 * NANO_PER_CENT)), 1, 'over the cap reads 1')
  t.equal(utilization(spendOf(7499999, { cents: 1 })), 0.74, '0.7499999 rounds down')
  t.equal(utilization(spendOf(0, { cents: 0 })), 1)
})

test('the tightest spend is the one nearest its cap by share, the first of equals', async (t) => {
  const half = spendOf(500 * NANO_PER_CENT, { cents: 1000, period: 'monthly' })
  const most = spendOf(80 * NANO_PER_CENT, { cents: 100, period: 'daily' })
  const least = spendOf(10 * NANO_PER_CENT, { cents: 100, period: 'weekly' })
  t.equal(tightestSpend([half, most, least]), most, 'a share, not an amount')
  t.equal(tightestSpend([least, half]), half)
  const same = spendOf(50 * NANO_PER_CENT, { cents: 100, period: 'weekly' })
  const sameToo = spendOf(50 * NANO_PER_CENT, { cents: 100, period: 'monthly' })
  t.equal(tightestSpend([same, sameToo]), same, 'a tie keeps the first')
  t.equal(tightestSpend([]), undefined)
})

test('usage headers: exactly the contract\'s set for an allowed request', async (t) => {
  t.same(unifiedUsageHeaders([spendOf(10 * NANO_PER_CENT, {}, Date.parse('2026-12-03T00:00:00.200Z'))]), {
    'anthropic-ratelimit-unified-status': 'allowed',
    'anthropic-ratelimit-unified-representative-claim': 'overage',
    'anthropic-ratelimit-unified-overage-status': 'allowed',
    'anthropic-ratelimit-unified-overage-utilization': '0.10',
    'anthropic-ratelimit-unified-reset': String(reset / 1000 + 1),
    'anthropic-ratelimit-unified-overage-reset': String(reset / 1000 + 1)
  }, 'reset rounded up to the whole second')
})

test('usage headers: the warning starts at exactly 75 % and 95 %', async (t) => {
  const at = (usedCents: number): Record<string, string> => unifiedUsageHeaders([spendOf(usedCents * NANO_PER_CENT)])
  t.equal(at(74.99)['anthropic-ratelimit-unified-status'], 'allowed')
  t.equal(at(74.99)['anthropic-ratelimit-unified-overage-surpassed-threshold'], undefined)
  t.equal(at(75)['anthropic-ratelimit-unified-status'], 'allowed_warning')
  t.equal(at(75)['anthropic-ratelimit-unified-overage-status'], 'allowed_warning')
  t.equal(at(75)['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.75')
  t.equal(at(94.99)['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.75')
  t.equal(at(95)['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.95')
  t.equal(at(95)['anthropic-ratelimit-unified-overage-utilization'], '0.95')
  t.equal(at(100)['anthropic-ratelimit-unified-overage-utilization'], '0.99', 'never 1 on an allowed answer')
  t.equal(at(300)['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.95')
})

test('usage headers speak of the tightest cap and add the pool scope only for a pooled one', async (t) => {
  const daily = spendOf(20 * NANO_PER_CENT, { cents: 100 }, Date.parse('2026-12-03T00:00:00Z'))
  const pooled = spendOf(800 * NANO_PER_CENT, { cents: 1000, period: 'monthly', source: 'group', counter: 'g:backend', pooled: true }, Date.parse('2027-01-01T00:00:00Z'))
  const headers = unifiedUsageHeaders([daily, pooled])
  t.equal(headers['anthropic-ratelimit-unified-overage-utilization'], '0.80')
  t.equal(headers['anthropic-ratelimit-unified-reset'], String(Date.parse('2027-01-01T00:00:00Z') / 1000))
  t.equal(headers['anthropic-ratelimit-unified-overage-scope'], 'group_pool')
  t.notOk('anthropic-ratelimit-unified-overage-scope' in unifiedUsageHeaders([daily]), 'not for a cap of one\'s own')
  t.notOk('anthropic-ratelimit-unified-overage-scope' in spendRefusalHeaders(daily, reset), 'nor on its refusal')
})

test('refusal headers: the reset in whole seconds rounded up, the period of the cap that refused', async (t) => {
  const weekly = spendOf(100 * NANO_PER_CENT, { period: 'weekly' }, Date.parse('2026-12-07T00:00:00.001Z'))
  const headers = spendRefusalHeaders(weekly, Date.parse('2026-12-02T00:00:00Z'))
  t.equal(headers['anthropic-ratelimit-unified-reset'], String(Date.parse('2026-12-07T00:00:01Z') / 1000))
  t.equal(headers['anthropic-ratelimit-unified-overage-reset'], String(Date.parse('2026-12-07T00:00:01Z') / 1000))
  t.equal(headers['anthropic-ratelimit-unified-overage-period'], 'weekly')
  t.notOk('anthropic-ratelimit-unified-representative-claim' in headers)
  t.notOk('anthropic-ratelimit-unified-overage-status' in headers)
})

test('refusal messages name the cap, whose it is, its amount in dollars and the reset second', async (t) => {
  const resetAt = Date.parse('2026-12-07T00:00:00.250Z')
  const tail = '; it resets at 2026-12-07T00:00:01Z, so wait until then or ask your gateway administrator to raise the cap.'
  t.equal(spendRefusalMessage(spendOf(0, { period: 'weekly', cents: 12345 }, resetAt), 'alice', 'backend'), `You have reached the weekly spend cap of $123.45 for client 'alice'${tail}`)
  t.equal(spendRefusalMessage(spendOf(0, { cents: 5, source: 'group' }, resetAt), 'alice', 'backend'), `You have reached the daily spend cap of $0.05 for each member of group 'backend'${tail}`)
  t.equal(spendRefusalMessage(spendOf(0, { period: 'monthly', cents: 100000, source: 'organization' }, resetAt), 'alice', null), `You have reached the monthly spend cap of $1000.00 for each client of the organisation${tail}`)
  t.equal(spendRefusalMessage(spendOf(0, { cents: 2000, source: 'group', counter: 'g:backend', pooled: true }, resetAt), 'alice', 'backend'), `You have reached the daily spend cap of $20.00 shared by group 'backend'${tail}`)
  t.equal(spendRefusalMessage(spendOf(0, { source: 'group' }, resetAt), 'alice', null), `You have reached the daily spend cap of $1.00 for each member of group ''${tail}`, 'no group name: empty, not "null"')
  t.equal(spendRefusalMessage(spendOf(0, { source: 'group', pooled: true }, resetAt), 'alice', null), `You have reached the daily spend cap of $1.00 shared by group ''${tail}`)
  t.equal(spendRefusalMessage(spendOf(0, {}, reset), 'alice', null).includes('2026-12-03T00:00:00Z'), true, 'a whole second stays as it is')
})

test('retry-after: whole seconds to the reset, rounded up, at least 1', async (t) => {
  const now = Date.parse('2026-12-02T12:00:00Z')
  t.equal(retryAfterSeconds(now + 30000, now), '30')
  t.equal(retryAfterSeconds(now + 30001, now), '31')
  t.equal(retryAfterSeconds(now + 1, now), '1')
  t.equal(retryAfterSeconds(now, now), '1', 'never 0')
  t.equal(retryAfterSeconds(now - 5000, now), '1', 'never negative')
  t.equal(retryAfterSeconds(now + 86400000, now), '86400')
})

test('rate refusal messages: the limit in words, whose, and the seconds to wait', async (t) => {
  const now = reset - 12500
  t.equal(rateRefusalMessage(rateOf('rpm', 60, 60), 'alice', 'backend', now), "Rate limit reached: 60 requests per minute for client 'alice'; retry after 13 s.")
  t.equal(rateRefusalMessage(rateOf('input_tpm', 1000, 1000, 'group'), 'alice', 'backend', now), "Rate limit reached: 1000 input tokens per minute for group 'backend'; retry after 13 s.")
  t.equal(rateRefusalMessage(rateOf('output_tpm', 5, 5), 'alice', null, now), "Rate limit reached: 5 output tokens per minute for client 'alice'; retry after 13 s.")
  t.equal(rateRefusalMessage(rateOf('concurrency', 2, 2, 'group'), 'alice', null, reset), "Rate limit reached: 2 concurrent requests for group ''; retry after 1 s.")
})

test('OpenAI rate headers: the tightest of each kind by what is left, the first of equals, never negative', async (t) => {
  const now = reset - 45200
  const headers = openAiRateHeaders([
    rateOf('rpm', 10, 4),
    rateOf('rpm', 20, 14, 'group'),
    rateOf('input_tpm', 1000, 990),
    rateOf('output_tpm', 500, 600, 'group'),
    rateOf('concurrency', 1, 1)
  ], now)
  t.same(headers, {
    'x-ratelimit-limit-requests': '10',
    'x-ratelimit-remaining-requests': '6',
    'x-ratelimit-reset-requests': '46s',
    'x-ratelimit-limit-tokens': '500',
    'x-ratelimit-remaining-tokens': '0',
    'x-ratelimit-reset-tokens': '46s'
  })
  t.same(openAiRateHeaders([rateOf('output_tpm', 200, 110), rateOf('input_tpm', 100, 20)], now)['x-ratelimit-limit-tokens'], '100', 'input and output compete for the one tokens limit')
  t.same(openAiRateHeaders([rateOf('output_tpm', 200, 110), rateOf('input_tpm', 100, 10)], now)['x-ratelimit-limit-tokens'], '200', 'a tie keeps the first')
  t.same(openAiRateHeaders([rateOf('input_tpm', 100, 10), rateOf('output_tpm', 200, 110)], now)['x-ratelimit-limit-tokens'], '100', 'whichever comes first')
})

test('OpenAI rate headers: only the kinds that are limited; concurrency has none', async (t) => {
  const now = reset - 1000
  t.same(openAiRateHeaders([rateOf('rpm', 3, 1)], now), { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '1s' })
  t.same(openAiRateHeaders([rateOf('output_tpm', 3, 1)], now), { 'x-ratelimit-limit-tokens': '3', 'x-ratelimit-remaining-tokens': '2', 'x-ratelimit-reset-tokens': '1s' })
  t.same(openAiRateHeaders([rateOf('concurrency', 3, 1)], now), {})
  t.same(openAiRateHeaders([], now), {})
  t.equal(openAiRateHeaders([rateOf('rpm', 3, 3)], reset + 5000)['x-ratelimit-reset-requests'], '1s', 'a reset already past says 1s')
})

test('every upstream anthropic-ratelimit-* header is dropped, nothing else', async (t) => {
  t.same(withoutUpstreamRateLimits({
    'anthropic-ratelimit-unified-status': 'allowed',
    'anthropic-ratelimit-requests-limit': '50',
    'x-ratelimit-limit-requests': '5',
    'retry-after': '3',
    'content-type': 'application/json',
    'x-anthropic-ratelimit-note': 'kept'
  }), { 'x-ratelimit-limit-requests': '5', 'retry-after': '3', 'content-type': 'application/json', 'x-anthropic-ratelimit-note': 'kept' })
  t.same(withoutUpstreamRateLimits({}), {})
})
