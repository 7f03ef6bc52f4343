import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { startAnthropicStub, type AnthropicStub, type StubUsage } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'
import { createTestDatabase } from '../helpers/postgres.js'
import type { LedgerRow } from '../../lib/store/teams-store.js'

const MODEL = 'claude-sonnet-4-6'
const JSON_HEADERS = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }
const MESSAGES_HEADERS = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }

/** Usage as a client was told it, in the terms every protocol can express. */
interface Told { prompt: number; cached: number; output: number }

interface Outcome { requestId: string; told: Told | undefined; status: number }

function sseData (text: string): Array<Record<string, any>> {
  return text.split('\n\n').flatMap((event) => {
    const line = event.split('\n').find((l) => l.startsWith('data: '))
    if (!line || line === 'data: [DONE]') return []
    return [JSON.parse(line.slice(6)) as Record<string, any>]
  })
}

function fromOpenAi (usage: { prompt_tokens: number, completion_tokens: number, prompt_tokens_details: { cached_tokens: number } }): Told {
  return { prompt: usage.prompt_tokens, cached: usage.prompt_tokens_details.cached_tokens, output: usage.completion_tokens }
}

function fromResponses (usage: { input_tokens: number, output_tokens: number, input_tokens_details: { cached_tokens: number } }): Told {
  return { prompt: usage.input_tokens, cached: usage.input_tokens_details.cached_tokens, output: usage.output_tokens }
}

function fromAnthropic (usage: Record<string, number | undefined>): Told {
  const read = usage.cache_read_input_tokens ?? 0
  return { prompt: (usage.input_tokens ?? 0) + read + (usage.cache_creation_input_tokens ?? 0), cached: read, output: usage.output_tokens ?? 0 }
}

function reply (usage: StubUsage): { content: Array<{ type: 'text', text: string }>, usage: StubUsage } {
  return { content: [{ type: 'text', text: 'An answer in a few words.' }], usage }
}

async function post (gateway: RunningGateway, path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS): Promise<{ response: Response, text: string }> {
  const response = await fetch(gateway.url + path, { method: 'POST', headers, body: JSON.stringify(body) })
  return { response, text: await response.text() }
}

const chatBody = { model: MODEL, messages: [{ role: 'user', content: 'Hello' }] }
const responsesBody = { model: MODEL, input: 'Hello', store: false }
const messagesBody = { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] }

/** Every protocol, streamed and not, two mid-stream failures and a request refused before upstream. */
async function sendTraffic (t: Test, stub: AnthropicStub, gateway: RunningGateway): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  const note = (response: Response, told: Told | undefined): void => { outcomes.push({ requestId: response.headers.get('x-request-id')!, told, status: response.status }) }

  stub.enqueue(reply({ input_tokens: 100, cache_creation_input_tokens: 20, cache_read_input_tokens: 30, output_tokens: 7 }))
  let sent = await post(gateway, '/v1/chat/completions', chatBody)
  t.equal(sent.response.status, 200, sent.text.slice(0, 300))
  note(sent.response, fromOpenAi(JSON.parse(sent.text).usage))

  stub.enqueue(reply({ input_tokens: 200, cache_read_input_tokens: 40, output_tokens: 9 }))
  sent = await post(gateway, '/v1/chat/completions', { ...chatBody, stream: true, stream_options: { include_usage: true } })
  note(sent.response, fromOpenAi(sseData(sent.text).find((chunk) => chunk.usage)!.usage))

  stub.enqueue(reply({ input_tokens: 300, cache_creation_input_tokens: 10, output_tokens: 11 }))
  sent = await post(gateway, '/v1/responses', responsesBody)
  note(sent.response, fromResponses(JSON.parse(sent.text).usage))

  stub.enqueue(reply({ input_tokens: 400, cache_read_input_tokens: 5, output_tokens: 13 }))
  sent = await post(gateway, '/v1/responses', { ...responsesBody, stream: true })
  note(sent.response, fromResponses(sseData(sent.text).find((event) => event.type === 'response.completed')!.response.usage))

  stub.enqueue(reply({ input_tokens: 500, cache_creation_input_tokens: 50, cache_read_input_tokens: 60, output_tokens: 17 }))
  sent = await post(gateway, '/v1/messages', messagesBody, MESSAGES_HEADERS)
  note(sent.response, fromAnthropic(JSON.parse(sent.text).usage))

  stub.enqueue(reply({ input_tokens: 600, cache_read_input_tokens: 70, output_tokens: 19 }))
  sent = await post(gateway, '/v1/messages', { ...messagesBody, stream: true }, MESSAGES_HEADERS)
  note(sent.response, fromAnthropic(Object.assign({}, ...sseData(sent.text).map((event) => event.message?.usage ?? event.usage ?? {}))))

  // The client saw message_start (and its usage), then an error event: that usage is what it was told.
  stub.enqueue({ kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 3 })
  sent = await post(gateway, '/v1/messages', { ...messagesBody, stream: true }, MESSAGES_HEADERS)
  const seen = sseData(sent.text)
  t.ok(seen.some((event) => event.type === 'error'), 'the messages client saw the mid-stream error')
  note(sent.response, fromAnthropic(Object.assign({}, ...seen.map((event) => event.message?.usage ?? event.usage ?? {}))))

  // A chat stream cut after message_start tells the client no usage; the upstream's partial usage is still owed.
  stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream', afterEvents: 3 })
  sent = await post(gateway, '/v1/chat/completions', { ...chatBody, stream: true, stream_options: { include_usage: true } })
  t.notOk(sseData(sent.text).some((chunk) => chunk.usage), 'the chat client was told no usage')
  note(sent.response, undefined)

  sent = await post(gateway, '/v1/chat/completions', { model: MODEL })
  t.equal(sent.response.status, 400)
  note(sent.response, undefined)
  return outcomes
}

