import { rowModel } from '../reports/usage-report.js'
import type { CacheOutcomeCount, LedgerRow } from '../store/teams-store.js'
import { escapeHtml } from './status-page.js'

const DAY = 86_400_000
const HOUR = 3_600_000
export const DASHBOARD_DAYS = 30
export const DASHBOARD_HOURS = 24
/** Series beyond this many in one chart are summed as "other", so the legend stays readable. */
const MAX_SERIES = 8
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f']

/** A client's caps for the day and the month, in cents: a number, null when uncapped. */
export interface ClientCaps { daily: number | null, monthly: number | null }

export interface ClientStanding {
  name: string
  todayNano: number
  monthNano: number
  caps: ClientCaps
  /** Cache reads over every input token of the last 30 days; null without input. */
  cacheReadShare: number | null
}

/** A client's cache-read share with its most frequent outcomes other than a hit, most frequent first. */
export interface ClientCacheMisses {
  name: string
  cacheReadShare: number | null
  reasons: Array<{ outcome: string, requests: number }>
}

export interface DashboardData {
  /** Day starts (UTC), oldest first, with spend per client and per model in nano-USD. */
  days: Array<{ start: number, byClient: Map<string, number>, byModel: Map<string, number> }>
  clients: ClientStanding[]
  cacheMisses: ClientCacheMisses[]
  hours: Array<{ start: number, requests: number, errors: number }>
  latencyMs: { p50: number | null, p95: number | null }
  firstTokenMs: { p50: number | null, p95: number | null }
  /** Rows the figures were made from, and whether the ledger had more than were read. */
  rows: number
  truncated: boolean
}

function startOfDay (at: number): number { return Math.floor(at / DAY) * DAY }
function startOfMonth (at: number): number {
  const date = new Date(at)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
}

/** The q-th quantile by nearest rank; null for no values. */
export function quantile (values: number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

function add (map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value)
}

const displayName = (client: string | null): string => client ?? '(unnamed keys)'
const clientName = (row: LedgerRow): string => displayName(row.client)
const isError = (row: LedgerRow): boolean => row.status >= 500 || row.errorType !== null

/**
 * The dashboard's figures from the ledger rows of the last 30 days, in one pass, and the store's
 * count of each client's most frequent cache outcomes other than a hit over the same days.
 */
export function dashboardData (rows: readonly LedgerRow[], now: number, capsOf: (client: string) => ClientCaps, truncated: boolean, outcomes: readonly CacheOutcomeCount[]): DashboardData {
  const firstDay = startOfDay(now) - (DASHBOARD_DAYS - 1) * DAY
  const firstHour = Math.floor(now / HOUR) * HOUR - (DASHBOARD_HOURS - 1) * HOUR
  const today = startOfDay(now)
  const month = startOfMonth(now)
  const days = Array.from({ length: DASHBOARD_DAYS }, (_, index) => ({ start: firstDay + index * DAY, byClient: new Map<string, number>(), byModel: new Map<string, number>() }))
  const hours = Array.from({ length: DASHBOARD_HOURS }, (_, index) => ({ start: firstHour + index * HOUR, requests: 0, errors: 0 }))
  const standing = new Map<string, { today: number, month: number, read: number, input: number }>()
  const durations: number[] = []
  const firstTokens: number[] = []
  for (const row of rows) {
    if (row.at < firstDay || row.at > now) continue
    const cost = row.costNanoUsd ?? 0
    const day = days[Math.floor((row.at - firstDay) / DAY)]!
    add(day.byClient, clientName(row), cost)
    add(day.byModel, rowModel(row) ?? '(none)', cost)
    const client = standing.get(clientName(row)) ?? { today: 0, month: 0, read: 0, input: 0 }
    if (row.at >= today) client.today += cost
    if (row.at >= month) client.month += cost
    client.read += row.cacheReadTokens
    client.input += row.uncachedInputTokens + row.cacheReadTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens
    standing.set(clientName(row), client)
    if (row.at >= firstHour) {
      const hour = hours[Math.floor((row.at - firstHour) / HOUR)]!
      hour.requests++
      if (isError(row)) hour.errors++
      durations.push(row.durationMs)
      if (row.ttftMs !== null) firstTokens.push(row.ttftMs)
    }
  }
  const clients = [...standing].sort(([a], [b]) => a.localeCompare(b)).map(([name, figures]) => ({
    name,
    todayNano: figures.today,
    monthNano: figures.month,
    caps: capsOf(name),
    cacheReadShare: figures.input === 0 ? null : figures.read / figures.input
  }))
  return {
    days,
    clients,
    cacheMisses: cacheMissesOf(outcomes, clients),
    hours,
    latencyMs: { p50: quantile(durations, 0.5), p95: quantile(durations, 0.95) },
    firstTokenMs: { p50: quantile(firstTokens, 0.5), p95: quantile(firstTokens, 0.95) },
    rows: rows.length,
    truncated
  }
}

