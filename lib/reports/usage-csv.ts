import type { LedgerRow } from '../store/teams-store.js'
import { centsString } from './cost-report.js'
import type { ReportQuery } from './report-query.js'
import { bucketRows, pageWindow, reportOf, rowDimensions } from './usage-report.js'

const COLUMNS = [
  'starting_at', 'ending_at', 'api_key_id', 'workspace_id', 'model', 'protocol', 'requests',
  'uncached_input_tokens', 'cache_creation_5m_input_tokens', 'cache_creation_1h_input_tokens',
  'cache_read_input_tokens', 'output_tokens', 'web_search_requests', 'cost_cents', 'unpriced_requests'
] as const

interface Line {
  dimensions: ReturnType<typeof rowDimensions>
  counts: number[]
  pico: bigint
  unpriced: number
}

/**
 * A field as spreadsheets read it: quoted when it holds a separator, and never read as a formula
 * (a model id is client text, and `=…` in a cell would run in the reader's spreadsheet).
 */
export function csvField (value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function countsOf (row: LedgerRow): number[] {
  return [1, row.uncachedInputTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens, row.cacheReadTokens, row.outputTokens, row.webSearchRequests]
}

/** GET /admin/usage.csv: one line per bucket and group, usage and cost side by side. */
export function usageCsv (rows: readonly LedgerRow[], query: ReportQuery): { csv: string, nextPage: string | null } {
  const { starts, next } = pageWindow(query)
  const buckets = bucketRows<Line>(rows, query, starts, (lines, row) => {
    const dimensions = rowDimensions(row, query.groupBy)
    const key = JSON.stringify(dimensions)
    let line = lines.get(key)
    if (!line) lines.set(key, line = { dimensions, counts: [0, 0, 0, 0, 0, 0, 0], pico: 0n, unpriced: 0 })
    countsOf(row).forEach((count, index) => { line!.counts[index]! += count })
    if (row.costNanoUsd === null) line.unpriced++
    else line.pico += BigInt(row.costNanoUsd) * 1000n
  })
  const report = reportOf(buckets, query, starts, next)
  const lines = [COLUMNS.join(',')]
  for (const bucket of report.data) {
    for (const line of bucket.results) {
      const { api_key_id: client, workspace_id: group, model, protocol } = line.dimensions
      lines.push([bucket.starting_at, bucket.ending_at, client, group, model, protocol, ...line.counts, centsString(line.pico), line.unpriced].map(csvField).join(','))
    }
  }
  return { csv: `${lines.join('\r\n')}\r\n`, nextPage: report.next_page }
}
