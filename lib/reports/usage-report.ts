import type { LedgerRow } from '../store/teams-store.js'
import { bucketStarts, BUCKET_MS, pageToken, type Dimension, type ReportQuery } from './report-query.js'

/** One result of a messages usage report bucket, in Anthropic's shape (plus `protocol`). */
export interface UsageResult {
  uncached_input_tokens: number
  cache_creation: { ephemeral_1h_input_tokens: number, ephemeral_5m_input_tokens: number }
  cache_read_input_tokens: number
  output_tokens: number
  server_tool_use: { web_search_requests: number }
  api_key_id: string | null
  workspace_id: string | null
  model: string | null
  service_tier: string | null
  context_window: string | null
  protocol: string | null
}

export interface ReportBucket<T> { starting_at: string, ending_at: string, results: T[] }
export interface Report<T> { data: Array<ReportBucket<T>>, has_more: boolean, next_page: string | null }

/** The model that answered, else the one asked for. */
export function rowModel (row: LedgerRow): string | null {
  return row.upstreamModel ?? row.requestedModel
}

/** The dimension values a row is grouped under; null for dimensions not grouped by. */
export function rowDimensions (row: LedgerRow, groupBy: readonly Dimension[]): { api_key_id: string | null, workspace_id: string | null, model: string | null, protocol: string | null } {
  return {
    api_key_id: groupBy.includes('api_key_id') ? row.client : null,
    workspace_id: groupBy.includes('workspace_id') ? row.group : null,
    model: groupBy.includes('model') ? rowModel(row) : null,
    protocol: groupBy.includes('protocol') ? row.protocol : null
  }
}

/** Whether the query's filters let the row in. */
export function rowSelected (row: LedgerRow, query: ReportQuery): boolean {
  if (query.clients && (row.client === null || !query.clients.includes(row.client))) return false
  if (query.groups && (row.group === null || !query.groups.includes(row.group))) return false
  const model = rowModel(row)
  if (query.models && (model === null || !query.models.includes(model))) return false
  return true
}

/** The window the page's buckets span, for the ledger query. */
export function pageWindow (query: ReportQuery): { from: number, to: number, starts: number[], next: number | undefined } {
  const { starts, next } = bucketStarts(query)
  const last = starts.at(-1) ?? query.from
  return { from: query.from, to: Math.min(query.to, last + BUCKET_MS[query.width]), starts, next }
}

function emptyResult (dimensions: ReturnType<typeof rowDimensions>): UsageResult {
  return {
    uncached_input_tokens: 0,
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
    cache_read_input_tokens: 0,
    output_tokens: 0,
    server_tool_use: { web_search_requests: 0 },
    ...dimensions,
    service_tier: null,
    context_window: null
  }
}

function addRow (into: UsageResult, row: LedgerRow): void {
  into.uncached_input_tokens += row.uncachedInputTokens
  into.cache_creation.ephemeral_1h_input_tokens += row.cacheWrite1hTokens
  into.cache_creation.ephemeral_5m_input_tokens += row.cacheWrite5mTokens
  into.cache_read_input_tokens += row.cacheReadTokens
  into.output_tokens += row.outputTokens
  into.server_tool_use.web_search_requests += row.webSearchRequests
}

/**
 * Groups rows into the page's buckets: one map per bucket from a key of the grouped
 * dimensions to its running result, filled in one pass over the rows.
 */
export function bucketRows<T> (rows: readonly LedgerRow[], query: ReportQuery, starts: readonly number[], add: (results: Map<string, T>, row: LedgerRow) => void): Array<Map<string, T>> {
  const buckets = starts.map(() => new Map<string, T>())
  const step = BUCKET_MS[query.width]
  const first = starts[0] ?? query.from
  for (const row of rows) {
    const index = Math.floor((row.at - first) / step)
    if (index < 0 || index >= buckets.length || row.at >= query.to || !rowSelected(row, query)) continue
    add(buckets[index]!, row)
  }
  return buckets
}

export function reportOf<T> (buckets: ReadonlyArray<Map<string, T>>, query: ReportQuery, starts: readonly number[], next: number | undefined): Report<T> {
  const step = BUCKET_MS[query.width]
  return {
    data: starts.map((start, index) => ({
      starting_at: new Date(start).toISOString().replace('.000Z', 'Z'),
      ending_at: new Date(start + step).toISOString().replace('.000Z', 'Z'),
      results: [...buckets[index]!.values()]
    })),
    has_more: next !== undefined,
    next_page: next === undefined ? null : pageToken(next)
  }
}

/** GET /v1/organizations/usage_report/messages from the ledger rows of the page's window. */
export function usageReport (rows: readonly LedgerRow[], query: ReportQuery): Report<UsageResult> {
  const { starts, next } = pageWindow(query)
  const buckets = bucketRows<UsageResult>(rows, query, starts, (results, row) => {
    const dimensions = rowDimensions(row, query.groupBy)
    const key = JSON.stringify(dimensions)
    let result = results.get(key)
    if (!result) results.set(key, result = emptyResult(dimensions))
    addRow(result, row)
  })
  return reportOf(buckets, query, starts, next)
}
