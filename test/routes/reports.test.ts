import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway, type RunningGateway } from '../helpers/gateway.js'
import { createTestDatabase } from '../helpers/postgres.js'

const ADMIN = 'admin-key-for-reports-0123456789'
const READER = 'read-only-admin-key-0123456789'
const ALICE = 'c2a-alice-report-key-0123456789abcdef'
const BOB = 'c2a-bob-report-key-0123456789abcdefgh'
const HAIKU = 'claude-haiku-4-5-20251001'
const SONNET = 'claude-sonnet-4-6'
const CLIENTS = [{ name: 'alice', key: ALICE, group: 'backend', spend: { daily: 1000 } }, { name: 'bob', key: BOB }]
const GROUPS = [{ name: 'backend' }]

/** What the clients were told, per client: fresh input, cache writes, cache reads, output. */
interface Told { input: number, write: number, read: number, output: number }

async function setup (t: Test, databaseUrl?: string): Promise<{ stub: AnthropicStub, gateway: RunningGateway }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'claude2api-reports-'))
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, {
    config: { DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), CLIENTS: JSON.stringify(CLIENTS), GROUPS: JSON.stringify(GROUPS), ADMIN_KEYS: ADMIN, ADMIN_READ_KEYS: READER }
  })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { stub, gateway }
}

async function chat (gateway: RunningGateway, key: string, model: string): Promise<Told> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there' }] }) })
  const body = await response.json() as { usage: { prompt_tokens: number, completion_tokens: number, prompt_tokens_details: { cached_tokens: number } } }
  return { input: body.usage.prompt_tokens - body.usage.prompt_tokens_details.cached_tokens, write: 0, read: body.usage.prompt_tokens_details.cached_tokens, output: body.usage.completion_tokens }
}

async function messages (gateway: RunningGateway, key: string, model: string): Promise<Told> {
  const response = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: 'Hello there' }] }) })
  const usage = (await response.json() as { usage: Record<string, number> }).usage
  return { input: usage.input_tokens!, write: usage.cache_creation_input_tokens ?? 0, read: usage.cache_read_input_tokens ?? 0, output: usage.output_tokens! }
}

