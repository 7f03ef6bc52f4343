import type { PoolStatus } from '../key-pool.js'

export type HealthStatus = 'ok' | 'degraded' | 'draining' | 'unavailable'

export interface HealthInputs {
  draining: boolean
  pool: PoolStatus
  /** Mirror mode serves callers' own keys even when the pool is empty or spent. */
  mirror: boolean
  stateConnected: boolean
  /** Why load is being shed right now, if it is. */
  overload?: string
}

export interface HealthVerdict { status: HealthStatus; reason?: string; ready: boolean }

/**
 * What /health says without revealing the pool: unavailable (503) only when nothing can be
 * served until an operator acts; temporary trouble (every key cooling, shared state
 * unreachable) is `degraded` and still 200, so a liveness probe does not restart a working process.
 */
export function judgeHealth (inputs: HealthInputs): HealthVerdict {
  if (inputs.draining) return { status: 'draining', reason: 'shutting down', ready: false }
  const { pool } = inputs
  if (pool.total > 0 && pool.disabled === pool.total && !inputs.mirror) {
    return { status: 'unavailable', reason: 'no usable upstream key', ready: false }
  }
  // Alive but shedding: a load balancer should send traffic elsewhere until the lag is gone.
  if (inputs.overload !== undefined) return { status: 'degraded', reason: inputs.overload, ready: false }
  if (pool.total > 0 && pool.healthy === 0) return { status: 'degraded', reason: 'every upstream key is cooling down or disabled', ready: true }
  if (!inputs.stateConnected) return { status: 'degraded', reason: 'shared state unreachable; using this instance\'s local view', ready: true }
  return { status: 'ok', ready: true }
}
