import { UpstreamError, UpstreamNetworkError } from '../errors.js'

export type AttemptOutcome = 'ok' | 'rate_limited' | 'rejected' | 'server_error' | 'network'

/** How one failed upstream attempt ended, as counted in claude2api_upstream_attempts_total. */
export function attemptOutcome (error: unknown): AttemptOutcome {
  if (error instanceof UpstreamNetworkError) return 'network'
  if (error instanceof UpstreamError) {
    if (error.status === 429) return 'rate_limited'
    if (error.status >= 500) return 'server_error'
    return 'rejected'
  }
  return 'server_error'
}

export function statusClass (status: number): string {
  return `${Math.floor(status / 100)}xx`
}

/** What a model id may look like to become a label; anything else (prompt text, a pasted key) is `other`. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,79}$/

/**
 * Model ids as metric labels, with bounded cardinality: the known ids, then the first `cap`
 * others the upstream accepted; everything else folds into `other`. A request the upstream has
 * not accepted (a made-up key, an unknown model) may use a label already taken but never takes
 * a slot, so anonymous callers cannot fill them before real models are seen.
 */
export class ModelLabels {
  private readonly seen = new Set<string>()

  constructor (private readonly known: ReadonlySet<string>, private readonly cap = 32) {}

  /** The label of a model the upstream answered for; takes a free slot for a new id. */
  label (model: unknown): string {
    const existing = this.existingLabel(model)
    if (existing !== undefined || typeof model !== 'string' || this.seen.size >= this.cap) return existing ?? 'other'
    this.seen.add(model)
    return model
  }

  /** The label of a model nobody has vouched for: its own only when already known or seen. */
  labelUnaccepted (model: unknown): string {
    return this.existingLabel(model) ?? 'other'
  }

  private existingLabel (model: unknown): string | undefined {
    if (model === undefined || model === null) return 'none'
    if (typeof model !== 'string' || !MODEL_ID.test(model) || model.startsWith('sk-')) return 'other'
    if (this.known.has(model) || this.seen.has(model)) return model
    return undefined
  }
}
