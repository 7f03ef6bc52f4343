import { test } from 'tap'
import { TrafficWindow } from '../../../lib/ops/traffic-window.js'

test('sums the last minutes, drops older ones, and gives latency percentiles', async (t) => {
  let now = Date.UTC(2026, 0, 1, 12, 0, 30)
  const window = new TrafficWindow(15, () => now)
  for (const ms of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) window.recordRequest(ms, 200)
  window.recordRequest(5, 401)
  window.recordRequest(500, 502)
  window.recordTokens(300, 40)

  const first = window.summary()
  t.equal(first.requests, 12)
  t.equal(first.clientErrors, 1)
  t.equal(first.serverErrors, 1)
  t.same([first.inputTokens, first.outputTokens], [300, 40])
  t.same(first.latencyMs, { p50: 50, p90: 100, p99: 500 })
  t.equal(first.perMinute.length, 15)
  t.same(first.perMinute.at(-1), { start: Date.UTC(2026, 0, 1, 12, 0, 0), requests: 12, errors: 2, tokens: 340 })

  now += 14 * 60_000
  window.recordRequest(1000, 200)
  t.equal(window.summary().requests, 13, 'fourteen minutes later the first minute still counts')
  now += 60_000
  const later = window.summary()
  t.equal(later.requests, 1, 'fifteen minutes later it is gone')
  t.same(later.latencyMs, { p50: 1000, p90: 1000, p99: 1000 })
  now += 15 * 60_000
  t.same(window.summary().latencyMs, { p50: null, p90: null, p99: null }, 'an idle window has no percentiles')
})

test('keeps a bounded latency sample however many requests a minute sees', async (t) => {
  const window = new TrafficWindow(15, () => 0, () => 0.999)
  for (let index = 0; index < 5000; index++) window.recordRequest(index, 200)
  const summary = window.summary()
  t.equal(summary.requests, 5000)
  t.equal(summary.latencyMs.p99, 506, 'only the first 512 samples were kept, as the fixed random source never picks a slot')
})

test('an empty window has no latency figures; a 500 is a server error, a 499 a client error', async (t) => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 30)
  const window = new TrafficWindow(15, () => now)
  t.strictSame(window.summary().latencyMs, { p50: null, p90: null, p99: null })
  window.recordRequest(10, 500)
  window.recordRequest(10, 499)
  window.recordRequest(10, 399)
  const summary = window.summary()
  t.same([summary.serverErrors, summary.clientErrors, summary.requests], [1, 1, 3])
})
