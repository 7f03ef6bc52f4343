// Rate, concurrency and spend limits on one gateway, in each protocol's own shape.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { startGateway, type RunningGateway } from '../helpers/gateway.js'
import { eventually } from '../helpers/redis.js'
import { NANO_PER_CENT } from '../../lib/clients/limiter.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const ALICE = 'c2a-alice-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const MODEL = 'claude-sonnet-4-6'
/** 100,000 input tokens of Sonnet 4.6 at $3 per million: 30 cents a request. */
const THIRTY_CENTS = { input_tokens: 100000, output_tokens: 0 }

async function setup (t: Tap, alice: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  // A ledger of its own: spend counters start from what the ledger holds for the client.
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-teams-limits-'))
  const gateway = await startGateway(stub.url, { config: { CLIENTS: JSON.stringify([{ name: 'alice', key: ALICE, ...alice }]), DATA_DIR: dataDir, ...config } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { stub, gateway }
}

const anthropicHeaders = { 'x-api-key': ALICE, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
const openAiHeaders = { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' }

async function messages (gateway: RunningGateway, stream = false): Promise<Response> {
  return await fetch(`${gateway.url}/v1/messages?beta=true`, { method: 'POST', headers: anthropicHeaders, body: JSON.stringify({ model: MODEL, max_tokens: 32, stream, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function chat (gateway: RunningGateway): Promise<Response> {
  return await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: openAiHeaders, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) })
}

test('requests per minute: OpenAI headers on every answer, then a 429 with retry-after in each protocol\'s shape', async (t) => {
  const { stub, gateway } = await setup(t, { limits: { rpm: 2 } })
  const first = await chat(gateway)
  t.equal(first.status, 200)
  t.equal(first.headers.get('x-ratelimit-limit-requests'), '2')
  t.equal(first.headers.get('x-ratelimit-remaining-requests'), '1')
  t.match(first.headers.get('x-ratelimit-reset-requests'), /^\d+s$/)
  t.equal((await messages(gateway)).status, 200)
  const refused = await chat(gateway)
  t.equal(refused.status, 429)
  t.ok(Number(refused.headers.get('retry-after')) >= 1 && Number(refused.headers.get('retry-after')) <= 60, 'retry-after until the next minute')
  t.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0')
  t.match(await refused.json(), { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: /2 requests per minute for client 'alice'/ } })
  const anthropic = await messages(gateway)
  t.equal(anthropic.status, 429)
  t.ok(anthropic.headers.get('retry-after'))
  t.match(await anthropic.json(), { type: 'error', error: { type: 'rate_limit_error' } })
  t.equal(stub.requests.length, 2, 'refused requests never went upstream')
})

test('concurrency: a second request while one is running is refused; once it ends there is room again', async (t) => {
  const { stub, gateway } = await setup(t, { limits: { concurrency: 1 } })
  stub.enqueue({ kind: 'fault', fault: 'stall-mid-stream', afterEvents: 2 })
  const controller = new AbortController()
  const running = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: anthropicHeaders, signal: controller.signal, body: JSON.stringify({ model: MODEL, max_tokens: 32, stream: true, messages: [{ role: 'user', content: 'hi' }] }) })
  t.equal(running.status, 200)
  const second = await chat(gateway)
  t.equal(second.status, 429)
  t.match(await second.json(), { error: { message: /1 concurrent requests/ } })
  controller.abort()
  await eventually(async () => (await chat(gateway)).status === 200, 'the slot is given back')
})

test('spend cap on /v1/messages: warning headers past 75 %, then the contract\'s refusal; upstream rate-limit headers never reach the client', async (t) => {
  const { stub, gateway } = await setup(t, { spend: { daily: 100 } })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS, headers: { 'anthropic-ratelimit-requests-remaining': '4000' } }))
  const spent = async (): Promise<number> => (await gateway.app.teams.limiter.spent('c:alice')).daily
  const seen: Array<string | null> = []
  for (let round = 1; round <= 4; round++) {
    const answer = await messages(gateway, round % 2 === 0)
    t.equal(answer.status, 200)
    await answer.text()
    t.equal(answer.headers.get('anthropic-ratelimit-requests-remaining'), null, 'the pool\'s own headers are stripped')
    t.equal(answer.headers.get('anthropic-ratelimit-unified-representative-claim'), 'overage')
    seen.push(answer.headers.get('anthropic-ratelimit-unified-overage-surpassed-threshold'))
    if (round === 4) {
      t.equal(answer.headers.get('anthropic-ratelimit-unified-status'), 'allowed_warning')
      t.equal(answer.headers.get('anthropic-ratelimit-unified-overage-utilization'), '0.90')
    }
    await eventually(async () => await spent() === round * 30 * NANO_PER_CENT, `round ${round} is counted`)
  }
  t.same(seen, [null, null, null, '0.75'], 'the notice starts once 75 % is passed')
  const refused = await messages(gateway)
  t.equal(refused.status, 429)
  t.equal(refused.headers.get('x-should-retry'), 'false')
  t.equal(refused.headers.get('anthropic-ratelimit-unified-status'), 'rejected')
  t.equal(refused.headers.get('anthropic-ratelimit-unified-overage-disabled-reason'), 'org_spend_cap_reached')
  t.equal(refused.headers.get('anthropic-ratelimit-unified-overage-period'), 'daily')
  t.equal(refused.headers.get('anthropic-ratelimit-unified-representative-claim'), null)
  t.equal(refused.headers.get('anthropic-ratelimit-unified-overage-status'), null)
  const reset = Number(refused.headers.get('anthropic-ratelimit-unified-reset'))
  t.equal(reset % 86400, 0, 'resets at UTC midnight')
  t.ok(Math.abs(Number(refused.headers.get('retry-after')) - (reset - Date.now() / 1000)) < 5, 'retry-after counts down to the reset')
  t.match(await refused.json(), { type: 'error', error: { type: 'billing_error', message: /daily spend cap of \$1\.00 for client 'alice'; it resets at .*Z, so wait until then or ask/ } })
  const openAi = await chat(gateway)
  t.equal(openAi.status, 429)
  t.match(await openAi.json(), { error: { type: 'insufficient_quota', code: 'insufficient_quota', message: /daily spend cap/ } })
  t.equal(stub.requests.length, 4, 'nothing went upstream once the cap was reached')
})

