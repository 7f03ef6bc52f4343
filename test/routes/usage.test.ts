import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'
import { centsString } from '../../lib/ledger/money.js'

const ALICE = 'c2a-alice-usage-key-aaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'c2a-bob-usage-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const MODEL = 'claude-sonnet-4-6'

t.test('cents are exact decimal strings', async (t) => {
  t.equal(centsString(0), '0')
  t.equal(centsString(10_000_000), '1')
  t.equal(centsString(123_456_789), '12.3456789')
  t.equal(centsString(489_000), '0.0489')
  t.equal(centsString(-5_000_000), '-0.5')
  t.equal(centsString(9_007_199_254_740_991), '900719925.4740991')
})

t.test('GET /v1/usage: a client reads its own usage, cost and what is left of its caps', async (t) => {
  const stub = await startAnthropicStub()
  const dir = mkdtempSync(join(tmpdir(), 'c2a-usage-'))
  const clients = [
    { name: 'alice', key: ALICE, group: 'backend', spend: { daily: 500, weekly: null } },
    { name: 'bob', key: BOB, group: 'backend' }
  ]
  const groups = [{ name: 'backend', spend: { monthly: 20000, pooled: true } }]
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dir, CLIENTS: JSON.stringify(clients), GROUPS: JSON.stringify(groups), ORGANIZATION: JSON.stringify({ spend: { weekly: 3000 } }) } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const chat = async (key: string, usage: Record<string, number>): Promise<void> => {
    stub.enqueue({ content: [{ type: 'text', text: 'ok' }], usage })
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) })
    t.equal(response.status, 200)
    await response.text()
  }
  // Alice: 100,000 input + 10,000 cache reads + 1,000 output = 30 + 0.3 + 1.5 cents.
  await chat(ALICE, { input_tokens: 100_000, cache_read_input_tokens: 10_000, output_tokens: 1000 })
  // Bob: 200,000 input tokens = 60 cents, which counts against the pooled group budget only.
  await chat(BOB, { input_tokens: 200_000, output_tokens: 0 })
  for (let i = 0; i < 200 && (await gateway.app.teamsStore.usageTotals({ from: 0, to: Date.now() + 1000 })).requests < 2; i++) {
    await gateway.app.ledger.flush()
    await new Promise((resolve) => setTimeout(resolve, 25))
  }

  const response = await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: `Bearer ${ALICE}` } })
  t.equal(response.status, 200)
  t.equal(response.headers.get('cache-control'), 'no-store')
  const body = await response.json() as Record<string, any>
  t.equal(body.object, 'usage')
  t.equal(body.client, 'alice')
  t.equal(body.group, 'backend')
  for (const period of ['daily', 'weekly', 'monthly']) {
    t.equal(body[period].requests, 1, `${period}: only alice's own request`)
    t.same(body[period].tokens, { uncached_input: 100_000, cache_write_5m: 0, cache_write_1h: 0, cache_read: 10_000, output: 1000 })
    t.equal(body[period].cost_cents, '31.8')
    t.ok(Date.parse(body[period].starts_at) <= Date.now() && Date.parse(body[period].resets_at) > Date.now())
  }
  t.same(body.daily.cap, { amount_cents: '500', spent_cents: '31.8', remaining_cents: '468.2', pooled: false }, 'her own daily cap')
  t.equal(body.weekly.cap, null, 'her explicit null wins over the organisation default')
  t.same(body.monthly.cap, { amount_cents: '20000', spent_cents: '91.8', remaining_cents: '19908.2', pooled: true }, "the group's pooled budget counts bob's spend too")
  t.equal(new Date(body.weekly.starts_at).getUTCDay(), 1, 'weeks start on Monday')

  const unnamed = await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })
  t.equal(unnamed.status, 404)
  t.match(await unnamed.json(), { error: { code: 'client_not_named' } })
  const anonymous = await fetch(`${gateway.url}/v1/usage`)
  t.equal(anonymous.status, 401)
})
