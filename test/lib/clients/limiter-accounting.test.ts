import { test } from 'tap'
import { MemoryCounters, type AdmissionEntry, type AdmissionResult, type LimitCounters } from '../../../lib/clients/counters.js'
import type { AppliedCap, AppliedRate } from '../../../lib/clients/effective-limits.js'
import { Limiter, NANO_PER_CENT, rateKey, spendKey } from '../../../lib/clients/limiter.js'

/** Memory counters that also keep what the limiter asked of them. */
class RecordingCounters implements LimitCounters {
  readonly kind = 'memory' as const
  readonly admitted: AdmissionEntry[][] = []
  readonly released: string[][] = []
  readonly added: Array<Array<{ key: string; amount: number; ttlSeconds: number }>> = []
  readonly seeded: Array<{ key: string; value: number; ttlSeconds: number }> = []
  readonly inner: MemoryCounters

  constructor (now: () => number) {
    this.inner = new MemoryCounters(now)
  }

  async admit (entries: AdmissionEntry[]): Promise<AdmissionResult> {
    this.admitted.push(entries)
    return await this.inner.admit(entries)
  }

  async release (keys: string[]): Promise<void> {
    this.released.push(keys)
    await this.inner.release(keys)
  }

  async add (items: Array<{ key: string; amount: number; ttlSeconds: number }>): Promise<void> {
    this.added.push(items)
    await this.inner.add(items)
  }

  async read (keys: string[]): Promise<number[]> {
    return await this.inner.read(keys)
  }

  async seed (key: string, value: number, ttlSeconds: number): Promise<void> {
    this.seeded.push({ key, value, ttlSeconds })
    await this.inner.seed(key, value, ttlSeconds)
  }

  async close (): Promise<void> {
    await this.inner.close()
  }
}

// Wednesday 2 December 2026, 12:00:10.5 UTC: 43189.5 s before midnight, 4 days more before Monday, 29 more before January.
const NOW = Date.parse('2026-12-02T12:00:10.500Z')
const MINUTE = Math.floor(NOW / 60000)
const DAY_START = Date.parse('2026-12-02T00:00:00Z')
const WEEK_START = Date.parse('2026-11-30T00:00:00Z')
const MONTH_START = Date.parse('2026-12-01T00:00:00Z')
// Seconds to the period's end, rounded up, plus two days of grace.
const TTL = { daily: 43190 + 172800, weekly: 388790 + 172800, monthly: 2548790 + 172800 }

function setup (now = NOW): { limiter: Limiter; counters: RecordingCounters; clock: { now: number } } {
  const clock = { now }
  const counters = new RecordingCounters(() => clock.now)
  return { limiter: new Limiter(counters, () => clock.now), counters, clock }
}

const rate = (kind: AppliedRate['kind'], limit: number, counter = 'c:alice'): AppliedRate => ({ kind, limit, counter, scope: counter.startsWith('g:') ? 'group' : 'client' })
const cap = (period: AppliedCap['period'], cents: number, fields: Partial<AppliedCap> = {}): AppliedCap => ({ period, cents, source: 'client', counter: 'c:alice', pooled: false, ...fields })

test('counter keys: per-minute windows for rpm and tokens, one key for concurrency, one per period start for spend', async (t) => {
  t.equal(rateKey('rpm', 'c:alice', NOW), `limits:rpm:c:alice:${MINUTE}`)
  t.equal(rateKey('input_tpm', 'g:backend', NOW), `limits:input_tpm:g:backend:${MINUTE}`)
  t.equal(rateKey('output_tpm', 'c:alice', NOW), `limits:output_tpm:c:alice:${MINUTE}`)
  t.equal(rateKey('concurrency', 'c:alice', NOW), 'limits:conc:c:alice')
  t.equal(rateKey('rpm', 'c:alice', Date.parse('2026-12-02T12:00:59.999Z')), `limits:rpm:c:alice:${MINUTE}`, 'the last millisecond of the minute')
  t.equal(rateKey('rpm', 'c:alice', Date.parse('2026-12-02T12:01:00.000Z')), `limits:rpm:c:alice:${MINUTE + 1}`, 'the next minute, a new window')
  t.equal(spendKey('c:alice', 'daily', NOW), `limits:spend:c:alice:daily:${DAY_START}`)
  t.equal(spendKey('g:backend', 'weekly', NOW), `limits:spend:g:backend:weekly:${WEEK_START}`)
  t.equal(spendKey('c:alice', 'monthly', NOW), `limits:spend:c:alice:monthly:${MONTH_START}`)
})