test('an organisation default caps a client that sets none; null on the client uncaps it', async (t) => {
  const { stub, gateway } = await setup(t, { spend: { daily: null } }, { ORGANIZATION: JSON.stringify({ spend: { daily: 1 } }), APIKEY: 'legacy-client-key-000000' })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS }))
  for (let round = 0; round < 2; round++) t.equal((await messages(gateway)).status, 200, 'alice is explicitly uncapped')
  const legacy = { ...anthropicHeaders, 'x-api-key': 'legacy-client-key-000000' }
  for (let round = 0; round < 2; round++) t.equal((await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: legacy, body: JSON.stringify({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) })).status, 200, 'an APIKEY client has no limits')
})

test('spend counters start from the ledger: a restarted gateway still refuses a client over its cap', async (t) => {
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-teams-restart-'))
  t.teardown(async () => {
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS }))
  const config = { CLIENTS: JSON.stringify([{ name: 'alice', key: ALICE, spend: { daily: 50 } }]), DATA_DIR: dataDir }
  const first = await startGateway(stub.url, { config })
  for (let round = 0; round < 2; round++) {
    t.equal((await messages(first)).status, 200)
    await eventually(async () => (await first.app.teams.limiter.spent('c:alice')).daily === (round + 1) * 30 * NANO_PER_CENT, 'counted')
  }
  await first.close()
  const second = await startGateway(stub.url, { config })
  t.teardown(async () => { await second.close() })
  t.equal((await second.app.teams.limiter.spent('c:alice')).daily, 60 * NANO_PER_CENT, 'seeded from the ledger')
  t.equal((await messages(second)).status, 429)
})

