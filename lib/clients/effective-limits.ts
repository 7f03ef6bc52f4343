import { SPEND_PERIODS, type GroupRecord, type SpendCaps, type SpendPeriod } from '../store/teams-store.js'
import type { ClientIdentity } from './directory.js'

export type RateKind = 'rpm' | 'input_tpm' | 'output_tpm' | 'concurrency'
export const RATE_KINDS: readonly RateKind[] = ['rpm', 'input_tpm', 'output_tpm', 'concurrency']

/** One limit and whose counter it is kept on: the client's own, or its group's (the group as a whole). */
export interface AppliedRate {
  kind: RateKind
  limit: number
  /** `c:<client>` or `g:<group>`. */
  counter: string
  scope: 'client' | 'group'
}

/** Rate and concurrency limits: the client's own and its group's, each on its own counter. */
export function rateLimitsFor (client: ClientIdentity, group: GroupRecord | undefined): AppliedRate[] {
  if (client.name === null) return []
  const applied: AppliedRate[] = []
  for (const kind of RATE_KINDS) {
    const own = client.limits[kind]
    if (typeof own === 'number') applied.push({ kind, limit: own, counter: `c:${client.name}`, scope: 'client' })
    const shared = group?.limits[kind]
    if (group !== undefined && typeof shared === 'number') applied.push({ kind, limit: shared, counter: `g:${group.name}`, scope: 'group' })
  }
  return applied
}

/** The cap that applies to a client for one period, and whose counter spends against it. */
export interface AppliedCap {
  period: SpendPeriod
  cents: number
  /** Where the cap was set. */
  source: 'client' | 'group' | 'organization'
  /** `c:<client>`, or `g:<group>` for a pooled group budget. */
  counter: string
  pooled: boolean
}

/** Per period the most specific cap wins (client, then group, then organisation); null means explicitly uncapped. */
export function spendCapsFor (client: ClientIdentity, group: GroupRecord | undefined, organization: SpendCaps): AppliedCap[] {
  if (client.name === null) return []
  const caps: AppliedCap[] = []
  for (const period of SPEND_PERIODS) {
    const own = client.spend[period]
    if (own !== undefined) {
      if (own !== null) caps.push({ period, cents: own, source: 'client', counter: `c:${client.name}`, pooled: false })
      continue
    }
    const shared = group?.spend[period]
    if (group !== undefined && shared !== undefined) {
      if (shared !== null) {
        const pooled = group.spend.pooled === true
        caps.push({ period, cents: shared, source: 'group', counter: pooled ? `g:${group.name}` : `c:${client.name}`, pooled })
      }
      continue
    }
    const fallback = organization[period]
    if (fallback !== undefined && fallback !== null) caps.push({ period, cents: fallback, source: 'organization', counter: `c:${client.name}`, pooled: false })
  }
  return caps
}
