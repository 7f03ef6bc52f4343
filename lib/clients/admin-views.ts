import type { ClientView, GroupView } from '../../schemas/admin.js'
import { SPEND_PERIODS, type ClientRecord, type GroupRecord, type SpendCaps, type SpendPeriod } from '../store/teams-store.js'

export interface SpendLimitEntry {
  type: 'spend_limit'
  id: string
  scope: { type: 'user'; user_id: string } | { type: 'rbac_group'; rbac_group_id: string } | { type: 'organization' }
  amount: string | null
  currency: 'USD'
  period: SpendPeriod
  pooled?: boolean
}

export function clientView (record: ClientRecord, source: 'config' | 'admin'): ClientView {
  return {
    name: record.name,
    source,
    group: record.group,
    models: record.models,
    expires_at: record.expiresAt,
    disabled: record.disabled,
    limits: record.limits,
    spend: record.spend,
    keys: record.keys.map((key) => ({ label: key.label, created_at: key.createdAt, expires_at: key.expiresAt })),
    created_at: record.createdAt === '' ? null : record.createdAt,
    updated_at: record.updatedAt === '' ? null : record.updatedAt
  }
}

export function groupView (record: GroupRecord, source: 'config' | 'admin', members: string[]): GroupView {
  return {
    name: record.name,
    source,
    limits: record.limits,
    spend: record.spend,
    members,
    created_at: record.createdAt === '' ? null : record.createdAt,
    updated_at: record.updatedAt === '' ? null : record.updatedAt
  }
}

/** Spend limit ids name their scope and period: `user:alice:daily`, `rbac_group:backend:monthly`, `organization:daily`. */
export function spendLimitId (scope: SpendLimitEntry['scope'], period: SpendPeriod): string {
  if (scope.type === 'user') return `user:${scope.user_id}:${period}`
  if (scope.type === 'rbac_group') return `rbac_group:${scope.rbac_group_id}:${period}`
  return `organization:${period}`
}

export function parseSpendLimitId (id: string): { scope: SpendLimitEntry['scope']; period: SpendPeriod } | undefined {
  const parts = id.split(':')
  const period = parts.at(-1) as SpendPeriod
  if (!SPEND_PERIODS.includes(period)) return undefined
  if (parts.length === 2 && parts[0] === 'organization') return { scope: { type: 'organization' }, period }
  if (parts.length !== 3) return undefined
  if (parts[0] === 'user') return { scope: { type: 'user', user_id: parts[1] }, period }
  if (parts[0] === 'rbac_group') return { scope: { type: 'rbac_group', rbac_group_id: parts[1] }, period }
  return undefined
}

function entriesOf (scope: SpendLimitEntry['scope'], spend: SpendCaps & { pooled?: boolean }): SpendLimitEntry[] {
  const entries: SpendLimitEntry[] = []
  for (const period of SPEND_PERIODS) {
    const amount = spend[period]
    if (amount === undefined) continue
    const entry: SpendLimitEntry = { type: 'spend_limit', id: spendLimitId(scope, period), scope, amount: amount === null ? null : String(amount), currency: 'USD', period }
    if (scope.type === 'rbac_group') entry.pooled = spend.pooled === true
    entries.push(entry)
  }
  return entries
}

/** Every cap set anywhere, one entry per (scope, period), in Anthropic's Admin API shape. */
export function spendLimitEntries (clients: ClientRecord[], groups: GroupRecord[], organization: SpendCaps): SpendLimitEntry[] {
  return [
    ...entriesOf({ type: 'organization' }, organization),
    ...groups.flatMap((group) => entriesOf({ type: 'rbac_group', rbac_group_id: group.name }, group.spend)),
    ...clients.flatMap((client) => entriesOf({ type: 'user', user_id: client.name }, client.spend))
  ]
}
