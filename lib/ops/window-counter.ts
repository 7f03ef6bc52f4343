/**
 * Requests per key in fixed windows, in this process's memory, for a limit that must hold when
 * the shared counter (Redis) cannot be reached. At most `maxKeys` keys are tracked: the oldest
 * window is forgotten first, so a flood of addresses costs bounded memory.
 */
export class WindowCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>()

  constructor (private readonly maxKeys = 10_000, private readonly now: () => number = Date.now) {}

  /** Counts one request for `key`; returns the count in its window and the milliseconds left of it. */
  hit (key: string, windowMs: number): { current: number; ttl: number } {
    const time = this.now()
    let window = this.windows.get(key)
    if (window === undefined || window.endsAt <= time) {
      this.windows.delete(key)
      window = { count: 0, endsAt: time + windowMs }
      this.windows.set(key, window)
      if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!)
    }
    window.count++
    return { current: window.count, ttl: window.endsAt - time }
  }
}