test('admission asks the counters for: rpm counts, tokens and spend levels, concurrency slots; spend in nano-dollars', async (t) => {
  const { limiter, counters } = setup()
  await limiter.admit(
    [rate('rpm', 5), rate('input_tpm', 1000), rate('output_tpm', 2000, 'g:backend'), rate('concurrency', 2)],
    [cap('daily', 150), cap('weekly', 700, { source: 'group', counter: 'g:backend', pooled: true }), cap('monthly', 9000)]
  )
  t.same(counters.admitted, [[
    { key: `limits:rpm:c:alice:${MINUTE}`, kind: 'count', limit: 5, ttlSeconds: 120 },
    { key: `limits:input_tpm:c:alice:${MINUTE}`, kind: 'level', limit: 1000, ttlSeconds: 120 },
    { key: `limits:output_tpm:g:backend:${MINUTE}`, kind: 'level', limit: 2000, ttlSeconds: 120 },
    { key: 'limits:conc:c:alice', kind: 'slot', limit: 2, ttlSeconds: 3600 },
    { key: `limits:spend:c:alice:daily:${DAY_START}`, kind: 'level', limit: 150 * NANO_PER_CENT, ttlSeconds: TTL.daily },
    { key: `limits:spend:g:backend:weekly:${WEEK_START}`, kind: 'level', limit: 700 * NANO_PER_CENT, ttlSeconds: TTL.weekly },
    { key: `limits:spend:c:alice:monthly:${MONTH_START}`, kind: 'level', limit: 9000 * NANO_PER_CENT, ttlSeconds: TTL.monthly }
  ]])
  t.equal(NANO_PER_CENT, 10_000_000, 'a cent is ten million nano-dollars')
})

test('an admission reports every standing: rates reset at the next minute (concurrency in a second), spend at the period end', async (t) => {
  const { limiter, counters } = setup()
  await counters.inner.add([{ key: spendKey('c:alice', 'daily', NOW), amount: 42, ttlSeconds: 60 }, { key: spendKey('c:alice', 'monthly', NOW), amount: 77, ttlSeconds: 60 }])
  const rates = [rate('rpm', 5), rate('concurrency', 3)]
  const caps = [cap('daily', 100), cap('monthly', 100)]
  const admission = await limiter.admit(rates, caps)
  t.equal(admission.refusal, undefined)
  t.same(admission.rates, [
    { rate: rates[0], value: 1, resetAt: Date.parse('2026-12-02T12:01:00Z') },
    { rate: rates[1], value: 1, resetAt: NOW + 1000 }
  ])
  t.same(admission.spend, [
    { cap: caps[0], usedNano: 42, resetAt: Date.parse('2026-12-03T00:00:00Z') },
    { cap: caps[1], usedNano: 77, resetAt: Date.parse('2027-01-01T00:00:00Z') }
  ])
})

test('on the first millisecond of a minute the window resets at the start of the next one', async (t) => {
  const start = Date.parse('2026-12-02T12:01:00.000Z')
  const { limiter } = setup(start)
  const admission = await limiter.admit([rate('rpm', 5)], [])
  t.equal(admission.rates[0].resetAt, Date.parse('2026-12-02T12:02:00.000Z'))
})

test('a refused rate names the standing of the rate that refused', async (t) => {
  const { limiter } = setup()
  const rates = [rate('rpm', 10), rate('rpm', 1, 'g:backend')]
  await limiter.admit(rates, [cap('daily', 100)])
  const refused = await limiter.admit(rates, [cap('daily', 100)])
  t.equal(refused.refusal?.kind, 'rate')
  t.equal(refused.refusal?.standing, refused.rates[1])
  t.same(refused.slots, [])
})

test('a refused cap names the standing of the cap that refused, after any rates', async (t) => {
  const { limiter, counters } = setup()
  await counters.inner.add([{ key: spendKey('c:alice', 'weekly', NOW), amount: 300 * NANO_PER_CENT, ttlSeconds: 60 }])
  const caps = [cap('daily', 500), cap('weekly', 300), cap('monthly', 100000)]
  const refused = await limiter.admit([rate('rpm', 10), rate('concurrency', 1)], caps)
  t.equal(refused.refusal?.kind, 'spend')
  t.equal(refused.refusal?.standing, refused.spend[1])
  t.equal(refused.refusal?.kind === 'spend' && refused.refusal.standing.cap.period, 'weekly')
  t.same(refused.slots, [], 'a refused request holds no slot')
  t.same(await counters.read([rateKey('rpm', 'c:alice', NOW), rateKey('concurrency', 'c:alice', NOW)]), [0, 0], 'and counts nowhere')
})

