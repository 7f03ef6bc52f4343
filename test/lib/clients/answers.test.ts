import { test } from 'tap'
import { openAiRateHeaders, spendRefusalHeaders, spendRefusalMessage, unifiedUsageHeaders, withoutUpstreamRateLimits } from '../../../lib/clients/answers.js'
import { NANO_PER_CENT, type SpendStanding } from '../../../lib/clients/limiter.js'

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