test('GET /api/oauth/usage: the caller\'s standing in the contract\'s shape, resets_at the same second as the reset header', async (t) => {
  const { stub, gateway } = await setup(t, { spend: { daily: 100, monthly: 1000 } })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS }))
  t.equal((await messages(gateway)).status, 200)
  await eventually(async () => (await gateway.app.teams.limiter.spent('c:alice')).daily === 30 * NANO_PER_CENT, 'counted')
  const answer = await fetch(`${gateway.url}/api/oauth/usage`, { headers: { authorization: `Bearer ${ALICE}` } })
  t.equal(answer.status, 200)
  t.equal(answer.headers.get('cache-control'), 'no-store')
  const usage = await answer.json() as { extra_usage: Record<string, unknown>; limits: Array<Record<string, unknown>> }
  t.same(usage.extra_usage, { is_enabled: true, monthly_limit: 100, used_credits: 30, utilization: 30, currency: 'USD' })
  t.same(usage.limits.map((limit) => [limit.kind, limit.group, limit.percent, limit.severity, limit.is_active]), [['spend', 'daily', 30, 'normal', true], ['spend', 'monthly', 3, 'normal', true]])
  const header = (await messages(gateway)).headers.get('anthropic-ratelimit-unified-reset')
  t.equal(Date.parse(usage.limits[0].resets_at as string) / 1000, Number(header))
  t.equal((await fetch(`${gateway.url}/api/oauth/usage`)).status, 401)
})

test('/metrics counts requests, tokens and cost per client by name, and holds no key', async (t) => {
  const { stub, gateway } = await setup(t, {}, { APIKEY: 'metrics-reader-key-000000' })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS }))
  t.equal((await messages(gateway)).status, 200)
  t.equal((await chat(gateway)).status, 200)
  const read = async (): Promise<string> => await (await fetch(`${gateway.url}/metrics`, { headers: { authorization: 'Bearer metrics-reader-key-000000' } })).text()
  await eventually(async () => (await read()).includes('claude2api_client_requests_total{client="alice"} 2'), 'both requests are counted')
  const text = await read()
  t.match(text, /claude2api_client_tokens_total\{client="alice",kind="input"\} 200000/)
  t.match(text, /claude2api_client_cost_nano_usd_total\{client="alice"\} 600000000/)
  t.notOk(text.includes(ALICE) || text.includes('metrics-reader-key'), 'no key in the metrics')
})

test('a pooled group budget starts from the ledger with the spend it was charged live: a member under a cap of its own is not in the pool', async (t) => {
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-teams-pool-'))
  t.teardown(async () => {
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: THIRTY_CENTS }))
  const BOB = 'c2a-bob-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
  const config = {
    CLIENTS: JSON.stringify([{ name: 'alice', key: ALICE, group: 'backend', spend: { daily: 1000 } }, { name: 'bob', key: BOB, group: 'backend' }]),
    GROUPS: JSON.stringify([{ name: 'backend', spend: { daily: 1000, pooled: true } }]),
    DATA_DIR: dataDir
  }
  const bobHeaders = { ...anthropicHeaders, 'x-api-key': BOB }
  const first = await startGateway(stub.url, { config })
  t.equal((await messages(first)).status, 200)
  t.equal((await fetch(`${first.url}/v1/messages`, { method: 'POST', headers: bobHeaders, body: JSON.stringify({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) })).status, 200)
  await eventually(async () => (await first.app.teams.limiter.spent('c:bob')).daily === 30 * NANO_PER_CENT && (await first.app.teams.limiter.spent('c:alice')).daily === 30 * NANO_PER_CENT, 'both counted')
  const live = (await first.app.teams.limiter.spent('g:backend')).daily
  t.equal(live, 30 * NANO_PER_CENT, 'live, only bob (under the group budget) charges the pool')
  await first.close()
  const second = await startGateway(stub.url, { config })
  t.teardown(async () => { await second.close() })
  t.equal((await second.app.teams.limiter.spent('g:backend')).daily, live, 'after a restart the pool holds what it held live')
})
