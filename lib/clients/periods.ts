import type { SpendPeriod } from '../store/teams-store.js'

const DAY_MS = 86400000

/** Start of the UTC period holding `now` (weeks start on Monday), in milliseconds. */
export function periodStart (period: SpendPeriod, now: number): number {
  const date = new Date(now)
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
  if (period === 'daily') return midnight
  if (period === 'weekly') return midnight - ((date.getUTCDay() + 6) % 7) * DAY_MS
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
}

/** When the period holding `now` ends (the next one starts), in milliseconds. */
export function periodEnd (period: SpendPeriod, now: number): number {
  const start = periodStart(period, now)
  if (period === 'daily') return start + DAY_MS
  if (period === 'weekly') return start + 7 * DAY_MS
  const date = new Date(start)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
}
