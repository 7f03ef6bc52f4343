import { costParts, type PriceTable } from '../ledger/prices.js'
import type { LedgerRow } from '../store/teams-store.js'
import type { ReportQuery } from './report-query.js'
import { bucketRows, pageWindow, reportOf, rowDimensions, rowModel, type Report } from './usage-report.js'

/** Anthropic's token types as the cost report names them, each with the ledger field it counts. */
export const TOKEN_TYPES = [
  { type: 'uncached_input_tokens', label: 'Input Tokens', tokens: (row: LedgerRow) => row.uncachedInputTokens },
  { type: 'output_tokens', label: 'Output Tokens', tokens: (row: LedgerRow) => row.outputTokens },
  { type: 'cache_read_input_tokens', label: 'Cache Read Input Tokens', tokens: (row: LedgerRow) => row.cacheReadTokens },
  { type: 'cache_creation.ephemeral_5m_input_tokens', label: '5m Cache Write Input Tokens', tokens: (row: LedgerRow) => row.cacheWrite5mTokens },
  { type: 'cache_creation.ephemeral_1h_input_tokens', label: '1h Cache Write Input Tokens', tokens: (row: LedgerRow) => row.cacheWrite1hTokens }
] as const
export type TokenType = typeof TOKEN_TYPES[number]['type']

/** A row's billed parts in pico-USD, by token type and web search; undefined when it cannot be split. */
export type RowParts = Record<TokenType | 'web_search', bigint>
export type CostSplitter = (row: LedgerRow) => RowParts | undefined

/** Splits rows with the price table's entry named in each row's price version (`<id>@<date>`). */
export function splitterFor (prices: PriceTable): CostSplitter {
  return (row) => {
    const id = row.priceVersion?.split('@')[0]
    const price = id === undefined ? undefined : prices.lookup(id)
    if (!price) return undefined
    const parts = costParts(price, row)
    return {
      uncached_input_tokens: parts.uncachedInput,
      output_tokens: parts.output,
      cache_read_input_tokens: parts.cacheRead,
      'cache_creation.ephemeral_5m_input_tokens': parts.cacheWrite5m,
      'cache_creation.ephemeral_1h_input_tokens': parts.cacheWrite1h,
      web_search: parts.webSearch
    }
  }
}

export interface CostResult {
  /** Cents, as an exact decimal string. */
  amount: string
  currency: 'USD'
  description: string | null
  cost_type: 'tokens' | 'web_search' | null
  model: string | null
  service_tier: string | null
  token_type: TokenType | null
  context_window: string | null
  workspace_id: string | null
  api_key_id: string | null
  protocol: string | null
  /** Requests in this result whose model had no price: their cost is unknown, not zero. */
  unpriced_requests: number
}

const PICO_PER_NANO = 1000n
const PICO_PER_CENT = 10_000_000_000n

/** Pico-USD as cents in a decimal string, exactly: 12_345_000_000_000n is "1234.5". */
export function centsString (pico: bigint): string {
  const negative = pico < 0n
  const magnitude = negative ? -pico : pico
  const whole = magnitude / PICO_PER_CENT
  const fraction = (magnitude % PICO_PER_CENT).toString().padStart(10, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}

interface Running { result: CostResult, pico: bigint }

/** A result's line: a token type, web search, or requests that could not be priced. */
type Line = TokenType | 'web_search' | 'unpriced'

function describe (model: string | null, type: Line): string {
  if (type === 'web_search') return 'Web Search'
  if (type === 'unpriced') return `${model ?? 'unknown model'} Usage - no price known`
  return `${model ?? 'unknown model'} Usage - ${TOKEN_TYPES.find((entry) => entry.type === type)!.label}`
}

/**
 * The row's cost by part. Parts are priced from today's table; the row's own cost (priced when it
 * was written) stays the total, the difference (rounding, or a price changed since) going to its
 * largest part, so a report never disagrees with the ledger.
 */
function partsOf (row: LedgerRow, split: CostSplitter): Array<[TokenType | 'web_search', bigint]> {
  const total = BigInt(row.costNanoUsd!) * PICO_PER_NANO
  const parts = Object.entries(split(row) ?? { output_tokens: total }) as Array<[TokenType | 'web_search', bigint]>
  const nonZero = parts.filter(([, pico]) => pico !== 0n)
  if (nonZero.length === 0) return total === 0n ? [] : [['output_tokens', total]]
  const sum = nonZero.reduce((acc, [, pico]) => acc + pico, 0n)
  const largest = nonZero.reduce((best, part) => (part[1] > best[1] ? part : best))
  largest[1] += total - sum
  return nonZero
}

function resultFor (results: Map<string, Running>, row: LedgerRow, query: ReportQuery, type: Line | undefined): Running {
  const { model: _model, ...dimensions } = rowDimensions(row, query.groupBy)
  const byDescription = type !== undefined
  const model = byDescription && type !== 'web_search' ? rowModel(row) : null
  const key = JSON.stringify([dimensions, type ?? null, model])
  let running = results.get(key)
  if (!running) {
    running = {
      pico: 0n,
      result: {
        amount: '0',
        currency: 'USD',
        description: byDescription ? describe(model, type) : null,
        cost_type: byDescription ? (type === 'web_search' ? 'web_search' : 'tokens') : null,
        model,
        service_tier: byDescription && type !== 'web_search' ? 'standard' : null,
        token_type: byDescription && type !== 'web_search' && type !== 'unpriced' ? type : null,
        context_window: null,
        ...dimensions,
        unpriced_requests: 0
      }
    }
    results.set(key, running)
  }
  return running
}

/** GET /v1/organizations/cost_report from the ledger rows of the page's window. */
export function costReport (rows: readonly LedgerRow[], query: ReportQuery, split: CostSplitter): Report<CostResult> {
  const { starts, next } = pageWindow(query)
  const byDescription = query.groupBy.includes('description')
  const buckets = bucketRows<Running>(rows, query, starts, (results, row) => {
    if (row.costNanoUsd === null) {
      resultFor(results, row, query, byDescription ? 'unpriced' : undefined).result.unpriced_requests++
      return
    }
    if (!byDescription) {
      resultFor(results, row, query, undefined).pico += BigInt(row.costNanoUsd) * PICO_PER_NANO
      return
    }
    for (const [type, pico] of partsOf(row, split)) resultFor(results, row, query, type).pico += pico
  })
  const finished = buckets.map((results) => new Map([...results].map(([key, running]) => [key, { ...running.result, amount: centsString(running.pico) }])))
  return reportOf(finished, query, starts, next)
}
