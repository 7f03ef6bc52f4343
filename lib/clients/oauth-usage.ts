import type { SpendPeriod } from '../store/teams-store.js'
import type { AppliedCap } from './effective-limits.js'
import { NANO_PER_CENT } from './limiter.js'
import { periodEnd } from './periods.js'

export interface OAuthUsage {
  extra_usage: { is_enabled: boolean; monthly_limit: number | null; used_credits: number; utilization: number | null; currency: 'USD' }
  limits: Array<{ kind: 'spend'; group: SpendPeriod; percent: number; resets_at: string; severity: 'normal'; is_active: true }>
  daily?: { limit: null; used_credits: number; utilization: null }
  weekly?: { limit: null; used_credits: number; utilization: null }
}

const cents = (nano: number): number => Math.round(nano / (NANO_PER_CENT / 100)) / 100
const percent = (nano: number, capCents: number): number => capCents <= 0 ? 100 : Math.min(100, Math.floor((nano / (capCents * NANO_PER_CENT)) * 100))
/** The same second as the anthropic-ratelimit-unified-reset header. */
const resetsAt = (period: SpendPeriod, now: number): string => new Date(Math.ceil(periodEnd(period, now) / 1000) * 1000).toISOString().replace('.000Z', 'Z')

/** Claude Code's `GET /api/oauth/usage` answer: the caller's standing against each of its caps. */
export function oauthUsage (caps: readonly AppliedCap[], spent: (cap: AppliedCap) => number, ownSpend: Record<SpendPeriod, number>, now: number): OAuthUsage {
  if (caps.length === 0) {
    return {
      extra_usage: { is_enabled: true, monthly_limit: null, used_credits: cents(ownSpend.monthly), utilization: null, currency: 'USD' },
      limits: [],
      daily: { limit: null, used_credits: cents(ownSpend.daily), utilization: null },
      weekly: { limit: null, used_credits: cents(ownSpend.weekly), utilization: null }
    }
  }
  const limits = caps.map((cap) => ({ kind: 'spend' as const, group: cap.period, percent: percent(spent(cap), cap.cents), resets_at: resetsAt(cap.period, now), severity: 'normal' as const, is_active: true as const }))
  let tightest = caps[0]
  for (const cap of caps) if (percent(spent(cap), cap.cents) > percent(spent(tightest), tightest.cents)) tightest = cap
  return {
    extra_usage: { is_enabled: true, monthly_limit: tightest.cents, used_credits: cents(spent(tightest)), utilization: percent(spent(tightest), tightest.cents), currency: 'USD' },
    limits
  }
}
