import type { AnthropicUsage } from '../anthropic/types.js'
import type { LedgerRow } from '../store/teams-store.js'
import { addBilled, billedUsage, noUsage, type BilledUsage, type PriceTable } from './prices.js'

export type Protocol = LedgerRow['protocol']

/** Who asked, as the authentication found it. */
export interface AccountHolder { client: string | null; group: string | null }

/**
 * Everything one request's ledger row needs, gathered while it runs: the usage of each
 * upstream answer as the client was told it, and which key served it. It is written once,
 * when the response is over and every usage source it opened has reported.
 */
export class RequestAccount {
  usage: BilledUsage = noUsage()
  requestedModel: string | null = null
  upstreamModel: string | null = null
  keyLabel: string | null = null
  upstreamRequestId: string | null = null
  errorType: string | null = null
  streamed = false
  /** The prompt-cache outcome as `x-claude2api-cache` says it (lib/cache/cache-outcome.ts). */
  cacheOutcome: string | null = null
  ttftMs: number | null = null
  holder: AccountHolder = { client: null, group: null }
  private openSources = 0
  private responseEnd: { status: number; durationMs: number } | undefined
  private done = false

  constructor (
    readonly requestId: string,
    readonly protocol: Protocol,
    readonly route: string,
    /** Date.now() when the request arrived. */
    readonly startedAt: number,
    /** performance.now() when the request arrived, for durations. */
    private readonly startedClock: number,
    private readonly onComplete: (account: RequestAccount) => void
  ) {}

  /** One finished upstream answer's usage (several for chat's `n` > 1). */
  addUsage (model: string, usage: AnthropicUsage): void {
    this.upstreamModel ??= model
    this.usage = addBilled(this.usage, billedUsage(usage))
  }

  /** Which pool key answered and the upstream's request-id (the last answer's, for chat's `n` > 1). */
  served (answer: { keyLabel: string | null; requestId: string | null }): void {
    this.keyLabel = answer.keyLabel
    this.upstreamRequestId = answer.requestId
  }

  firstToken (now: number): void {
    this.ttftMs ??= Math.max(0, now - this.startedClock)
  }

  /** An answer whose usage arrives later (a stream, a passed-through body): the row waits for `release`. */
  hold (): () => void {
    this.openSources++
    let released = false
    return () => {
      if (released) return
      released = true
      this.openSources--
      this.maybeComplete()
    }
  }

  /** A failure the status code does not show (e.g. one after a stream began). */
  fail (errorType: string): void {
    this.errorType ??= errorType
  }

  /** The response is over (sent, failed or abandoned by the client). */
  end (status: number, now: number): void {
    if (this.responseEnd) return
    this.responseEnd = { status, durationMs: Math.max(0, now - this.startedClock) }
    this.maybeComplete()
  }

  /** Writes the row even though a usage source never reported (it was abandoned unread). */
  forceComplete (): void {
    this.openSources = 0
    this.maybeComplete()
  }

  private maybeComplete (): void {
    if (this.done || !this.responseEnd || this.openSources > 0) return
    this.done = true
    this.onComplete(this)
  }

  toRow (prices: PriceTable): LedgerRow {
    const end = this.responseEnd ?? { status: 0, durationMs: 0 }
    const quote = this.upstreamModel === null ? undefined : prices.quote(this.upstreamModel, this.usage)
    return {
      at: this.startedAt,
      requestId: this.requestId,
      upstreamRequestId: this.upstreamRequestId,
      client: this.holder.client,
      group: this.holder.group,
      protocol: this.protocol,
      route: this.route,
      requestedModel: this.requestedModel,
      upstreamModel: this.upstreamModel,
      keyLabel: this.keyLabel,
      status: end.status,
      errorType: this.errorType ?? (end.status >= 400 ? `http_${end.status}` : null),
      ...this.usage,
      // A request that never reached a model (refused before upstream) cost nothing, knowingly.
      costNanoUsd: quote?.costNanoUsd ?? (this.upstreamModel === null ? 0 : null),
      priceVersion: quote?.priceVersion ?? null,
      durationMs: end.durationMs,
      ttftMs: this.ttftMs,
      streamed: this.streamed,
      cacheOutcome: this.cacheOutcome
    }
  }
}

/** Which protocol a route pattern speaks, or undefined for routes that write no ledger row. */
export function protocolOfRoute (method: string, route: string): Protocol | undefined {
  if (method !== 'POST') return undefined
  if (route.endsWith('/v1/chat/completions')) return 'chat'
  if (route.endsWith('/v1/responses')) return 'responses'
  if (route.endsWith('/v1/messages')) return 'messages'
  return undefined
}
