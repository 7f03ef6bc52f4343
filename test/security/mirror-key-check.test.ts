// A mirror caller's key is checked upstream (one cheap call, remembered per key digest) before
// the gateway reads or translates anything, so a made-up key of the right shape costs nothing.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const GOOD = anthropicApiKey('mirror-key-check-good')
const FAKE = anthropicApiKey('mirror-key-check-made-up')

async function setup (t: Tap): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ keys: [...UPSTREAM_KEYS, GOOD] })
  const gateway = await startGateway(stub.url, { config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' } })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  return { stub, gateway }
}

async function call (gateway: RunningGateway, path: string, key: string, body: unknown): Promise<Response> {
  return await fetch(`${gateway.url}/mirror${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) })
}

test('a made-up key is refused before its body is translated, and the verdict is remembered', async (t) => {
  const { stub, gateway } = await setup(t)
  // Bodies the translation would refuse with a 400: a 401 instead shows nothing was translated.
  const cases: Array<[string, unknown]> = [
    ['/v1/chat/completions', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }], not_a_field: 1 }],
    ['/v1/responses', { model: 'claude-sonnet-4-6', input: 'Hi', not_a_field: 1 }],
    ['/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }]
  ]
  for (const [path, body] of cases) {
    const answer = await call(gateway, path, FAKE, body)
    t.equal(answer.status, 401, `${path}: 401`)
    const text = await answer.text()
    t.notOk(text.includes(FAKE), 'the key is not quoted back')
  }
  const upstream = stub.requests.filter((request) => request.key === FAKE)
  t.equal(upstream.length, 1, 'one upstream call for the made-up key, whatever the route')
  t.equal(upstream[0]?.method, 'GET', 'and it was a cheap models call')
  t.match(upstream[0]?.path, /^\/v1\/models/)
})

test('a real key is checked once, then served without another check', async (t) => {
  const { stub, gateway } = await setup(t)
  const chat = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] }
  t.equal((await call(gateway, '/v1/chat/completions', GOOD, chat)).status, 200)
  t.equal((await call(gateway, '/v1/chat/completions', GOOD, chat)).status, 200)
  const checks = stub.requests.filter((request) => request.key === GOOD && request.method === 'GET')
  t.equal(checks.length, 1, 'one models call for two requests')
  t.equal(stub.requests.filter((request) => request.key === GOOD && request.method === 'POST').length, 2, 'both requests went upstream')
})