test('spend: one nano-dollar under the cap is admitted, the cap itself is refused', async (t) => {
  const { limiter, counters } = setup()
  const key = spendKey('c:alice', 'daily', NOW)
  await counters.inner.add([{ key, amount: 100 * NANO_PER_CENT - 1, ttlSeconds: 60 }])
  t.equal((await limiter.admit([], [cap('daily', 100)])).refusal, undefined)
  await counters.inner.add([{ key, amount: 1, ttlSeconds: 60 }])
  t.equal((await limiter.admit([], [cap('daily', 100)])).refusal?.kind, 'spend')
  t.equal((await limiter.admit([], [cap('daily', 0)])).refusal?.kind, 'spend', 'a cap of zero refuses everything')
})

test('an admitted request holds one slot per concurrency limit, client\'s and group\'s', async (t) => {
  const { limiter } = setup()
  const admission = await limiter.admit([rate('rpm', 10), rate('concurrency', 4), rate('input_tpm', 10), rate('concurrency', 9, 'g:backend')], [])
  t.same(admission.slots, ['limits:conc:c:alice', 'limits:conc:g:backend'])
  const none = await limiter.admit([rate('rpm', 10)], [])
  t.same(none.slots, [], 'no concurrency limit, no slot')
})

test('release gives the slots back once, however often it is called (finish and abort may both release)', async (t) => {
  const { limiter, counters } = setup()
  const rates = [rate('concurrency', 2)]
  const first = await limiter.admit(rates, [])
  const second = await limiter.admit(rates, [])
  t.equal((await limiter.admit(rates, [])).refusal?.kind, 'rate', 'two running, the third refused')
  await limiter.release(first)
  t.same(first.slots, [])
  await limiter.release(first)
  t.same(counters.released, [['limits:conc:c:alice'], []])
  t.notOk((await limiter.admit(rates, [])).refusal, 'one freed')
  t.equal((await limiter.admit(rates, [])).refusal?.kind, 'rate', 'only one: the second release gave back nothing')
  await limiter.release(second)
  t.same(await counters.read(['limits:conc:c:alice']), [1])
})

test('record: tokens on the token limits\' counters, cost on the client\'s three periods and on pooled budgets', async (t) => {
  const { limiter, counters } = setup()
  const rates = [rate('rpm', 5), rate('input_tpm', 100), rate('output_tpm', 100, 'g:backend'), rate('concurrency', 1)]
  const caps = [cap('daily', 100, { source: 'group', counter: 'g:backend', pooled: true }), cap('weekly', 100, { source: 'group' }), cap('monthly', 100, { source: 'group', counter: 'g:backend', pooled: true })]
  await limiter.record('alice', rates, caps, { inputTokens: 11, outputTokens: 22, costNanoUsd: 333 })
  t.same(counters.added, [[
    { key: `limits:input_tpm:c:alice:${MINUTE}`, amount: 11, ttlSeconds: 120 },
    { key: `limits:output_tpm:g:backend:${MINUTE}`, amount: 22, ttlSeconds: 120 },
    { key: `limits:spend:c:alice:daily:${DAY_START}`, amount: 333, ttlSeconds: TTL.daily },
    { key: `limits:spend:c:alice:weekly:${WEEK_START}`, amount: 333, ttlSeconds: TTL.weekly },
    { key: `limits:spend:c:alice:monthly:${MONTH_START}`, amount: 333, ttlSeconds: TTL.monthly },
    { key: `limits:spend:g:backend:daily:${DAY_START}`, amount: 333, ttlSeconds: TTL.daily },
    { key: `limits:spend:g:backend:monthly:${MONTH_START}`, amount: 333, ttlSeconds: TTL.monthly }
  ]])
  t.same(await limiter.spent('c:alice'), { daily: 333, weekly: 333, monthly: 333 })
  t.same(await limiter.spent('g:backend'), { daily: 333, weekly: 0, monthly: 333 })
})

test('record: a client without caps still counts its spend, once per period', async (t) => {
  const { limiter, counters } = setup()
  await limiter.record('bob', [], [], { inputTokens: 1, outputTokens: 1, costNanoUsd: 5 })
  await limiter.record('bob', [], [cap('daily', 100, { counter: 'c:bob' })], { inputTokens: 1, outputTokens: 1, costNanoUsd: 7 })
  t.same(counters.added.map((items) => items.map((item) => item.key)), [
    [spendKey('c:bob', 'daily', NOW), spendKey('c:bob', 'weekly', NOW), spendKey('c:bob', 'monthly', NOW)],
    [spendKey('c:bob', 'daily', NOW), spendKey('c:bob', 'weekly', NOW), spendKey('c:bob', 'monthly', NOW)]
  ])
  t.same(await limiter.spent('c:bob'), { daily: 12, weekly: 12, monthly: 12 })
})