function cacheMissesOf (outcomes: readonly CacheOutcomeCount[], clients: readonly ClientStanding[]): ClientCacheMisses[] {
  const shares = new Map(clients.map((client) => [client.name, client.cacheReadShare]))
  const byName = new Map<string, ClientCacheMisses>()
  for (const count of outcomes) {
    const name = displayName(count.client)
    const entry = byName.get(name) ?? { name, cacheReadShare: shares.get(name) ?? null, reasons: [] }
    entry.reasons.push({ outcome: count.outcome, requests: count.requests })
    byName.set(name, entry)
  }
  // Sorted here too: the two databases order ties of text (and where null falls) differently.
  for (const entry of byName.values()) entry.reasons.sort((a, b) => b.requests - a.requests || a.outcome.localeCompare(b.outcome))
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** Nano-USD as dollars with cents, for people: 12_345_678_901 is "$12.35". */
export function dollars (nano: number): string {
  return `$${(Math.round(nano / 10_000_000) / 100).toFixed(2)}`
}

function topSeries (days: DashboardData['days'], pick: (day: DashboardData['days'][number]) => Map<string, number>): string[] {
  const totals = new Map<string, number>()
  for (const day of days) for (const [name, cost] of pick(day)) add(totals, name, cost)
  return [...totals].filter(([, cost]) => cost > 0).sort((a, b) => b[1] - a[1]).map(([name]) => name)
}

/** A stacked bar per day: the largest series by name, the rest as "other". */
function stackedChart (title: string, days: DashboardData['days'], pick: (day: DashboardData['days'][number]) => Map<string, number>): string {
  const names = topSeries(days, pick)
  const shown = names.slice(0, MAX_SERIES)
  const series = names.length > MAX_SERIES ? [...shown, 'other'] : shown
  const stacks = days.map((day) => {
    const values = pick(day)
    const parts = shown.map((name) => values.get(name) ?? 0)
    if (names.length > MAX_SERIES) parts.push(names.slice(MAX_SERIES).reduce((sum, name) => sum + (values.get(name) ?? 0), 0))
    return parts
  })
  const highest = Math.max(1, ...stacks.map((parts) => parts.reduce((a, b) => a + b, 0)))
  const width = 600
  const height = 160
  const bar = width / days.length
  const rects: string[] = []
  stacks.forEach((parts, index) => {
    let y = height
    parts.forEach((value, part) => {
      if (value <= 0) return
      const h = (value / highest) * height
      y -= h
      rects.push(`<rect x="${(index * bar + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[part % PALETTE.length]}" data-series="${escapeHtml(series[part]!)}" data-day="${new Date(days[index]!.start).toISOString().slice(0, 10)}" data-nano="${value}"><title>${escapeHtml(series[part]!)} ${new Date(days[index]!.start).toISOString().slice(0, 10)}: ${dollars(value)}</title></rect>`)
    })
  })
  const legend = series.map((name, index) => `<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${PALETTE[index % PALETTE.length]}"/></svg> ${escapeHtml(name)}</li>`).join('')
  return `<figure class="chart"><figcaption>${escapeHtml(title)} · highest day ${dollars(highest)}</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}" preserveAspectRatio="none">${rects.join('')}</svg>
<ul class="legend">${legend || '<li>no spend yet</li>'}</ul></figure>`
}

function capCell (spentNano: number, capCents: number | null): string {
  if (capCents === null) return `${dollars(spentNano)} <span class="muted">(no cap)</span>`
  const share = capCents === 0 ? 1 : spentNano / (capCents * 10_000_000)
  const percent = Math.min(100, Math.round(share * 100))
  return `${dollars(spentNano)} of ${dollars(capCents * 10_000_000)} <svg width="80" height="8" aria-label="${percent}%"><rect width="80" height="8" fill="#eee"/><rect width="${(percent * 0.8).toFixed(1)}" height="8" fill="${share >= 0.95 ? '#e15759' : share >= 0.75 ? '#edc948' : '#59a14f'}"/></svg>`
}

function hourChart (hours: DashboardData['hours']): string {
  const width = 600
  const height = 100
  const bar = width / hours.length
  const highest = Math.max(1, ...hours.map((hour) => hour.requests))
  const rects = hours.map((hour, index) => {
    const h = (hour.requests / highest) * height
    const e = (hour.errors / highest) * height
    const label = `${new Date(hour.start).toISOString().slice(11, 16)}: ${hour.requests} requests, ${hour.errors} errors`
    return `<g data-hour="${hour.start}" data-requests="${hour.requests}" data-errors="${hour.errors}"><title>${label}</title><rect x="${(index * bar + 1).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#4e79a7"/><rect x="${(index * bar + 1).toFixed(1)}" y="${(height - e).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${e.toFixed(1)}" fill="#e15759"/></g>`
  })
  return `<figure class="chart"><figcaption>Requests per hour, last 24 hours (errors in red) · busiest hour ${highest}</figcaption><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="requests per hour" preserveAspectRatio="none">${rects.join('')}</svg></figure>`
}

const ms = (value: number | null): string => (value === null ? '–' : `${Math.round(value)} ms`)
const percent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 100)} %`)

/** `miss_prefix_changed; at=system[0]`, as the header and the ledger carry it, read as `miss_prefix_changed at system[0]`. */
function reasonText (outcome: string): string {
  return outcome.replace('; at=', ' at ')
}

function cacheMissRows (misses: DashboardData['cacheMisses']): string {
  return misses.map((client) => {
    const reasons = client.reasons.map((reason) => `<li data-outcome="${escapeHtml(reason.outcome)}" data-requests="${reason.requests}">${escapeHtml(reasonText(reason.outcome))} ×${reason.requests}</li>`).join('')
    return `<tr data-client="${escapeHtml(client.name)}"><td>${escapeHtml(client.name)}</td><td>${percent(client.cacheReadShare)}</td><td><ul class="reasons">${reasons}</ul></td></tr>`
  }).join('')
}

/** The admin part of the status page: server-rendered HTML with inline SVG, no script. */
export function renderDashboard (data: DashboardData): string {
  const rows = data.clients.map((client) => `<tr data-client="${escapeHtml(client.name)}"><td>${escapeHtml(client.name)}</td><td>${capCell(client.todayNano, client.caps.daily)}</td><td>${capCell(client.monthNano, client.caps.monthly)}</td><td>${percent(client.cacheReadShare)}</td></tr>`).join('')
  const errors = data.hours.reduce((sum, hour) => sum + hour.errors, 0)
  const requests = data.hours.reduce((sum, hour) => sum + hour.requests, 0)
  return `<section id="dashboard">
