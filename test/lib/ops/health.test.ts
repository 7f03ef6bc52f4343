// /health says unavailable only when nothing can be served until an operator acts.
import { test } from 'tap'
import { judgeHealth } from '../../../lib/ops/health.js'

const POOL_OK = { total: 3, healthy: 2, cooling: 1, disabled: 0 }
const ALL_DISABLED = { total: 2, healthy: 0, cooling: 0, disabled: 2 }
const ALL_COOLING = { total: 2, healthy: 0, cooling: 2, disabled: 0 }
const EMPTY = { total: 0, healthy: 0, cooling: 0, disabled: 0 }

function judge (overrides: Partial<Parameters<typeof judgeHealth>[0]>): ReturnType<typeof judgeHealth> {
  return judgeHealth({ draining: false, pool: POOL_OK, mirror: false, stateConnected: true, ...overrides })
}

test('a working pool with shared state reachable is ok', async (t) => {
  t.same(judge({}), { status: 'ok', ready: true })
  t.same(judge({ pool: EMPTY }), { status: 'ok', ready: true }, 'no pool keys at all (mirror-only or callers\' own keys) is not a fault')
})

test('draining wins over everything and is not ready', async (t) => {
  t.same(judge({ draining: true, pool: ALL_DISABLED, stateConnected: false }), { status: 'draining', reason: 'shutting down', ready: false })
})

test('every pool key disabled is unavailable, unless mirror mode still serves callers\' own keys', async (t) => {
  t.same(judge({ pool: ALL_DISABLED }), { status: 'unavailable', reason: 'no usable upstream key', ready: false })
  const mirrored = judge({ pool: ALL_DISABLED, mirror: true })
  t.equal(mirrored.status, 'degraded', 'mirror mode: degraded, not unavailable')
  t.equal(mirrored.ready, true, 'and still ready (200)')
  t.equal(judge({ pool: { total: 3, healthy: 0, cooling: 1, disabled: 2 } }).status, 'degraded', 'one key only cooling: it comes back by itself')
  t.equal(judge({ pool: { total: 3, healthy: 1, cooling: 0, disabled: 2 } }).status, 'ok', 'one healthy key is enough')
})

test('every key cooling, or shared state unreachable, is degraded but ready', async (t) => {
  t.same(judge({ pool: ALL_COOLING }), { status: 'degraded', reason: 'every upstream key is cooling down or disabled', ready: true })
  t.same(judge({ stateConnected: false }), { status: 'degraded', reason: 'shared state unreachable; using this instance\'s local view', ready: true })
  t.same(judge({ pool: EMPTY, stateConnected: false }).status, 'degraded', 'Redis unreachable is reported whatever the pool')
})
