import { SPEND_PERIODS, type SpendPeriod } from '../store/teams-store.js'
import type { AdmissionEntry, LimitCounters } from './counters.js'
import type { AppliedCap, AppliedRate } from './effective-limits.js'
import { periodEnd, periodStart } from './periods.js'

/** Spend is counted in integer nano-US-dollars, as the ledger prices it. */
export const NANO_PER_CENT = 10_000_000
const MINUTE_MS = 60000
/** A slot outlives the longest request (TOTAL_TIMEOUT_MS default 30 min): a crashed replica's slots free themselves. */
const SLOT_TTL_SECONDS = 3600
const SPEND_TTL_GRACE_SECONDS = 2 * 86400

export interface RateStanding { rate: AppliedRate; value: number; resetAt: number }
export interface SpendStanding { cap: AppliedCap; usedNano: number; resetAt: number }

export type Refusal =
  | { kind: 'rate'; standing: RateStanding }
  | { kind: 'spend'; standing: SpendStanding }

export interface Admission {
  refusal?: Refusal
  rates: RateStanding[]
  spend: SpendStanding[]
  /** Concurrency slots taken, to give back when the request ends. */
  slots: string[]
}

export interface RequestUsage {
  inputTokens: number
  outputTokens: number
  /** Null when the model has no price: nothing is added to spend. */
  costNanoUsd: number | null
}

export function rateKey (kind: AppliedRate['kind'], counter: string, now: number): string {
  return kind === 'concurrency' ? `limits:conc:${counter}` : `limits:${kind}:${counter}:${Math.floor(now / MINUTE_MS)}`
}

export function spendKey (counter: string, period: SpendPeriod, now: number): string {
  return `limits:spend:${counter}:${period}:${periodStart(period, now)}`
}

function spendTtlSeconds (period: SpendPeriod, now: number): number {
  return Math.ceil((periodEnd(period, now) - now) / 1000) + SPEND_TTL_GRACE_SECONDS
}

function nextMinute (now: number): number {
  return (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS
}

/**
 * Admission and accounting for client limits over shared counters. Requests per minute and
 * tokens per minute use fixed one-minute windows; concurrency holds a slot per request; spend
 * is one counter per client (or pooled group) and period, added to when a request ends.
 */
export class Limiter {
  constructor (readonly counters: LimitCounters, private readonly now: () => number = Date.now) {}

  async admit (rates: readonly AppliedRate[], caps: readonly AppliedCap[]): Promise<Admission> {
    const now = this.now()
    const entries: AdmissionEntry[] = []
    for (const rate of rates) {
      const key = rateKey(rate.kind, rate.counter, now)
      if (rate.kind === 'concurrency') entries.push({ key, kind: 'slot', limit: rate.limit, ttlSeconds: SLOT_TTL_SECONDS })
      else entries.push({ key, kind: rate.kind === 'rpm' ? 'count' : 'level', limit: rate.limit, ttlSeconds: 120 })
    }
    for (const cap of caps) entries.push({ key: spendKey(cap.counter, cap.period, now), kind: 'level', limit: cap.cents * NANO_PER_CENT, ttlSeconds: spendTtlSeconds(cap.period, now) })
    const result = await this.counters.admit(entries)
    const rateStandings = rates.map((rate, index) => ({ rate, value: result.values[index], resetAt: rate.kind === 'concurrency' ? now + 1000 : nextMinute(now) }))
    const spend = caps.map((cap, index) => ({ cap, usedNano: result.values[rates.length + index], resetAt: periodEnd(cap.period, now) }))
    const admission: Admission = { rates: rateStandings, spend, slots: [] }
    if (result.refused >= 0) {
      admission.refusal = result.refused < rates.length ? { kind: 'rate', standing: rateStandings[result.refused] } : { kind: 'spend', standing: spend[result.refused - rates.length] }
      return admission
    }
    admission.slots = rates.filter((rate) => rate.kind === 'concurrency').map((rate) => rateKey('concurrency', rate.counter, now))
    return admission
  }

  async release (admission: Admission): Promise<void> {
    const slots = admission.slots
    admission.slots = []
    await this.counters.release(slots)
  }

  /**
   * A finished request's usage: tokens on the counters with a token limit, cost on the client's
   * own spend counters (every period, capped or not, for its standing) and on pooled group budgets.
   */
  async record (client: string, rates: readonly AppliedRate[], caps: readonly AppliedCap[], usage: RequestUsage): Promise<void> {
    const now = this.now()
    const items: Array<{ key: string; amount: number; ttlSeconds: number }> = []
    for (const rate of rates) {
      if (rate.kind === 'input_tpm') items.push({ key: rateKey(rate.kind, rate.counter, now), amount: usage.inputTokens, ttlSeconds: 120 })
      if (rate.kind === 'output_tpm') items.push({ key: rateKey(rate.kind, rate.counter, now), amount: usage.outputTokens, ttlSeconds: 120 })
    }
    const cost = usage.costNanoUsd ?? 0
    if (cost > 0) {
      const counters = new Map<string, SpendPeriod>()
      for (const period of SPEND_PERIODS) counters.set(spendKey(`c:${client}`, period, now), period)
      for (const cap of caps) if (cap.pooled) counters.set(spendKey(cap.counter, cap.period, now), cap.period)
      for (const [key, period] of counters) items.push({ key, amount: cost, ttlSeconds: spendTtlSeconds(period, now) })
    }
    await this.counters.add(items)
  }

  /** What a client has spent this period, per period (nano-USD). */
  async spent (counter: string): Promise<Record<SpendPeriod, number>> {
    const now = this.now()
    const values = await this.counters.read(SPEND_PERIODS.map((period) => spendKey(counter, period, now)))
    return { daily: values[0], weekly: values[1], monthly: values[2] }
  }

  /** At start-up: counters that do not exist yet take what the ledger says was spent this period. */
  async seed (counter: string, period: SpendPeriod, nano: number): Promise<void> {
    const now = this.now()
    if (nano > 0) await this.counters.seed(spendKey(counter, period, now), nano, spendTtlSeconds(period, now))
  }
}
