// Two gateway instances sharing one real redis-server, against one stub: they must behave as one gateway.
import { Redis } from 'ioredis'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, parseChunks, postChat, readSse, startGateway, type RunningGateway } from '../helpers/gateway.js'
import { eventually, startRedis, type RedisServer } from '../helpers/redis.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEYS = ['sk-ant-api03-shared-alpha-11111111111111', 'sk-ant-api03-shared-bravo-22222222222222', 'sk-ant-api03-shared-charlie-333333333333']
const MODEL = 'claude-sonnet-4-6'
const WEATHER = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }

interface Cluster { redis: RedisServer; stub: AnthropicStub; a: RunningGateway; b: RunningGateway }

async function cluster (t: Tap, config: Record<string, unknown> = {}): Promise<Cluster> {
  const redis = await startRedis()
  const stub = await startAnthropicStub()
  // A generous Redis timeout: the machine running the tests is busy, and slowness is tested elsewhere.
  const shared = { ANTHROPIC_API_KEYS: KEYS.join(','), REDIS_URL: redis.url, REDIS_TIMEOUT_MS: 5000, KEY_STATE_REFRESH_MS: 50, ...config }
  const a = await startGateway(stub.url, { config: shared })
  const b = await startGateway(stub.url, { config: shared })
  t.teardown(async () => {
    await a.close()
    await b.close()
    await stub.close()
    await redis.stop()
  })
  return { redis, stub, a, b }
}

const hello = (text: string): Record<string, unknown> => ({ model: MODEL, messages: [{ role: 'user', content: text }] })