async function waitForRows (app: FastifyInstance, count: number): Promise<LedgerRow[]> {
  for (let attempt = 0; ; attempt++) {
    await app.ledger.flush()
    const rows = await app.teamsStore.ledgerRows({ from: 0, to: Date.now() + 60_000 }, 1000)
    if (rows.length >= count || attempt > 200) return rows
    await sleep(25)
  }
}

const promptOf = (row: LedgerRow): number => row.uncachedInputTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens + row.cacheReadTokens

function checkLedger (t: Test, outcomes: Outcome[], rows: LedgerRow[]): void {
  t.equal(rows.length, outcomes.length, 'one row per request')
  const byId = new Map(rows.map((row) => [row.requestId, row]))
  const told = { prompt: 0, cached: 0, output: 0 }
  const recorded = { prompt: 0, cached: 0, output: 0 }
  for (const outcome of outcomes) {
    const row = byId.get(outcome.requestId)
    if (!row) {
      t.fail(`no row for ${outcome.requestId}`)
      continue
    }
    t.equal(row.status, outcome.status, `${row.route}: status`)
    if (!outcome.told) continue
    t.same({ prompt: promptOf(row), cached: row.cacheReadTokens, output: row.outputTokens }, outcome.told, `${row.protocol} ${row.streamed ? 'streamed' : 'whole'}: the row holds what the client was told`)
    told.prompt += outcome.told.prompt
    told.cached += outcome.told.cached
    told.output += outcome.told.output
    recorded.prompt += promptOf(row)
    recorded.cached += row.cacheReadTokens
    recorded.output += row.outputTokens
  }
  t.same(recorded, told, 'ledger totals equal the sum of the usage the clients received')
  t.same(rows.map((row) => row.protocol).sort(), ['chat', 'chat', 'chat', 'chat', 'messages', 'messages', 'messages', 'responses', 'responses'])

  const first = byId.get(outcomes[0].requestId)!
  // 100 × $3 + 20 × $3.75 + 30 × $0.30 + 7 × $15 per million tokens = $0.000489.
  t.equal(first.costNanoUsd, 489_000, 'cost from the price table, exact')
  t.equal(first.priceVersion, 'claude-sonnet-4-6@2026-12-02')
  t.equal(first.requestedModel, MODEL)
  t.equal(first.upstreamModel, MODEL)
  t.equal(first.streamed, false)
  t.equal(byId.get(outcomes[1].requestId)!.streamed, true)
  t.ok(byId.get(outcomes[1].requestId)!.ttftMs !== null, 'a stream records its time to first token')

  const messagesCut = byId.get(outcomes[6].requestId)!
  t.equal(messagesCut.status, 200)
  t.equal(messagesCut.errorType, 'overloaded_error', 'a passed-through stream that carried an error event is named a failure')
  for (const outcome of outcomes.slice(0, 8)) {
    const row = byId.get(outcome.requestId)!
    t.match(row.keyLabel, /^sk-ant-api03-…[A-Za-z0-9_-]{4}$/, `${row.protocol}: the pool key that answered, by its label (prefix and last four), never the key`)
    t.match(row.upstreamRequestId, /^req_/, `${row.protocol}: the upstream's request-id`)
  }
  t.equal(byId.get(outcomes[4].requestId)!.requestedModel, MODEL, 'messages: the requested model')
  t.equal(byId.get(outcomes[4].requestId)!.streamed, false)
  t.equal(byId.get(outcomes[5].requestId)!.streamed, true)
  const chatCut = byId.get(outcomes[7].requestId)!
  t.same({ input: chatCut.uncachedInputTokens, output: chatCut.outputTokens }, { input: 10, output: 1 }, 'a cut chat stream records the usage the upstream reported before the cut')
  t.equal(chatCut.errorType, 'network_error', 'and names the failure')

  const refused = byId.get(outcomes[8].requestId)!
  t.same({ prompt: promptOf(refused), output: refused.outputTokens, cost: refused.costNanoUsd, upstream: refused.upstreamModel }, { prompt: 0, output: 0, cost: 0, upstream: null }, 'a request refused before upstream costs nothing')
  t.ok(refused.errorType !== null)
}