function admin (gateway: RunningGateway, path: string, key = ADMIN): Promise<Response> {
  return fetch(gateway.url + path, { headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' } })
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)

async function reportsAgreeWithLedger (t: Test, databaseUrl?: string): Promise<void> {
  const { stub, gateway } = await setup(t, databaseUrl)
  const aliceChat = await chat(gateway, ALICE, HAIKU)
  // The Messages answer carries cache writes and reads, which it reports apart from fresh input.
  stub.enqueue({ content: [{ type: 'text', text: 'Hi' }], usage: { input_tokens: 100, cache_creation_input_tokens: 20, cache_read_input_tokens: 30, output_tokens: 7 } })
  const told = { alice: [aliceChat, await messages(gateway, ALICE, SONNET)], bob: [await chat(gateway, BOB, HAIKU)] }
  await gateway.app.ledger.flush()

  const today = new Date().toISOString().slice(0, 10)
  const usage = await admin(gateway, `/v1/organizations/usage_report/messages?starting_at=${today}T00:00:00Z&group_by[]=api_key_id&group_by[]=model&group_by[]=workspace_id&limit=1`)
  t.equal(usage.status, 200)
  const report = await usage.json() as { data: Array<{ starting_at: string, ending_at: string, results: Array<Record<string, any>> }>, has_more: boolean, next_page: string | null }
  t.equal(report.data.length, 1)
  t.equal(report.data[0]!.starting_at, `${today}T00:00:00Z`)
  t.equal(report.has_more, false, 'today is the last bucket')
  const results = report.data[0]!.results
  t.equal(results.length, 3, 'alice × two models, bob × one')
  for (const [client, requests] of Object.entries(told)) {
    const mine = results.filter((result) => result.api_key_id === client)
    t.equal(sum(mine.map((result) => result.uncached_input_tokens)), sum(requests.map((r) => r.input)), `${client}: uncached input as the clients were told`)
    t.equal(sum(mine.map((result) => result.cache_read_input_tokens)), sum(requests.map((r) => r.read)), `${client}: cache reads`)
    t.equal(sum(mine.map((result) => result.output_tokens)), sum(requests.map((r) => r.output)), `${client}: output`)
  }
  const aliceSonnet = results.find((result) => result.api_key_id === 'alice' && result.model === SONNET)
  t.same(Object.keys(aliceSonnet ?? {}).sort(), ['api_key_id', 'cache_creation', 'cache_read_input_tokens', 'context_window', 'model', 'output_tokens', 'protocol', 'server_tool_use', 'service_tier', 'uncached_input_tokens', 'workspace_id'], 'every field of Anthropic\'s result, and protocol')
  t.equal(aliceSonnet?.workspace_id, 'backend', 'workspace_id is the group')
  t.same(Object.keys(aliceSonnet?.cache_creation ?? {}).sort(), ['ephemeral_1h_input_tokens', 'ephemeral_5m_input_tokens'])
  t.same(aliceSonnet?.server_tool_use, { web_search_requests: 0 })

  const totals = await gateway.app.teamsStore.usageTotals({ from: Date.parse(`${today}T00:00:00Z`), to: Date.now() + 1 })
  t.equal(sum(results.map((result) => result.output_tokens)), totals.outputTokens, 'the report\'s output total is the ledger\'s')
  t.equal(sum(results.map((result) => result.uncached_input_tokens)), totals.uncachedInputTokens)

  const cost = await admin(gateway, `/v1/organizations/cost_report?starting_at=${today}T00:00:00Z&group_by[]=api_key_id`)
  t.equal(cost.status, 200)
  const costs = (await cost.json() as { data: Array<{ results: Array<{ amount: string, currency: string, api_key_id: string | null }> }> }).data[0]!.results
  t.ok(costs.every((result) => result.currency === 'USD' && /^\d+(\.\d+)?$/.test(result.amount)), 'amounts are decimal strings in USD cents')
  const costNano = sum(costs.map((result) => Math.round(Number(result.amount) * 1e7)))
  t.equal(costNano, totals.costNanoUsd, 'the cost report\'s total is the ledger\'s')
  t.ok(costNano > 0, 'the models are priced')

  const detailed = await (await admin(gateway, `/v1/organizations/cost_report?starting_at=${today}T00:00:00Z&group_by[]=description`, READER)).json() as { data: Array<{ results: Array<{ amount: string, token_type: string | null, model: string | null, cost_type: string | null }> }> }
  const parts = detailed.data[0]!.results
  t.ok(parts.some((result) => result.token_type === 'output_tokens' && result.model === SONNET && result.cost_type === 'tokens'), 'split by model and token type')
  t.equal(sum(parts.map((result) => Math.round(Number(result.amount) * 1e7))), totals.costNanoUsd, 'the parts add up to the ledger\'s total')

  const csv = await admin(gateway, `/admin/usage.csv?starting_at=${today}T00:00:00Z&group_by[]=api_key_id`)
  t.equal(csv.status, 200)
  t.match(csv.headers.get('content-type'), /^text\/csv/)
  const lines = (await csv.text()).trimEnd().split('\r\n')
  t.equal(lines.length, 3, 'a header and one line per client')
  t.match(lines.find((line) => line.includes(',alice,')), new RegExp(`,2,${sum(told.alice.map((r) => r.input))},`), 'alice: two requests and her input tokens')
}

t.test('SQLite: the usage and cost reports agree with the ledger and with what clients were told', async (t) => {
  await reportsAgreeWithLedger(t)
})

t.test('PostgreSQL: the same figures', async (t) => {
  const database = await createTestDatabase('reports')
  t.teardown(async () => { await database.drop() })
  await reportsAgreeWithLedger(t, database.url)
})

t.test('who may read reports, and bad queries, in Anthropic\'s error shape', async (t) => {
  const { gateway } = await setup(t)
  const path = '/v1/organizations/usage_report/messages?starting_at=2026-11-01T00:00:00Z'
  t.equal((await fetch(gateway.url + path)).status, 401, 'no key')
  const client = await admin(gateway, path, ALICE)
  t.equal(client.status, 403, 'a client key')
  t.match(await client.json(), { type: 'error', error: { type: 'permission_error' } })
  t.equal((await admin(gateway, path, CLIENT_KEY)).status, 403, 'an APIKEY client key')
  t.equal((await admin(gateway, path, READER)).status, 200, 'a read-only admin key reads')
  for (const [query, message] of [
    ['', /starting_at is required/],
    ['?starting_at=2026-11-01T00:00:00Z&bucket_width=1h&limit=500', /from 1 to 168/],
    ['?starting_at=2026-11-01T00:00:00Z&group_by[]=account_id', /group_by/],
    ['?starting_at=2026-11-01', /RFC 3339/]
  ] as const) {
    const response = await admin(gateway, `/v1/organizations/usage_report/messages${query}`)
    t.equal(response.status, 400, query)
    t.match(await response.json(), { type: 'error', error: { type: 'invalid_request_error', message } })
  }
  const cost = await admin(gateway, '/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z&bucket_width=1h')
  t.equal(cost.status, 400, 'the cost report takes daily buckets only')
  const html = await admin(gateway, '/admin/dashboard')
  t.equal(html.status, 200)
  t.match(await html.text(), /<section id="dashboard">/)
  t.equal((await admin(gateway, '/admin/dashboard', ALICE)).status, 403)
})
