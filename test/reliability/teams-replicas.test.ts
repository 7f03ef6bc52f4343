// Two gateway replicas sharing one Redis and one store: limits, caps and admin changes hold for both.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { startGateway, type RunningGateway } from '../helpers/gateway.js'
import { eventually, startRedis, type RedisServer } from '../helpers/redis.js'
import { NANO_PER_CENT } from '../../lib/clients/limiter.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const ALICE = 'c2a-alice-replica-key-aaaaaaaaaaaaaaaaaaaaaaa'
const ADMIN = 'admin-key-replicas-0123456789abcdef'
const MODEL = 'claude-sonnet-4-6'

interface Cluster { redis: RedisServer; stub: AnthropicStub; a: RunningGateway; b: RunningGateway }

async function cluster (t: Tap, alice: Record<string, unknown>): Promise<Cluster> {
  const redis = await startRedis()
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-teams-replicas-'))
  const config = {
    REDIS_URL: redis.url,
    REDIS_TIMEOUT_MS: 5000,
    DATA_DIR: dataDir,
    ADMIN_KEYS: ADMIN,
    CLIENTS: JSON.stringify([{ name: 'alice', key: ALICE, ...alice }])
  }
  const a = await startGateway(stub.url, { config })
  const b = await startGateway(stub.url, { config })
  t.teardown(async () => {
    await a.close()
    await b.close()
    await stub.close()
    await redis.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { redis, stub, a, b }
}

async function chat (gateway: RunningGateway, key = ALICE): Promise<Response> {
  return await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function messages (gateway: RunningGateway, key = ALICE): Promise<Response> {
  return await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function admin (gateway: RunningGateway, method: string, path: string, body?: unknown, key = ADMIN): Promise<Response> {
  return await fetch(`${gateway.url}${path}`, { method, headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
}

test('one requests-per-minute limit for both replicas', async (t) => {
  const { stub, a, b } = await cluster(t, { limits: { rpm: 3 } })
  t.equal(a.app.teams.limiter.counters.kind, 'redis')
  // A minute boundary between the requests would start a new window; wait it out if it is near.
  const intoMinute = Date.now() % 60000
  if (intoMinute > 50000) await new Promise((resolve) => setTimeout(resolve, 61000 - intoMinute))
  t.equal((await chat(a)).status, 200)
  t.equal((await chat(b)).status, 200)
  t.equal((await messages(a)).status, 200)
  const refusedOnB = await chat(b)
  t.equal(refusedOnB.status, 429, 'the fourth request is refused wherever it lands')
  t.equal(refusedOnB.headers.get('x-ratelimit-remaining-requests'), '0')
  t.equal((await messages(a)).status, 429)
  t.equal(stub.requests.length, 3)
})

test('one daily spend cap for both replicas', async (t) => {
  const { stub, a, b } = await cluster(t, { spend: { daily: 100 } })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 100000, output_tokens: 0 } }))
  const replicas = [a, b, a, b]
  for (const [index, gateway] of replicas.entries()) {
    t.equal((await messages(gateway)).status, 200)
    await eventually(async () => (await b.app.teams.limiter.spent('c:alice')).daily === (index + 1) * 30 * NANO_PER_CENT, `request ${index + 1} counted for both`)
  }
  const onA = await messages(a)
  t.equal(onA.status, 429)
  t.match(await onA.json(), { error: { type: 'billing_error' } })
  const onB = await chat(b)
  t.equal(onB.status, 429)
  t.match(await onB.json(), { error: { type: 'insufficient_quota' } })
})

test('a key created through the admin API works on both replicas, and stops on both once revoked; nothing secret in Redis', async (t) => {
  const { redis, a, b } = await cluster(t, {})
  t.equal((await admin(a, 'GET', '/admin/clients', undefined, ALICE)).status, 403, 'a client key is not an admin key')
  t.equal((await fetch(`${a.url}/admin/clients`)).status, 401, 'no key')
  t.equal((await admin(a, 'GET', '/v1/organizations/spend_limits', undefined, ALICE)).status, 403)

  const created = await admin(a, 'POST', '/admin/clients', { name: 'bob', models: ['claude-sonnet-*'], spend: { daily: 500 } })
  t.equal(created.status, 201)
  const bob = await created.json() as { name: string; key: string; keys: Array<{ label: string }> }
  t.match(bob.key, /^c2a-[A-Za-z0-9_-]{43}$/)
  t.equal(bob.keys[0].label, `c2a-…${bob.key.slice(-4)}`)
  t.equal((await chat(a, bob.key)).status, 200, 'at once on the replica that created it')
  await eventually(async () => (await chat(b, bob.key)).status === 200, 'the other replica knows the new client')
  const shown = await (await admin(b, 'GET', '/admin/clients/bob')).json() as Record<string, unknown>
  t.notOk(JSON.stringify(shown).includes(bob.key), 'the key is shown only once')

  const limits = await (await admin(b, 'GET', '/v1/organizations/spend_limits')).json() as { data: Array<{ id: string; amount: string | null }> }
  t.same(limits.data.find((entry) => entry.id === 'user:bob:daily')?.amount, '500')

  const rotated = await (await admin(b, 'POST', '/admin/clients/bob/rotate', { grace_seconds: 0 })).json() as { key: string }
  await eventually(async () => (await chat(a, bob.key)).status === 401, 'the old key stops on the other replica')
  t.equal((await chat(a, rotated.key)).status, 200)

  t.equal((await admin(b, 'DELETE', '/admin/clients/bob')).status, 200)
  t.equal((await chat(b, rotated.key)).status, 401)
  await eventually(async () => (await chat(a, rotated.key)).status === 401, 'revoked on the other replica too')

  const audit = await (await admin(a, 'GET', '/admin/audit')).json() as { data: Array<{ actor: string; action: string; target: string }> }
  t.same(audit.data.map((entry) => entry.action).sort(), ['client.create', 'client.delete', 'client.rotate'])
  t.ok(audit.data.every((entry) => entry.actor === 'admin#1' && entry.target === 'bob'))
  t.notOk(JSON.stringify(audit).includes(rotated.key) || JSON.stringify(audit).includes(bob.key))

  const raw = new Redis(redis.url)
  t.teardown(() => { raw.disconnect() })
  for (const key of await raw.keys('*')) {
    const value = (await raw.type(key)) === 'string' ? (await raw.get(key)) ?? '' : ''
    for (const secret of [ALICE, ADMIN, bob.key, rotated.key]) t.notOk(key.includes(secret) || value.includes(secret), `${key} holds no secret`)
  }
})
