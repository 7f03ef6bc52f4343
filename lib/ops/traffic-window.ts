/** Requests, errors, tokens and latencies of the last minutes, for the status page. */
export interface TrafficMinute {
  /** Start of the minute, ms since the epoch. */
  start: number
  requests: number
  clientErrors: number
  serverErrors: number
  inputTokens: number
  outputTokens: number
  /** A bounded sample of request durations (ms) in this minute. */
  latencies: number[]
}

export interface TrafficSummary {
  minutes: number
  requests: number
  clientErrors: number
  serverErrors: number
  inputTokens: number
  outputTokens: number
  latencyMs: { p50: number | null; p90: number | null; p99: number | null }
  /** One entry per minute, oldest first, with missing minutes as zeros. */
  perMinute: Array<{ start: number; requests: number; errors: number; tokens: number }>
}

const MINUTE_MS = 60_000
/** Per minute; past it, samples are replaced at random so the sample stays fair (reservoir sampling). */
const LATENCY_SAMPLES = 512

function percentile (sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]
}

/**
 * A ring of per-minute buckets: fixed memory however much traffic comes, nothing shared
 * between instances (each page shows its own instance, as Prometheus does per target).
 */
export class TrafficWindow {
  private readonly buckets: TrafficMinute[] = []

  constructor (private readonly minutes = 15, private readonly now: () => number = Date.now, private readonly random: () => number = Math.random) {}

  recordRequest (durationMs: number, status: number): void {
    const bucket = this.current()
    bucket.requests++
    if (status >= 500) bucket.serverErrors++
    else if (status >= 400) bucket.clientErrors++
    if (bucket.latencies.length < LATENCY_SAMPLES) bucket.latencies.push(durationMs)
    else {
      const slot = Math.floor(this.random() * bucket.requests)
      if (slot < LATENCY_SAMPLES) bucket.latencies[slot] = durationMs
    }
  }

  recordTokens (input: number, output: number): void {
    const bucket = this.current()
    bucket.inputTokens += input
    bucket.outputTokens += output
  }

  summary (): TrafficSummary {
    const first = this.minuteOf(this.now()) - (this.minutes - 1) * MINUTE_MS
    const live = this.buckets.filter((bucket) => bucket.start >= first)
    const latencies = live.flatMap((bucket) => bucket.latencies).sort((a, b) => a - b)
    const sum = (pick: (bucket: TrafficMinute) => number): number => live.reduce((total, bucket) => total + pick(bucket), 0)
    const perMinute = Array.from({ length: this.minutes }, (_, index) => {
      const start = first + index * MINUTE_MS
      const bucket = live.find((item) => item.start === start)
      return { start, requests: bucket?.requests ?? 0, errors: (bucket?.clientErrors ?? 0) + (bucket?.serverErrors ?? 0), tokens: (bucket?.inputTokens ?? 0) + (bucket?.outputTokens ?? 0) }
    })
    return {
      minutes: this.minutes,
      requests: sum((bucket) => bucket.requests),
      clientErrors: sum((bucket) => bucket.clientErrors),
      serverErrors: sum((bucket) => bucket.serverErrors),
      inputTokens: sum((bucket) => bucket.inputTokens),
      outputTokens: sum((bucket) => bucket.outputTokens),
      latencyMs: { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99) },
      perMinute
    }
  }

  private minuteOf (time: number): number {
    return time - (time % MINUTE_MS)
  }

  private current (): TrafficMinute {
    const start = this.minuteOf(this.now())
    const last = this.buckets.at(-1)
    if (last?.start === start) return last
    const bucket: TrafficMinute = { start, requests: 0, clientErrors: 0, serverErrors: 0, inputTokens: 0, outputTokens: 0, latencies: [] }
    this.buckets.push(bucket)
    while (this.buckets.length > 0 && this.buckets[0].start <= start - this.minutes * MINUTE_MS) this.buckets.shift()
    return bucket
  }
}
