/**
 * The query of Anthropic's Usage and Cost Admin API reports, read and checked once, so the
 * messages usage report, the cost report and the CSV export agree on what a query means.
 */

export type BucketWidth = '1m' | '1h' | '1d'
/** Anthropic's dimensions the ledger has (api_key_id = client, workspace_id = group), plus the protocol. */
export type Dimension = 'api_key_id' | 'workspace_id' | 'model' | 'protocol' | 'description'

export interface ReportQuery {
  /** Start of the first bucket, snapped to the bucket width (ms since the epoch). */
  from: number
  /** Exclusive end: no bucket starts at or after it. */
  to: number
  width: BucketWidth
  limit: number
  groupBy: Dimension[]
  clients: string[] | undefined
  groups: string[] | undefined
  models: string[] | undefined
}

export type ReportKind = 'usage' | 'cost'

export const BUCKET_MS: Record<BucketWidth, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 }
/** Anthropic's default and largest bucket counts per width. */
export const BUCKET_LIMITS: Record<BucketWidth, { default: number, max: number }> = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 }
}
const DIMENSIONS: Record<ReportKind, readonly Dimension[]> = {
  usage: ['api_key_id', 'workspace_id', 'model', 'protocol'],
  cost: ['api_key_id', 'workspace_id', 'description', 'protocol']
}
/** A filter list longer than this is refused: each entry is compared with every row. */
export const MAX_FILTER_VALUES = 100
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

export class ReportQueryError extends Error {
  override name = 'ReportQueryError'
}

type RawQuery = Record<string, string | string[] | undefined>

/** `name[]=a&name[]=b` and `name=a` both give a list; a lone value is a list of one. */
function listOf (query: RawQuery, name: string): string[] | undefined {
  const values = [query[`${name}[]`], query[name]].flat().filter((value): value is string => typeof value === 'string')
  if (values.length === 0) return undefined
  if (values.length > MAX_FILTER_VALUES) throw new ReportQueryError(`${name}[] takes at most ${MAX_FILTER_VALUES} values; ${values.length} were given`)
  return values
}

function single (query: RawQuery, name: string): string | undefined {
  const value = query[name]
  if (Array.isArray(value)) throw new ReportQueryError(`${name} may be given once`)
  return value
}

function timeOf (value: string, name: string): number {
  const at = RFC3339.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(at)) throw new ReportQueryError(`${name} must be an RFC 3339 timestamp such as 2026-11-01T00:00:00Z; got ${JSON.stringify(value.slice(0, 64))}`)
  return at
}

function snap (at: number, width: BucketWidth): number {
  return Math.floor(at / BUCKET_MS[width]) * BUCKET_MS[width]
}

/** The page token is the start of the next bucket, opaque to clients. */
export function pageToken (at: number): string {
  return `page_${Buffer.from(new Date(at).toISOString()).toString('base64url')}`
}

function pageStart (token: string): number {
  const at = token.startsWith('page_') ? Date.parse(Buffer.from(token.slice(5), 'base64url').toString('utf8')) : Number.NaN
  if (Number.isNaN(at)) throw new ReportQueryError('page is not a next_page value this gateway gave')
  return at
}

function widthOf (value: string | undefined, kind: ReportKind): BucketWidth {
  if (value === undefined) return '1d'
  if (kind === 'cost' && value !== '1d') throw new ReportQueryError('bucket_width for the cost report must be "1d"')
  if (value === '1d' || value === '1h' || value === '1m') return value
  throw new ReportQueryError(`bucket_width must be one of "1d", "1h", "1m"; got ${JSON.stringify(value.slice(0, 16))}`)
}

function limitOf (value: string | undefined, width: BucketWidth): number {
  const bounds = BUCKET_LIMITS[width]
  if (value === undefined) return bounds.default
  const limit = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN
  if (!(limit >= 1 && limit <= bounds.max)) throw new ReportQueryError(`limit for bucket_width "${width}" must be a whole number from 1 to ${bounds.max}`)
  return limit
}

function dimensionsOf (values: string[] | undefined, kind: ReportKind): Dimension[] {
  const allowed = DIMENSIONS[kind]
  const dimensions: Dimension[] = []
  for (const value of values ?? []) {
    const dimension = allowed.find((known) => known === value)
    if (!dimension) throw new ReportQueryError(`group_by[] takes ${allowed.map((name) => `"${name}"`).join(', ')}; got ${JSON.stringify(value.slice(0, 32))}`)
    if (!dimensions.includes(dimension)) dimensions.push(dimension)
  }
  return dimensions
}

/** Reads a report's query string; throws ReportQueryError with a sentence for the client. */
export function parseReportQuery (query: RawQuery, kind: ReportKind, now: number): ReportQuery {
  const starting = single(query, 'starting_at')
  if (starting === undefined) throw new ReportQueryError('starting_at is required (an RFC 3339 timestamp)')
  const width = widthOf(single(query, 'bucket_width'), kind)
  const ending = single(query, 'ending_at')
  const page = single(query, 'page')
  const start = snap(timeOf(starting, 'starting_at'), width)
  const from = page === undefined ? start : snap(pageStart(page), width)
  const to = ending === undefined ? now : timeOf(ending, 'ending_at')
  if (to <= start) throw new ReportQueryError('ending_at must be after starting_at')
  return {
    from,
    to,
    width,
    limit: limitOf(single(query, 'limit'), width),
    groupBy: dimensionsOf(listOf(query, 'group_by'), kind),
    clients: listOf(query, 'api_key_ids'),
    groups: listOf(query, 'workspace_ids'),
    models: listOf(query, 'models')
  }
}

/** The buckets one page covers: `limit` at most, none starting at or after `to`. */
export function bucketStarts (query: ReportQuery): { starts: number[], next: number | undefined } {
  const step = BUCKET_MS[query.width]
  const starts: number[] = []
  let at = query.from
  while (at < query.to && starts.length < query.limit) {
    starts.push(at)
    at += step
  }
  return { starts, next: at < query.to ? at : undefined }
}