/** Every value of every table, to look for key material. */
async function dumpPostgres (url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const tables = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    let dump = ''
    for (const { table_name: table } of tables.rows as Array<{ table_name: string }>) dump += JSON.stringify((await client.query(`SELECT * FROM "${table}"`)).rows)
    return dump
  } finally {
    await client.end()
  }
}

function dumpSqlite (dir: string): string {
  const db = new DatabaseSync(join(dir, 'claude2api.db'))
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    return tables.map(({ name }) => JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())).join('')
  } finally {
    db.close()
  }
}

const SECRETS = [CLIENT_KEY, ...UPSTREAM_KEYS]

async function ledgerSuite (t: Test, config: () => Record<string, unknown>, dump: () => Promise<string>, rawFiles?: () => Buffer[]): Promise<void> {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  let gateway = await startGateway(stub.url, { config: config() })
  t.teardown(async () => { await gateway.close() })
  const outcomes = await sendTraffic(t, stub, gateway)
  checkLedger(t, outcomes, await waitForRows(gateway.app, outcomes.length))
  await gateway.close()

  gateway = await startGateway(stub.url, { config: config() })
  const after = await gateway.app.teamsStore.ledgerRows({ from: 0, to: Date.now() + 60_000 }, 1000)
  t.same(after.map((row) => row.requestId).sort(), outcomes.map((o) => o.requestId).sort(), 'the rows survive a restart')

  const everything = await dump()
  t.ok(everything.includes(outcomes[0].requestId), 'the dump does hold the rows')
  for (const secret of SECRETS) t.notOk(everything.includes(secret), 'no key in any table')
  for (const file of rawFiles?.() ?? []) for (const secret of SECRETS) t.equal(file.indexOf(secret), -1, 'no key in the database files')
}

t.test('SQLite: the ledger holds what the clients were told, survives a restart and holds no secret', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c2a-ledger-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await ledgerSuite(t, () => ({ DATA_DIR: dir }), async () => dumpSqlite(dir), () => readdirSync(dir).map((name) => readFileSync(join(dir, name))))
})

t.test('PostgreSQL: the same', async (t) => {
  const database = await createTestDatabase('ledger')
  t.teardown(async () => { await database.drop() })
  await ledgerSuite(t, () => ({ DATABASE_URL: database.url }), async () => await dumpPostgres(database.url))
})

t.test('a model without a price: null cost, one warning, a bounded metric', async (t) => {
  const stub = await startAnthropicStub({ models: [{ id: 'claude-nova-1', max_tokens: 64000 }] })
  const logLines: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'c2a-ledger-'))
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dir }, logLines })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dir, { recursive: true, force: true })
  })
  for (let i = 0; i < 2; i++) {
    stub.enqueue(reply({ input_tokens: 10, output_tokens: 2 }))
    const sent = await post(gateway, '/v1/chat/completions', { ...chatBody, model: 'claude-nova-1' })
    t.equal(sent.response.status, 200)
  }
  const rows = await waitForRows(gateway.app, 2)
  t.same(rows.map((row) => [row.upstreamModel, row.costNanoUsd, row.priceVersion]), [['claude-nova-1', null, null], ['claude-nova-1', null, null]])
  t.equal(logLines.filter((line) => line.includes('no price for this model')).length, 1, 'warned once per model')
  const metrics = await gateway.app.metrics.render(false)
  t.match(metrics.body, /claude2api_unpriced_requests_total\{model="claude-nova-1"\} 2/)
})

t.test('PRICES prices a model the table lacks', async (t) => {
  const stub = await startAnthropicStub({ models: [{ id: 'claude-nova-1', max_tokens: 64000 }] })
  const dir = mkdtempSync(join(tmpdir(), 'c2a-ledger-'))
  const prices = JSON.stringify([{ id: 'claude-nova-1', input: 1, cache_write_5m: 1.25, cache_write_1h: 2, cache_read: 0.1, output: 5, source: 'test', date: '2026-12-01' }])
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dir, PRICES: prices } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dir, { recursive: true, force: true })
  })
  stub.enqueue(reply({ input_tokens: 1000, output_tokens: 100 }))
  await post(gateway, '/v1/chat/completions', { ...chatBody, model: 'claude-nova-1' })
  const [row] = await waitForRows(gateway.app, 1)
  // 1000 × $1 + 100 × $5 per million tokens = $0.0015.
  t.equal(row.costNanoUsd, 1_500_000)
  t.equal(row.priceVersion, 'claude-nova-1@2026-12-01')
})