test('record: only a pooled cap sends cost to a counter other than the client\'s own', async (t) => {
  const { limiter } = setup()
  await limiter.record('alice', [], [cap('daily', 100, { source: 'group', counter: 'g:backend', pooled: false })], { inputTokens: 0, outputTokens: 0, costNanoUsd: 40 })
  t.same(await limiter.spent('g:backend'), { daily: 0, weekly: 0, monthly: 0 })
  t.same(await limiter.spent('c:alice'), { daily: 40, weekly: 40, monthly: 40 })
})

test('record: a request without a price, or free, adds no spend (and creates no counter a seed would then miss)', async (t) => {
  const { limiter, counters } = setup()
  await limiter.record('alice', [rate('input_tpm', 100)], [], { inputTokens: 3, outputTokens: 4, costNanoUsd: null })
  await limiter.record('alice', [], [], { inputTokens: 3, outputTokens: 4, costNanoUsd: 0 })
  t.same(counters.added, [[{ key: `limits:input_tpm:c:alice:${MINUTE}`, amount: 3, ttlSeconds: 120 }], []])
  await limiter.seed('c:alice', 'daily', 50)
  t.same(await limiter.spent('c:alice'), { daily: 50, weekly: 0, monthly: 0 })
})

test('recorded tokens end the minute\'s admissions once they reach the limit, and the next minute starts afresh', async (t) => {
  const { limiter, clock } = setup()
  const rates = [rate('output_tpm', 100)]
  await limiter.record('alice', rates, [], { inputTokens: 500, outputTokens: 99, costNanoUsd: null })
  t.equal((await limiter.admit(rates, [])).refusal, undefined, '99 of 100')
  await limiter.record('alice', rates, [], { inputTokens: 0, outputTokens: 1, costNanoUsd: null })
  const refused = await limiter.admit(rates, [])
  t.equal(refused.refusal?.kind, 'rate', '100 of 100')
  t.equal(refused.rates[0].value, 100)
  clock.now = Date.parse('2026-12-02T12:01:00.000Z')
  t.equal((await limiter.admit(rates, [])).refusal, undefined)
})

test('spend resets when the period turns: the next day reads a new counter', async (t) => {
  const { limiter, clock } = setup()
  const caps = [cap('daily', 1)]
  await limiter.record('alice', [], caps, { inputTokens: 0, outputTokens: 0, costNanoUsd: NANO_PER_CENT })
  clock.now = Date.parse('2026-12-02T23:59:59.999Z')
  t.equal((await limiter.admit([], caps)).refusal?.kind, 'spend', 'the last millisecond of the day')
  clock.now = Date.parse('2026-12-03T00:00:00.000Z')
  t.equal((await limiter.admit([], caps)).refusal, undefined, 'midnight UTC')
  t.same(await limiter.spent('c:alice'), { daily: 0, weekly: NANO_PER_CENT, monthly: NANO_PER_CENT })
})

test('spent reads the current daily, weekly and monthly counters, by name', async (t) => {
  const { limiter, counters } = setup()
  await counters.inner.add([
    { key: spendKey('c:alice', 'daily', NOW), amount: 1, ttlSeconds: 60 },
    { key: spendKey('c:alice', 'weekly', NOW), amount: 2, ttlSeconds: 60 },
    { key: spendKey('c:alice', 'monthly', NOW), amount: 3, ttlSeconds: 60 }
  ])
  t.same(await limiter.spent('c:alice'), { daily: 1, weekly: 2, monthly: 3 })
  t.same(await limiter.spent('c:nobody'), { daily: 0, weekly: 0, monthly: 0 })
})

test('seed: only a positive amount, on the period\'s counter, living to the period end plus grace', async (t) => {
  const { limiter, counters } = setup()
  await limiter.seed('c:alice', 'weekly', 0)
  t.same(counters.seeded, [], 'nothing spent, nothing seeded')
  await limiter.seed('c:alice', 'weekly', 1234)
  t.same(counters.seeded, [{ key: spendKey('c:alice', 'weekly', NOW), value: 1234, ttlSeconds: TTL.weekly }])
  t.same(await limiter.spent('c:alice'), { daily: 0, weekly: 1234, monthly: 0 })
})

test('a spend counter outlives its period by two days, then goes', async (t) => {
  const { limiter, counters, clock } = setup()
  await limiter.record('alice', [], [], { inputTokens: 0, outputTokens: 0, costNanoUsd: 9 })
  const key = spendKey('c:alice', 'daily', NOW)
  // Made at 12:00:10.5 with 43190 + 172800 s to live: until 5 December 00:00:00.5.
  clock.now = Date.parse('2026-12-05T00:00:00.499Z')
  t.same(await counters.read([key]), [9])
  clock.now = Date.parse('2026-12-05T00:00:00.500Z')
  t.same(await counters.read([key]), [0])
})
