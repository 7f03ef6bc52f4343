import { periodEnd, periodStart } from '../clients/periods.js'
import { SPEND_PERIODS, type SpendPeriod, type TeamsStore, type UsageTotals } from '../store/teams-store.js'
import { centsString, NANO_USD_PER_CENT } from './money.js'

/** The cap on one period as the limits apply it; `pooled` caps are shared by the group's members. */
export interface StandingCap { period: SpendPeriod; cents: number; pooled: boolean; group: string | null }

export interface PeriodStanding {
  starts_at: string
  resets_at: string
  requests: number
  tokens: { uncached_input: number; cache_write_5m: number; cache_write_1h: number; cache_read: number; output: number }
  web_search_requests: number
  cost_cents: string
  unpriced_requests: number
  /** The cap (US cents) and what is left of it; null when the period is uncapped. */
  cap: { amount_cents: string; spent_cents: string; remaining_cents: string; pooled: boolean } | null
}

export interface UsageStanding {
  object: 'usage'
  client: string
  group: string | null
  daily: PeriodStanding
  weekly: PeriodStanding
  monthly: PeriodStanding
}

function describe (totals: UsageTotals, start: number, end: number, cap: PeriodStanding['cap']): PeriodStanding {
  return {
    starts_at: new Date(start).toISOString(),
    resets_at: new Date(end).toISOString(),
    requests: totals.requests,
    tokens: { uncached_input: totals.uncachedInputTokens, cache_write_5m: totals.cacheWrite5mTokens, cache_write_1h: totals.cacheWrite1hTokens, cache_read: totals.cacheReadTokens, output: totals.outputTokens },
    web_search_requests: totals.webSearchRequests,
    cost_cents: centsString(totals.costNanoUsd),
    unpriced_requests: totals.unpricedRequests,
    cap
  }
}

/**
 * A named client's own usage for today, this week (from Monday) and this month, UTC, read from
 * the ledger; with each period's cap, what was spent against it (the group's total for a pooled
 * cap) and what is left.
 */
export async function usageStanding (store: TeamsStore, client: string, group: string | null, caps: readonly StandingCap[], now: number): Promise<UsageStanding> {
  const periods = {} as Record<SpendPeriod, PeriodStanding>
  for (const period of SPEND_PERIODS) {
    const from = periodStart(period, now)
    const to = periodEnd(period, now)
    const own = await store.usageTotals({ from, to, clients: [client] })
    const cap = caps.find((c) => c.period === period)
    let capStanding: PeriodStanding['cap'] = null
    if (cap) {
      const spent = cap.pooled && cap.group !== null ? (await store.usageTotals({ from, to, groups: [cap.group] })).costNanoUsd : own.costNanoUsd
      const amount = cap.cents * NANO_USD_PER_CENT
      capStanding = { amount_cents: centsString(amount), spent_cents: centsString(spent), remaining_cents: centsString(Math.max(0, amount - spent)), pooled: cap.pooled }
    }
    periods[period] = describe(own, from, to, capStanding)
  }
  return { object: 'usage', client, group, ...periods }
}
