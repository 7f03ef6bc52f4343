import { test } from 'tap'
import { clientView, groupView, parseSpendLimitId, spendLimitEntries, spendLimitId } from '../../../lib/clients/admin-views.js'
import { keyDigest } from '../../../lib/clients/keys.js'
import type { ClientRecord, GroupRecord } from '../../../lib/store/teams-store.js'

const digest = keyDigest('c2a-alice-secret-key-0123')
const record = (fields: Partial<ClientRecord> = {}): ClientRecord => ({
  name: 'alice',
  group: 'backend',
  models: ['claude-*'],
  expiresAt: '2027-01-01T00:00:00Z',
  disabled: false,
  limits: { rpm: 5 },
  spend: { daily: 100 },
  keys: [{ digest, label: 'c2a-…0123', createdAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-02T00:00:00Z' }],
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-02T00:00:00Z',
  ...fields
})
const group = (fields: Partial<GroupRecord> = {}): GroupRecord => ({ name: 'backend', limits: {}, spend: {}, createdAt: '', updatedAt: '', ...fields })

test('a client view: every setting, keys by label and dates only, never a digest', async (t) => {
  const view = clientView(record(), 'admin')
  t.same(view, {
    name: 'alice',
    source: 'admin',
    group: 'backend',
    models: ['claude-*'],
    expires_at: '2027-01-01T00:00:00Z',
    disabled: false,
    limits: { rpm: 5 },
    spend: { daily: 100 },
    keys: [{ label: 'c2a-…0123', created_at: '2026-12-01T00:00:00Z', expires_at: '2026-12-02T00:00:00Z' }],
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-02T00:00:00Z'
  })
  t.notOk(JSON.stringify(view).includes(digest), 'no digest')
  t.notOk(JSON.stringify(view).includes('digest'), 'no digest field')
})

test('a config client has no creation dates: null, not an empty string', async (t) => {
  const view = clientView(record({ createdAt: '', updatedAt: '', disabled: true }), 'config')
  t.equal(view.source, 'config')
  t.equal(view.created_at, null)
  t.equal(view.updated_at, null)
  t.equal(view.disabled, true)
})

test('a group view: its settings and members; no dates for a config group', async (t) => {
  t.same(groupView(group({ limits: { rpm: 9 }, spend: { monthly: 500, pooled: true } }), 'config', ['alice', 'bob']), {
    name: 'backend', source: 'config', limits: { rpm: 9 }, spend: { monthly: 500, pooled: true }, members: ['alice', 'bob'], created_at: null, updated_at: null
  })
  const stored = groupView(group({ createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-03T00:00:00Z' }), 'admin', [])
  t.same([stored.source, stored.created_at, stored.updated_at, stored.members], ['admin', '2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z', []])
})

test('spend limit ids name their scope and period, and read back', async (t) => {
  t.equal(spendLimitId({ type: 'user', user_id: 'alice' }, 'daily'), 'user:alice:daily')
  t.equal(spendLimitId({ type: 'rbac_group', rbac_group_id: 'backend' }, 'monthly'), 'rbac_group:backend:monthly')
  t.equal(spendLimitId({ type: 'organization' }, 'weekly'), 'organization:weekly')
  t.same(parseSpendLimitId('user:alice:daily'), { scope: { type: 'user', user_id: 'alice' }, period: 'daily' })
  t.same(parseSpendLimitId('rbac_group:backend:monthly'), { scope: { type: 'rbac_group', rbac_group_id: 'backend' }, period: 'monthly' })
  t.same(parseSpendLimitId('organization:weekly'), { scope: { type: 'organization' }, period: 'weekly' })
})

test('ids that do not parse: unknown period or scope, a part too many or too few', async (t) => {
  for (const id of ['user:alice:yearly', 'user:alice', 'user:daily', 'organization', 'organization:x:daily', 'organization:daily:daily', 'team:alice:daily', 'user:alice:x:daily', 'rbac_group:daily', 'daily', '', 'user:alice:Daily']) {
    t.equal(parseSpendLimitId(id), undefined, JSON.stringify(id))
  }
})

test('spend limit entries: organisation, then groups, then clients; a period per entry; null kept as uncapped', async (t) => {
  const entries = spendLimitEntries(
    [record({ spend: { weekly: 250, monthly: null } }), record({ name: 'bob', spend: {} })],
    [group({ spend: { daily: 1000, monthly: 50000, pooled: true } }), group({ name: 'ops', spend: { weekly: 0 } })],
    { daily: 100, weekly: null }
  )
  t.same(entries, [
    { type: 'spend_limit', id: 'organization:daily', scope: { type: 'organization' }, amount: '100', currency: 'USD', period: 'daily' },
    { type: 'spend_limit', id: 'organization:weekly', scope: { type: 'organization' }, amount: null, currency: 'USD', period: 'weekly' },
    { type: 'spend_limit', id: 'rbac_group:backend:daily', scope: { type: 'rbac_group', rbac_group_id: 'backend' }, amount: '1000', currency: 'USD', period: 'daily', pooled: true },
    { type: 'spend_limit', id: 'rbac_group:backend:monthly', scope: { type: 'rbac_group', rbac_group_id: 'backend' }, amount: '50000', currency: 'USD', period: 'monthly', pooled: true },
    { type: 'spend_limit', id: 'rbac_group:ops:weekly', scope: { type: 'rbac_group', rbac_group_id: 'ops' }, amount: '0', currency: 'USD', period: 'weekly', pooled: false },
    { type: 'spend_limit', id: 'user:alice:weekly', scope: { type: 'user', user_id: 'alice' }, amount: '250', currency: 'USD', period: 'weekly' },
    { type: 'spend_limit', id: 'user:alice:monthly', scope: { type: 'user', user_id: 'alice' }, amount: null, currency: 'USD', period: 'monthly' }
  ])
  t.notOk(entries.some((entry) => entry.scope.type !== 'rbac_group' && 'pooled' in entry), 'pooled only on group entries')
  t.same(spendLimitEntries([], [], {}), [])
})
