import { test } from 'tap'
import { MemoryCounters } from '../../../lib/clients/counters.js'
import type { ClientIdentity } from '../../../lib/clients/directory.js'
import { rateLimitsFor, spendCapsFor } from '../../../lib/clients/effective-limits.js'
import { Limiter, NANO_PER_CENT } from '../../../lib/clients/limiter.js'
import { ModelAccess } from '../../../lib/clients/model-access.js'
import { periodEnd, periodStart } from '../../../lib/clients/periods.js'
import type { GroupRecord } from '../../../lib/store/teams-store.js'

function client (fields: Partial<ClientIdentity> = {}): ClientIdentity {
  return { name: 'alice', source: 'config', group: null, models: new ModelAccess(null), expiresAt: null, disabled: false, limits: {}, spend: {}, ...fields }
}
const group = (fields: Partial<GroupRecord> = {}): GroupRecord => ({ name: 'backend', limits: {}, spend: {}, createdAt: '', updatedAt: '', ...fields })

test('periods are UTC days, weeks from Monday and calendar months', async (t) => {
  const wednesday = Date.parse('2026-12-02T15:30:00Z')
  t.equal(new Date(periodStart('daily', wednesday)).toISOString(), '2026-12-02T00:00:00.000Z')
  t.equal(new Date(periodStart('weekly', wednesday)).toISOString(), '2026-11-30T00:00:00.000Z')
  t.equal(new Date(periodStart('weekly', Date.parse('2026-12-06T23:59:59Z'))).toISOString(), '2026-11-30T00:00:00.000Z', 'Sunday belongs to the week that began on Monday')
  t.equal(new Date(periodStart('weekly', Date.parse('2026-11-30T00:00:00Z'))).toISOString(), '2026-11-30T00:00:00.000Z')
  t.equal(new Date(periodEnd('monthly', wednesday)).toISOString(), '2027-01-01T00:00:00.000Z')
  t.equal(new Date(periodEnd('weekly', wednesday)).toISOString(), '2026-12-07T00:00:00.000Z')
})

test('spend caps: client, then group, then organisation per period; null is uncapped; pooled caps use the group counter', async (t) => {
  const caps = spendCapsFor(client({ group: 'backend', spend: { daily: 500, weekly: null } }), group({ spend: { weekly: 900, monthly: 20000, pooled: true } }), { daily: 100, weekly: 100, monthly: 100 })
  t.same(caps.map((cap) => [cap.period, cap.cents, cap.source, cap.counter]), [['daily', 500, 'client', 'c:alice'], ['monthly', 20000, 'group', 'g:backend']])
  const perMember = spendCapsFor(client({ group: 'backend' }), group({ spend: { monthly: 300 } }), { daily: 100 })
  t.same(perMember.map((cap) => [cap.period, cap.cents, cap.source, cap.counter]), [['daily', 100, 'organization', 'c:alice'], ['monthly', 300, 'group', 'c:alice']])
  t.same(spendCapsFor(client({ name: null }), undefined, { daily: 100 }), [], 'an APIKEY client has no caps')
  t.same(rateLimitsFor(client({ limits: { rpm: 5, concurrency: null } }), group({ limits: { rpm: 50 } })).map((rate) => [rate.kind, rate.limit, rate.counter]), [['rpm', 5, 'c:alice'], ['rpm', 50, 'g:backend']])
})

test('requests per minute: the limit+1st request is refused, counts nowhere, and the next minute starts afresh', async (t) => {
  let now = Date.parse('2026-12-02T12:00:10Z')
  const limiter = new Limiter(new MemoryCounters(() => now), () => now)
  const rates = rateLimitsFor(client({ group: 'backend', limits: { rpm: 2 } }), group({ limits: { rpm: 10 } }))
  t.notOk((await limiter.admit(rates, [])).refusal)
  const second = await limiter.admit(rates, [])
  t.notOk(second.refusal)
  t.same(second.rates.map((standing) => standing.value), [2, 2])
  const third = await limiter.admit(rates, [])
  t.equal(third.refusal?.kind, 'rate')
  t.equal(third.refusal?.kind === 'rate' && third.refusal.standing.resetAt, Date.parse('2026-12-02T12:01:00Z'))
  t.same((await limiter.counters.read(['limits:rpm:g:backend:' + Math.floor(now / 60000)])), [2], 'the refused request did not count on the group either')
  now += 60000
  t.notOk((await limiter.admit(rates, [])).refusal)
})

test('concurrency slots are held until released; tokens per minute refuse once the minute\'s use reaches the limit', async (t) => {
  const now = Date.parse('2026-12-02T12:00:10Z')
  const limiter = new Limiter(new MemoryCounters(() => now), () => now)
  const rates = rateLimitsFor(client({ limits: { concurrency: 1, input_tpm: 100 } }), undefined)
  const first = await limiter.admit(rates, [])
  t.notOk(first.refusal)
  t.equal((await limiter.admit(rates, [])).refusal?.kind, 'rate', 'a second request while the first runs')
  await limiter.release(first)
  const again = await limiter.admit(rates, [])
  t.notOk(again.refusal, 'free again')
  await limiter.release(again)
  await limiter.record('alice', rates, [], { inputTokens: 100, outputTokens: 5, costNanoUsd: null })
  const refused = await limiter.admit(rates, [])
  t.equal(refused.refusal?.kind === 'rate' && refused.refusal.standing.rate.kind, 'input_tpm')
})

test('spend: counted in nano-dollars at the end, refused once the cap is reached, seeded only where no counter exists', async (t) => {
  const now = Date.parse('2026-12-02T12:00:10Z')
  const limiter = new Limiter(new MemoryCounters(() => now), () => now)
  const caps = spendCapsFor(client({ spend: { daily: 10 } }), undefined, {})
  await limiter.seed('c:alice', 'daily', 4 * NANO_PER_CENT)
  await limiter.seed('c:alice', 'daily', 9 * NANO_PER_CENT)
  t.equal((await limiter.spent('c:alice')).daily, 4 * NANO_PER_CENT, 'the second seed found a counter')
  const admitted = await limiter.admit([], caps)
  t.notOk(admitted.refusal)
  t.equal(admitted.spend[0].usedNano, 4 * NANO_PER_CENT)
  await limiter.record('alice', [], caps, { inputTokens: 1, outputTokens: 1, costNanoUsd: 6 * NANO_PER_CENT })
  const spent = await limiter.spent('c:alice')
  t.same(spent, { daily: 10 * NANO_PER_CENT, weekly: 6 * NANO_PER_CENT, monthly: 6 * NANO_PER_CENT }, 'every period counts; the seed was for the day only')
  const refused = await limiter.admit([], caps)
  t.equal(refused.refusal?.kind, 'spend')
  t.equal(refused.refusal?.kind === 'spend' && refused.refusal.standing.resetAt, Date.parse('2026-12-03T00:00:00Z'))
})
