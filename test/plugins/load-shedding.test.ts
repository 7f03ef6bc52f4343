// @run-alone: it holds the event loop on purpose and judges its delay, which other files running beside it would blur.
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, buildGateway } from '../helpers/gateway.js'

function busyFor (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) { /* hold the event loop */ }
}

test('while the event loop lags, requests get 503 with retry-after in the OpenAI error shape', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { MAX_EVENT_LOOP_DELAY_MS: 1 } })
  // The loop is kept blocked for 50 ms at a time until the request has been answered, so the
  // measured delay stays far above the 1 ms limit whenever it is sampled.
  const blocker = setInterval(() => busyFor(50), 1)
  t.teardown(async () => { clearInterval(blocker); await app.close(); await stub.close() })

  // The first interval after start-up has no samples and reads as Infinity, which is ignored.
  const lagging = (): boolean => { const delay = app.memoryUsage().eventLoopDelay; return delay > 1 && Number.isFinite(delay) }
  while (!lagging()) await sleep(20)
  const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] } })
  clearInterval(blocker)
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  const body = response.json()
  t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'request_id', 'type'])
  t.match(body, { error: { type: 'server_error', code: 'overloaded', param: null, message: /overloaded.*retry/ } })
  t.equal(stub.requests.length, 0, 'nothing went upstream')
})

test('without lag requests are served; MAX_EVENT_LOOP_DELAY_MS=0 turns shedding off', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url, { config: { MAX_EVENT_LOOP_DELAY_MS: 0 } })
  t.teardown(async () => { await app.close(); await stub.close() })
  t.equal(app.hasDecorator('memoryUsage'), false, 'under-pressure is not registered')
  const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: authHeaders, payload: { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] } })
  t.equal(response.statusCode, 200)
})
