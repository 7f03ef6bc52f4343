/**
 * Lets an event that may repeat every second (a failed reconnect) reach the log at most once
 * per interval: `take()` says whether to report this one and how many were left out since.
 */
export class LogThrottle {
  private last = -Infinity
  private skipped = 0

  constructor (private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** undefined: leave this one out; else report it, with the number left out before it. */
  take (): number | undefined {
    const time = this.now()
    if (time - this.last < this.intervalMs) {
      this.skipped++
      return undefined
    }
    const skipped = this.skipped
    this.skipped = 0
    this.last = time
    return skipped
  }
}