<h2>Spend (all instances)</h2>
${stackedChart('Spend per day by client, last 30 days', data.days, (day) => day.byClient)}
${stackedChart('Spend per day by model, last 30 days', data.days, (day) => day.byModel)}
<h2>Clients</h2>
<div class="scroll"><table><thead><tr><th>client</th><th>today</th><th>this month</th><th>cache-read share (30 days)</th></tr></thead><tbody id="client-spend">${rows || '<tr><td colspan="4">no requests yet</td></tr>'}</tbody></table></div>
<h2>Prompt cache misses, last 30 days</h2>
<div class="scroll"><table><thead><tr><th>client</th><th>cache-read share</th><th>most frequent outcomes other than a hit</th></tr></thead><tbody id="cache-misses">${cacheMissRows(data.cacheMisses) || '<tr><td colspan="3">no outcome other than a hit</td></tr>'}</tbody></table></div>
<h2>Traffic, last 24 hours</h2>
${hourChart(data.hours)}
<table><tbody>
<tr><td>requests</td><td id="requests-24h">${requests}</td></tr>
<tr><td>error rate</td><td id="error-rate-24h">${requests === 0 ? '–' : `${(errors / requests * 100).toFixed(1)} %`}</td></tr>
<tr><td>latency p50 / p95</td><td id="latency-24h">${ms(data.latencyMs.p50)} / ${ms(data.latencyMs.p95)}</td></tr>
<tr><td>time to first token p50 / p95</td><td id="ttft-24h">${ms(data.firstTokenMs.p50)} / ${ms(data.firstTokenMs.p95)}</td></tr>
</tbody></table>
${data.truncated ? `<p class="muted">Made from the newest ${data.rows} ledger rows; older rows of the period were not read.</p>` : ''}
</section>`
}
