import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, postChat, startGateway, type RunningGateway } from '../helpers/gateway.js'
import { eventually } from '../helpers/redis.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEYS = ['sk-ant-api03-reject-alpha-111111111111111', 'sk-ant-api03-reject-bravo-222222222222222']
const FORBIDDEN_MODEL = 'claude-opus-4-7'
const ALLOWED_MODEL = 'claude-sonnet-4-6'

async function setup (t: Tap, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: KEYS.join(','), ...config } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

let conversation = 0
// A new conversation each time: one conversation would keep to the key it used first (session affinity).
const chat = (model: string): Record<string, unknown> => ({ model, messages: [{ role: 'user', content: `hello ${++conversation}` }] })

test('a 403 about the request (a model the organisation may not use) goes back to the client and leaves the pool alone', async (t) => {
  const { stub, gateway } = await setup(t)
  stub.respondWith((request) => request.body?.model === FORBIDDEN_MODEL
    ? { kind: 'error', status: 403, type: 'permission_error', message: `Your organization does not have access to the model ${FORBIDDEN_MODEL}.` }
    : undefined)

  const refused = await postChat(gateway.url, chat(FORBIDDEN_MODEL))
  t.equal(refused.status, 403, 'the client gets the 403')
  const body: any = await refused.json()
  t.match(body, { error: { type: 'permission_error' } })
  t.match(body.error.message, /does not have access to the model/)
  t.same(gateway.app.keyPool.status(), { total: 2, healthy: 2, cooling: 0, disabled: 0 }, 'no key left the pool')
  t.equal(stub.requests.length, 1, 'asked once: another key would be refused the same model')

  const allowed = await postChat(gateway.url, chat(ALLOWED_MODEL))
  t.equal(allowed.status, 200, 'other requests still work')
})

test('a 401 disables the key; after KEY_RECHECK_SECONDS a models call finds it working and it comes back', async (t) => {
  const { stub, gateway } = await setup(t, { KEY_RECHECK_SECONDS: 1 })
  stub.keyBehaviour.set(KEYS[0], { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })

  for (let round = 0; round < 2; round++) t.equal((await postChat(gateway.url, chat(ALLOWED_MODEL))).status, 200)
  t.match(gateway.app.keyPool.status(), { disabled: 1, healthy: 1 })
  t.equal(gateway.app.keyPool.all[0].disabledReason, '401 authentication_error')

  const modelChecks = (): number => stub.requests.filter((request) => request.path === '/v1/models' && request.key === KEYS[0]).length
  const confirmations = modelChecks()
  t.equal(confirmations, 1, 'the refusal was confirmed with one models call before the key was disabled')
  stub.keyBehaviour.delete(KEYS[0])
  await eventually(() => gateway.app.keyPool.status().disabled === 0, 'the key is back in the pool')
  t.ok(modelChecks() > confirmations, 'it was re-checked with a models call')

  stub.requests.length = 0
  for (let round = 0; round < 4; round++) t.equal((await postChat(gateway.url, chat(ALLOWED_MODEL))).status, 200)
  t.equal(stub.requests.filter((request) => request.key === KEYS[0] && request.path === '/v1/messages').length, 2, 'and takes its turn again')
})

test('a re-check that is refused again keeps the key out', async (t) => {
  const unknownKey = 'sk-ant-api03-not-known-to-the-stub-99999'
  const stub = await startAnthropicStub({ keys: [KEYS[0]] })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: `${KEYS[0]},${unknownKey}`, KEY_RECHECK_SECONDS: 1 } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  for (let round = 0; round < 2; round++) t.equal((await postChat(gateway.url, chat(ALLOWED_MODEL))).status, 200)
  t.match(gateway.app.keyPool.status(), { disabled: 1 })
  const checks = (): number => stub.requests.filter((request) => request.path === '/v1/models' && request.key === unknownKey).length
  await eventually(() => checks() >= 2, 'two re-checks were made')
  t.match(gateway.app.keyPool.status(), { disabled: 1 }, 'still disabled after refused re-checks')
})

const BETA_REFUSAL = { kind: 'error' as const, status: 401, type: 'authentication_error', message: 'invalid x-api-key' }

test('a 401 caused by the request (every key refuses a beta) disables no key: one attempt, one models call, then the client hears it', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: [...KEYS, 'sk-ant-api03-reject-charlie-33333333333333'].join(',') })
  stub.respondWith((request) => String(request.headers['anthropic-beta'] ?? '').includes('forbidden-beta-2026') ? BETA_REFUSAL : undefined)
  const answer = await fetch(`${gateway.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'forbidden-beta-2026', 'content-type': 'application/json' },
    body: JSON.stringify({ model: ALLOWED_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
  })
  const body: any = await answer.json()
  t.equal(answer.status, 403, 'a permission error: the client\'s own key is fine')
  t.match(body, { type: 'error', error: { type: 'permission_error', message: /refused this request with a working key/ } })
  t.same(gateway.app.keyPool.status(), { total: 3, healthy: 3, cooling: 0, disabled: 0 }, 'no key left the pool')
  t.equal(stub.requests.filter((request) => request.path === '/v1/messages').length, 1, 'one key was asked, not every key')
  t.equal(stub.requests.filter((request) => request.path === '/v1/models').length, 1, 'one models call confirmed the key works')
})

test('one key rejection per request: a second refused key ends the request; the keys left serve the next one', async (t) => {
  const { stub, gateway } = await setup(t, { ANTHROPIC_API_KEYS: [...KEYS, 'sk-ant-api03-reject-charlie-33333333333333'].join(',') })
  for (const key of KEYS) stub.keyBehaviour.set(key, BETA_REFUSAL)
  const first = await postChat(gateway.url, chat(ALLOWED_MODEL))
  t.equal(first.status, 503)
  t.match(await first.json(), { error: { code: 'upstream_key_rejected' } })
  t.equal(first.headers.get('retry-after'), '1')
  t.same(stub.requests.filter((request) => request.path === '/v1/messages').map((request) => request.key), KEYS, 'the third key was not tried for it')
  t.match(gateway.app.keyPool.status(), { disabled: 2, healthy: 1 }, 'both refusals were confirmed dead')
  t.equal((await postChat(gateway.url, chat(ALLOWED_MODEL))).status, 200, 'the next request uses the key left')
})
