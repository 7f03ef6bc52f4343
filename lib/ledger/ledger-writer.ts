import type { LedgerRow, TeamsStore } from '../store/teams-store.js'

export interface LedgerWriterOptions {
  /** Rows written together; a full batch is written at once. */
  batchSize: number
  /** A partial batch waits at most this long. */
  flushIntervalMs: number
  /** Rows kept while the store cannot be written; past it the oldest are dropped and counted. */
  maxPending: number
  /** After a failed write, the next attempt waits this long. */
  retryDelayMs: number
  onWriteError: (error: unknown, pending: number) => void
  onDropped: (count: number) => void
  onRecovered: (written: number) => void
}

/**
 * Batches ledger rows and writes them off the request path. When the store is down the rows
 * stay in a bounded buffer and go in when it answers again, in order; only overflowing that
 * buffer loses rows, and that is reported.
 */
export class LedgerWriter {
  private pending: LedgerRow[] = []
  /** The rows at the head of `pending` that a write has taken; overflow never drops them. */
  private inFlight = 0
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> | undefined
  private failing = false
  private closed = false

  constructor (private readonly store: TeamsStore, private readonly options: LedgerWriterOptions) {}

  get pendingRows (): number {
    return this.pending.length
  }

  /** Whether the last write failed (the store is down). */
  get degraded (): boolean {
    return this.failing
  }

  add (row: LedgerRow): void {
    this.pending.push(row)
    const overflow = this.pending.length - this.options.maxPending
    if (overflow > 0) {
      this.pending.splice(this.inFlight, overflow)
      this.options.onDropped(overflow)
    }
    if (this.closed) return
    if (this.pending.length >= this.options.batchSize && !this.failing) this.kick()
    else this.schedule(this.failing ? this.options.retryDelayMs : this.options.flushIntervalMs)
  }

  /** Writes everything pending now (shutdown, tests); rejects if the store refuses. Writes never overlap. */
  async flush (): Promise<void> {
    for (;;) {
      if (this.writing) {
        await this.writing
        continue
      }
      if (this.pending.length === 0) return
      const before = this.pending.length
      this.kick()
      await this.writing
      if (this.failing && this.pending.length >= before) throw new Error('the ledger store did not accept the pending rows')
    }
  }

  async close (): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.writing) await this.writing
  }

  private schedule (delayMs: number): void {
    if (this.timer !== undefined || this.writing) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.kick()
    }, delayMs)
    this.timer.unref()
  }

  private kick (): void {
    if (this.writing) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.writing = this.drain().finally(() => {
      this.writing = undefined
      if (this.pending.length > 0 && !this.closed) this.schedule(this.failing ? this.options.retryDelayMs : this.options.flushIntervalMs)
    })
  }

  private async drain (): Promise<void> {
    while (this.pending.length > 0) {
      await this.writeBatch()
      if (this.failing) return
      if (this.pending.length < this.options.batchSize) return
    }
  }

  private async writeBatch (): Promise<void> {
    const batch = this.pending.slice(0, this.options.batchSize)
    this.inFlight = batch.length
    try {
      await this.store.insertLedgerRows(batch)
    } catch (error) {
      this.failing = true
      this.options.onWriteError(error, this.pending.length)
      return
    } finally {
      this.inFlight = 0
    }
    this.pending.splice(0, batch.length)
    if (this.failing) {
      this.failing = false
      this.options.onRecovered(batch.length)
    }
  }
}