test('a key cooled by one instance is not tried by the other within its retry-after', async (t) => {
  const { stub, a, b } = await cluster(t)
  t.equal(a.app.state.kind, 'redis')
  t.ok(a.app.state.connected && b.app.state.connected, 'both instances use Redis')
  stub.keyBehaviour.set(KEYS[0], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit', headers: { 'retry-after': '120' } })

  // Round-robin starts at the first key, which answers 429; the next key answers.
  t.equal((await postChat(a.url, hello('one'))).status, 200)
  t.ok(stub.requests.some((request) => request.key === KEYS[0]), 'instance A met the 429')
  await eventually(() => b.app.keyPool.status().cooling === 1, 'instance B learns of the cooldown')

  stub.reset()
  for (let round = 0; round < 6; round++) t.equal((await postChat(b.url, hello(`b ${round}`))).status, 200)
  t.equal(stub.requests.filter((request) => request.key === KEYS[0]).length, 0, 'instance B never tried the cooling key')
  t.equal(stub.requests.length, 6, 'one upstream call per request')
})

test('shared state names keys by digest and never holds a secret', async (t) => {
  const { redis, stub, a } = await cluster(t)
  stub.keyBehaviour.set(KEYS[1], { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  for (let round = 0; round < 3; round++) await postChat(a.url, hello(`r ${round}`))
  const raw = new Redis(redis.url)
  t.teardown(() => { raw.disconnect() })
  const keys = await raw.keys('*')
  t.ok(keys.length > 0, 'something is shared')
  t.ok(keys.every((key) => key.startsWith('claude2api:')), 'every key is under REDIS_PREFIX')
  t.ok(keys.every((key) => !key.includes('undefined')), 'no malformed key')
  for (const key of keys) {
    const value = (await raw.type(key)) === 'string' ? (await raw.get(key)) ?? '' : ''
    for (const secret of [...KEYS, authHeaders.authorization.slice('Bearer '.length)]) {
      t.notOk(key.includes(secret.slice(12)) || value.includes(secret.slice(12)), `${key} holds nothing of a secret`)
    }
    t.ok(await raw.pttl(key) > 0, `${key} has a TTL`)
  }
})

test('a chat tool turn with thinking that starts on one instance continues on the other', async (t) => {
  const { stub, a, b } = await cluster(t)
  const thinking = { type: 'thinking' as const, thinking: 'I should look up the weather.', signature: 'sig-cross-instance' }
  stub.enqueue({ content: [thinking, { type: 'tool_use', id: 'toolu_cross_1', name: 'get_weather', input: { city: 'Paris' } }] })
  const start = await postChat(a.url, { model: MODEL, reasoning_effort: 'low', tools: [WEATHER], stream: true, messages: [{ role: 'user', content: 'Weather in Paris?' }] })
  const chunks = parseChunks(await readSse(start))
  const call = chunks.flatMap((chunk) => chunk.choices?.[0]?.delta?.tool_calls ?? []).find((item: { id?: string }) => item.id)
  t.equal(call?.id, 'toolu_cross_1', 'instance A streamed the tool call')

  stub.reset()
  const next = await postChat(b.url, {
    model: MODEL,
    reasoning_effort: 'low',
    tools: [WEATHER],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_cross_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_cross_1', content: 'Sunny' }
    ]
  })
  t.equal(next.status, 200, `instance B continued the turn (${next.status})`)
  const sent = stub.requests[0].body
  t.same(sent.messages[1].content[0], thinking, 'with the thinking block instance A saw, unchanged')
  t.match(sent.thinking, { type: 'adaptive' }, 'and thinking still on')
  t.equal(next.headers.get('x-claude2api-dropped-fields'), null, 'nothing dropped')
})

test('a conversation keeps to one key across instances', async (t) => {
  const { stub, a, b } = await cluster(t)
  const session = { ...authHeaders, 'x-claude-code-session-id': 'session-shared-1' }
  const keysUsed: string[] = []
  for (let turn = 0; turn < 4; turn++) {
    stub.reset()
    const response = await postChat(turn % 2 === 0 ? a.url : b.url, hello(`turn ${turn}`), session)
    t.equal(response.status, 200)
    keysUsed.push(stub.requests[0].key ?? '')
  }
  t.equal(new Set(keysUsed).size, 1, `every turn on the same key (${keysUsed.map((key) => KEYS.indexOf(key)).join(',')})`)
})

test('Redis killed mid-traffic: no request fails; once it is back, state is shared again', async (t) => {
  const { redis, stub, a, b } = await cluster(t)
  const statuses: number[] = []
  const traffic = async (label: string, count: number): Promise<void> => {
    for (let round = 0; round < count; round++) {
      const answers = await Promise.all([postChat(a.url, hello(`${label} a ${round}`)), postChat(b.url, hello(`${label} b ${round}`))])
      statuses.push(...answers.map((answer) => answer.status))
    }
  }
  const during = traffic('during', 15)
  await eventually(() => statuses.length >= 6, 'traffic is flowing')
  await redis.kill()
  await during
  await eventually(() => !a.app.state.connected && !b.app.state.connected, 'both instances noticed the outage')
  await traffic('outage', 3)
  t.ok(statuses.length >= 36, `${statuses.length} requests made`)
  t.same(statuses.filter((status) => status !== 200), [], 'every request answered 200')

  await redis.restart()
  await eventually(() => a.app.state.connected && b.app.state.connected, 'both instances are back on Redis')
  stub.keyBehaviour.set(KEYS[2], { kind: 'error', status: 429, type: 'rate_limit_error', message: 'rate limited', headers: { 'retry-after': '120' } })
  let probe = 0
  await eventually(async () => {
    // A new conversation each time: one conversation would keep to its key.
    await postChat(a.url, hello(`find the cooling key ${probe++}`))
    return a.app.keyPool.status().cooling === 1
  }, 'instance A cools the third key')
  await eventually(() => b.app.keyPool.status().cooling === 1, 'instance B learns of it through Redis again')
  stub.reset()
  for (let round = 0; round < 4; round++) t.equal((await postChat(b.url, hello(`after ${round}`))).status, 200)
  t.equal(stub.requests.filter((request) => request.key === KEYS[2]).length, 0, 'instance B leaves the cooling key alone')
})

test('a stored response created on one instance is retrieved and continued on the other', async (t) => {
  const { stub, a, b } = await cluster(t)
  stub.enqueue({ content: [{ type: 'text', text: 'Paris is the capital of France.' }] })
  const created = await fetch(`${a.url}/v1/responses`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: MODEL, input: 'What is the capital of France?' }) })
  t.equal(created.status, 200)
  const first: any = await created.json()
  t.match(first.id, /^resp_/)

  const fetched = await fetch(`${b.url}/v1/responses/${first.id as string}`, { headers: authHeaders })
  t.equal(fetched.status, 200, 'instance B finds the response instance A stored')
  t.equal(((await fetched.json()) as any).id, first.id)

  stub.reset()
  stub.enqueue({ content: [{ type: 'text', text: 'About two million people.' }] })
  const next = await fetch(`${b.url}/v1/responses`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: MODEL, previous_response_id: first.id, input: 'And its population?' }) })
  t.equal(next.status, 200, 'instance B continues it')
  const sent = stub.requests[0].body
  t.same(sent.messages.map((message: { role: string }) => message.role), ['user', 'assistant', 'user'], 'with the earlier turns replayed')
  t.match(JSON.stringify(sent.messages[1]), /Paris is the capital of France/)
})

test('mirror mode\'s rate limit counts in Redis, and a Redis outage does not fail mirror requests', async (t) => {
  // A short Redis timeout: the frozen case below waits it out on every command.
  const { redis, a } = await cluster(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror', REDIS_TIMEOUT_MS: 100 })
  const mirrorKey = `sk-ant-api03-${'M'.repeat(93)}AA`
  const ask = async (): Promise<number> => (await fetch(`${a.url}/mirror/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${mirrorKey}`, 'content-type': 'application/json' }, body: JSON.stringify(hello('mirror')) })).status
  t.equal(await ask(), 200, 'with Redis up')
  const raw = new Redis(redis.url)
  const counted = await raw.keys('claude2api:*mirror-rate*')
  raw.disconnect()
  t.ok(counted.length > 0, 'the mirror rate limit is counted in Redis, under REDIS_PREFIX')
  await redis.kill()
  await eventually(() => !a.app.state.connected, 'the outage is noticed')
  t.equal(await ask(), 200, 'with Redis down')
  await redis.restart()
  await eventually(() => a.app.state.connected, 'back on Redis')
  redis.pause()
  t.equal(await ask(), 200, 'with Redis frozen')
  redis.resume()
})
