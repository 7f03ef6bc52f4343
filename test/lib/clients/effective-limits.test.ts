import { test } from 'tap'
import type { ClientIdentity } from '../../../lib/clients/directory.js'
import { RATE_KINDS, rateLimitsFor, spendCapsFor } from '../../../lib/clients/effective-limits.js'
import { ModelAccess } from '../../../lib/clients/model-access.js'
import type { GroupRecord } from '../../../lib/store/teams-store.js'

function client (fields: Partial<ClientIdentity> = {}): ClientIdentity {
  return { name: 'alice', source: 'config', group: 'backend', models: new ModelAccess(null), expiresAt: null, disabled: false, limits: {}, spend: {}, ...fields }
}
const group = (fields: Partial<GroupRecord> = {}): GroupRecord => ({ name: 'backend', limits: {}, spend: {}, createdAt: '', updatedAt: '', ...fields })

test('the four rate kinds, in order', async (t) => {
  t.same(RATE_KINDS, ['rpm', 'input_tpm', 'output_tpm', 'concurrency'])
})

test('rates: a client\'s own limits on its own counter, every kind', async (t) => {
  const rates = rateLimitsFor(client({ limits: { rpm: 1, input_tpm: 2, output_tpm: 3, concurrency: 4 } }), undefined)
  t.same(rates, [
    { kind: 'rpm', limit: 1, counter: 'c:alice', scope: 'client' },
    { kind: 'input_tpm', limit: 2, counter: 'c:alice', scope: 'client' },
    { kind: 'output_tpm', limit: 3, counter: 'c:alice', scope: 'client' },
    { kind: 'concurrency', limit: 4, counter: 'c:alice', scope: 'client' }
  ])
})

test('rates: the group\'s limits apply as well, on the group\'s counter, after the client\'s of the same kind', async (t) => {
  const rates = rateLimitsFor(client({ limits: { rpm: 5, concurrency: 2 } }), group({ limits: { rpm: 50, output_tpm: 9000 } }))
  t.same(rates, [
    { kind: 'rpm', limit: 5, counter: 'c:alice', scope: 'client' },
    { kind: 'rpm', limit: 50, counter: 'g:backend', scope: 'group' },
    { kind: 'output_tpm', limit: 9000, counter: 'g:backend', scope: 'group' },
    { kind: 'concurrency', limit: 2, counter: 'c:alice', scope: 'client' }
  ])
})

test('rates: null (unlimited) and absent limits add nothing; a group without limits adds nothing', async (t) => {
  t.same(rateLimitsFor(client({ limits: { rpm: null, concurrency: null } }), group({ limits: { rpm: null } })), [])
  t.same(rateLimitsFor(client(), group()), [])
  t.same(rateLimitsFor(client(), undefined), [])
})

test('rates: an unnamed APIKEY client has none, whatever it carries', async (t) => {
  t.same(rateLimitsFor(client({ name: null, limits: { rpm: 1 } }), group({ limits: { rpm: 1 } })), [])
})

test('caps: the client\'s own cap wins over its group\'s and the organisation\'s', async (t) => {
  const caps = spendCapsFor(client({ spend: { daily: 500 } }), group({ spend: { daily: 900, pooled: true } }), { daily: 100 })
  t.same(caps, [{ period: 'daily', cents: 500, source: 'client', counter: 'c:alice', pooled: false }])
})

test('caps: a client\'s null is explicitly uncapped, even where the group and organisation cap', async (t) => {
  t.same(spendCapsFor(client({ spend: { daily: null, weekly: null, monthly: null } }), group({ spend: { daily: 1, weekly: 1, monthly: 1 } }), { daily: 1, weekly: 1, monthly: 1 }), [])
})

test('caps: a group\'s cap, not pooled, is each member\'s own cap on the member\'s counter', async (t) => {
  t.same(spendCapsFor(client(), group({ spend: { weekly: 700 } }), { weekly: 100 }), [{ period: 'weekly', cents: 700, source: 'group', counter: 'c:alice', pooled: false }])
  t.same(spendCapsFor(client(), group({ spend: { weekly: 700, pooled: false } }), {}), [{ period: 'weekly', cents: 700, source: 'group', counter: 'c:alice', pooled: false }])
})

test('caps: a pooled group cap is spent on the group\'s counter', async (t) => {
  t.same(spendCapsFor(client(), group({ spend: { monthly: 20000, pooled: true } }), { monthly: 100 }), [{ period: 'monthly', cents: 20000, source: 'group', counter: 'g:backend', pooled: true }])
})

test('caps: a group\'s null is uncapped and stops the organisation\'s default', async (t) => {
  t.same(spendCapsFor(client(), group({ spend: { daily: null } }), { daily: 100 }), [])
})

test('caps: the organisation\'s cap is the default per client, on the client\'s counter', async (t) => {
  t.same(spendCapsFor(client(), group(), { daily: 100, weekly: null, monthly: 3000 }), [
    { period: 'daily', cents: 100, source: 'organization', counter: 'c:alice', pooled: false },
    { period: 'monthly', cents: 3000, source: 'organization', counter: 'c:alice', pooled: false }
  ])
  t.same(spendCapsFor(client({ group: null }), undefined, { weekly: 250 }), [{ period: 'weekly', cents: 250, source: 'organization', counter: 'c:alice', pooled: false }], 'a client without a group')
  t.same(spendCapsFor(client({ group: null }), undefined, {}), [], 'nothing set anywhere')
})

test('caps: zero is a cap (of nothing), not the absence of one, at every level', async (t) => {
  t.same(spendCapsFor(client({ spend: { daily: 0 } }), undefined, {}).map((cap) => [cap.cents, cap.source]), [[0, 'client']])
  t.same(spendCapsFor(client(), group({ spend: { daily: 0 } }), { daily: 100 }).map((cap) => [cap.cents, cap.source]), [[0, 'group']])
  t.same(spendCapsFor(client(), undefined, { daily: 0 }).map((cap) => [cap.cents, cap.source]), [[0, 'organization']])
})

test('caps: each period is decided on its own, in daily, weekly, monthly order', async (t) => {
  const caps = spendCapsFor(client({ spend: { weekly: 40 } }), group({ spend: { monthly: 900, pooled: true } }), { daily: 10, weekly: 20, monthly: 30 })
  t.same(caps.map((cap) => [cap.period, cap.cents, cap.source, cap.counter, cap.pooled]), [
    ['daily', 10, 'organization', 'c:alice', false],
    ['weekly', 40, 'client', 'c:alice', false],
    ['monthly', 900, 'group', 'g:backend', true]
  ])
})

test('caps: an unnamed APIKEY client has none', async (t) => {
  t.same(spendCapsFor(client({ name: null, spend: { daily: 5 } }), undefined, { daily: 100 }), [])
})
