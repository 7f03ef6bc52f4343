/** Small statistics helpers for the benchmark (exact percentiles over all samples). */

export function percentile (samples: number[], fraction: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))
  return sorted[rank]
}

export function median (values: number[]): number {
  const defined = values.filter((value) => Number.isFinite(value))
  if (defined.length === 0) return NaN
  const sorted = [...defined].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export interface Percentiles { p50: number; p90: number; p99: number }

export function percentilesOf (samples: number[]): Percentiles {
  return { p50: percentile(samples, 0.5), p90: percentile(samples, 0.9), p99: percentile(samples, 0.99) }
}

/** The median of each field across repeated runs. */
export function medianOfRecords<T extends Record<string, number>> (records: T[]): T {
  const result: Record<string, number> = {}
  const names = new Set(records.flatMap((record) => Object.keys(record)))
  for (const name of names) result[name] = median(records.map((record) => record[name]))
  return result as T
}
