// ENFORCEMENT when the limit counters (Redis) cannot be read: open serves and logs, closed refuses.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { startGateway, type RunningGateway } from '../helpers/gateway.js'
import { startRedis } from '../helpers/redis.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEY = 'c2a-enforcement-client-key-aaaaaaaaaaaaaaaaa'

async function withRedisDown (t: Tap, enforcement: 'open' | 'closed'): Promise<{ gateway: RunningGateway; logLines: string[] }> {
  const redis = await startRedis()
  const stub = await startAnthropicStub()
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-enforcement-'))
  const logLines: string[] = []
  const gateway = await startGateway(stub.url, {
    logLines,
    config: { REDIS_URL: redis.url, DATA_DIR: dataDir, ENFORCEMENT: enforcement, CLIENTS: JSON.stringify([{ name: 'alice', key: KEY, limits: { rpm: 100 }, spend: { daily: 1000 } }]) }
  })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    await redis.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  await redis.kill()
  return { gateway, logLines }
}

async function messages (gateway: RunningGateway): Promise<Response> {
  return await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function chat (gateway: RunningGateway): Promise<Response> {
  return await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }) })
}

test('ENFORCEMENT=closed: Messages get the contract\'s fetch_error refusal, OpenAI routes a 503', async (t) => {
  const { gateway, logLines } = await withRedisDown(t, 'closed')
  const refused = await messages(gateway)
  t.equal(refused.status, 429)
  t.equal(refused.headers.get('x-should-retry'), 'false')
  t.equal(refused.headers.get('anthropic-ratelimit-unified-overage-disabled-reason'), 'fetch_error')
  t.match(await refused.json(), { type: 'error', error: { type: 'billing_error', message: /cannot read its usage counters/ } })
  const openAi = await chat(gateway)
  t.equal(openAi.status, 503)
  t.match(await openAi.json(), { error: { code: 'limits_unavailable' } })
  t.ok(logLines.some((line) => line.includes('limit counters cannot be read')), 'logged')
  t.notOk(logLines.some((line) => line.includes(KEY)), 'the client key is never logged')
})

test('ENFORCEMENT=open: served, and logged', async (t) => {
  const { gateway, logLines } = await withRedisDown(t, 'open')
  t.equal((await messages(gateway)).status, 200)
  t.equal((await chat(gateway)).status, 200)
  t.ok(logLines.some((line) => line.includes('limit counters cannot be read') && line.includes('"enforcement":"open"')))
  t.notOk(logLines.some((line) => line.includes(KEY)), 'the client key is never logged')
})
