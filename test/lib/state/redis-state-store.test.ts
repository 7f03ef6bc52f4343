import { Redis } from 'ioredis'
import { test } from 'tap'
import { MAX_SHARED_VALUE_CHARS, RedisStateStore, redactRedisUrl, type RedisStateOptions } from '../../../lib/state/redis-state-store.js'
import { freePort } from '../../helpers/ports.js'
import { eventually, startRedis } from '../../helpers/redis.js'

// A generous timeout where slowness is not what is tested: the machine running the tests is busy.
function storeFor (url: string, changes: Array<[boolean, string]> = [], timeoutMs = 2000): RedisStateStore {
  return new RedisStateStore({ url, prefix: 'test-prefix:', timeoutMs, localMaxChars: 1024 * 1024, onChange: (connected, reason) => changes.push([connected, reason]) })
}

test('two stores on one Redis see each other\'s values, under the prefix and with a TTL', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const one = storeFor(redis.url)
  const two = storeFor(redis.url)
  const raw = new Redis(redis.url)
  t.teardown(async () => { await one.close(); await two.close(); raw.disconnect() })
  await one.waitUntilReady(5000)
  await two.waitUntilReady(5000)
  t.equal(one.kind, 'redis')
  t.ok(one.connected && two.connected, 'both connected')

  await one.set('greeting', 'hello', 60)
  t.equal(await two.get('greeting'), 'hello', 'written by one, read by the other')
  t.equal(await raw.get('test-prefix:greeting'), 'hello', 'stored under REDIS_PREFIX')
  const ttl = await raw.pttl('test-prefix:greeting')
  t.ok(ttl > 30000 && ttl <= 60000, `has the TTL it was given, 60 s (${ttl} ms)`)
  await two.delete('greeting')
  t.equal(await one.get('greeting'), undefined, 'deleted by the other')
})

test('Redis killed: operations still answer from the local view; after a restart the store is shared again', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const changes: Array<[boolean, string]> = []
  const one = storeFor(redis.url, changes)
  const two = storeFor(redis.url)
  t.teardown(async () => { await one.close(); await two.close() })
  await one.waitUntilReady(5000)
  await two.waitUntilReady(5000)

  await redis.kill()
  await eventually(() => !one.connected, 'the store notices the outage')
  await one.set('during-outage', 'local', 60)
  t.equal(await one.get('during-outage'), 'local', 'a value written during the outage is read back from the local view')
  t.equal(await two.get('during-outage'), undefined, 'and is not shared')
  t.same(changes.filter(([connected]) => !connected).length, 1, 'the switch to the local view is reported once')

  await redis.restart()
  await eventually(() => one.connected && two.connected, 'both reconnect by themselves')
  t.equal(await two.get('during-outage'), 'local', 'what was written during the outage is shared once Redis is back')
  await one.set('after-restart', 'shared', 60)
  t.equal(await two.get('after-restart'), 'shared', 'shared again')
  t.same(changes.map(([connected]) => connected), [true, false, true], 'connected, lost, back')
})

test('a frozen Redis costs a bounded wait, then the local view answers', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const store = storeFor(redis.url, [], 50)
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(5000)
  await store.set('k', 'v1', 60)
  await store.set('gone', 'stale', 60)

  redis.pause()
  t.equal(await store.get('k'), 'v1', 'the read falls back to the local view instead of hanging')
  t.equal(store.connected, false, 'marked disconnected')
  await store.set('k', 'v2', 60)
  t.equal(await store.get('k'), 'v2', 'writes keep working locally')
  await store.delete('gone')
  t.equal(await store.get('gone'), undefined, 'deletes keep working locally')
  redis.resume()
  await eventually(() => store.connected, 'the store goes back to Redis once it answers')
  t.equal(await raw.get('test-prefix:k'), 'v2', 'the write made meanwhile is in Redis')
  t.equal(await raw.get('test-prefix:gone'), null, 'and so is the delete made meanwhile')
})

test('the Redis URL is logged without its password', async (t) => {
  t.equal(redactRedisUrl('redis://:s3cret@example.com:6380/2'), 'redis://:***@example.com:6380/2')
  t.equal(redactRedisUrl('rediss://user:pw@h:1/0'), 'rediss://user:***@h:1/0')
  t.notMatch(redactRedisUrl('redis://user:pw@h:1/0'), /pw/)
  t.equal(redactRedisUrl('redis://s3cret@h:1/0'), 'redis://***@h:1/0', 'a lone user part may be the password: hidden too')
  t.equal(redactRedisUrl('redis://h:6379/0'), 'redis://h:6379/0', 'nothing to hide, nothing changed')
  t.equal(redactRedisUrl('not a url'), 'redis://(unparseable URL)')
})

const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** A store that records its changes of state in `changes`; it does not wait for Redis. */
function openStore (url: string, options: Partial<RedisStateOptions> & { changes?: Array<[boolean, string]> } = {}): RedisStateStore {
  const { changes = [], ...rest } = options
  return new RedisStateStore({ url, prefix: 'test-prefix:', timeoutMs: 2000, localMaxChars: 1024 * 1024, onChange: (connected, reason) => changes.push([connected, reason]), ...rest })
}

/** Counts the PINGs the store's probe sends. */
function countPings (store: RedisStateStore): () => number {
  let pings = 0
  const original = store.redis.ping.bind(store.redis)
  store.redis.ping = (async (...args: Parameters<typeof original>) => { pings++; return await original(...args) }) as typeof original
  return () => pings
}

/** Timers that keep the process alive (unref'd ones are not listed). */
const liveTimers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length

test('the client is set up from timeoutMs; while Redis cannot be reached each failed attempt is reported by its code and the local view answers', async (t) => {
  const url = `redis://127.0.0.1:${await freePort()}`
  const attempts: string[] = []
  const store = openStore(url, { onAttemptFailed: (reason) => attempts.push(reason) })
  const quick = openStore(url, { timeoutMs: 10 })
  t.teardown(async () => { await store.close(); await quick.close() })

  const { options } = store.redis
  t.equal(options.commandTimeout, 10_000, 'every command on the connection is bounded: five times timeoutMs')
  t.equal(options.connectTimeout, 40_000, 'a connection attempt: twenty times timeoutMs')
  t.equal(quick.redis.options.commandTimeout, 250, 'at least 250 ms')
  t.equal(quick.redis.options.connectTimeout, 1000, 'at least a second')
  t.equal(options.enableOfflineQueue, false, 'commands fail at once while disconnected')
  t.equal(options.enableAutoPipelining, true, 'commands of one tick go out together')
  t.same([1, 2, 10, 40, 41, 1000].map((attempt) => options.retryStrategy?.(attempt)), [50, 100, 500, 2000, 2000, 2000], 'reconnection delay grows by 50 ms up to 2 s')

  let quickErrors = 0
  quick.redis.on('error', () => { quickErrors++ })
  await eventually(() => attempts.length >= 2 && quickErrors >= 2, 'two attempts of each store failed')
  t.same(attempts.slice(0, 2), ['ECONNREFUSED', 'ECONNREFUSED'], 'reported by error code, each one')
  t.equal(store.connected, false)
  await store.set('k', 'v', 60)
  t.equal(await store.get('k'), 'v', 'written and read locally')
  t.same(await store.getMany(['k', 'absent']), ['v', undefined])
  await store.delete('k')
  t.equal(await store.get('k'), undefined)
  t.equal(await quick.get('k'), undefined, 'a store without onAttemptFailed runs on through failed attempts')
  store.redis.emit('error', 'not an Error')
  t.equal(attempts.at(-1), 'not an Error', 'something thrown that is not an Error is reported as text')
})

test('reads are Redis\'s: get, and getMany across MGET slices with every value in its place', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const store = openStore(redis.url)
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)
  t.equal(store.connected, true, 'ready once connected (waits no longer)')
  const keys = Array.from({ length: 250 }, (_, index) => `k${index}`)
  const expected = keys.map((_, index) => index % 7 === 0 ? undefined : `value ${index}`)
  await raw.mset(...keys.flatMap((key, index) => index % 7 === 0 ? [] : [`test-prefix:${key}`, `value ${index}`]))
  const timers = liveTimers()
  t.same(await store.getMany(keys), expected, '250 keys: three slices, in order, undefined where absent')
  t.same(await store.getMany(keys.slice(0, 100)), expected.slice(0, 100), 'exactly one slice')
  t.same(await store.getMany(keys.slice(0, 101)), expected.slice(0, 101), 'one key into the next slice')
  t.same(await store.getMany(['k1']), ['value 1'])
  t.same(await store.getMany([]), [])
  t.equal(await store.get('k1'), 'value 1', 'written by someone else: read from Redis, not from the local view')
  t.equal(await store.get('k0'), undefined)
  t.equal(liveTimers(), timers, 'answered commands leave no timer behind')
})

test('a value up to MAX_SHARED_VALUE_CHARS is shared; a larger one is not sent, and deletes the older value in Redis', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const store = openStore(redis.url, { localMaxChars: 3 * MAX_SHARED_VALUE_CHARS })
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)
  await store.set('edge', 'e'.repeat(MAX_SHARED_VALUE_CHARS), 60)
  t.equal(await raw.strlen('test-prefix:edge'), MAX_SHARED_VALUE_CHARS, 'exactly the bound: in Redis')
  await store.set('big', 'small at first', 60)
  await store.set('big', 'b'.repeat(MAX_SHARED_VALUE_CHARS + 1), 60)
  t.equal(await raw.exists('test-prefix:big'), 0, 'one character over: not sent, and the older value is gone from Redis')
  t.not(await store.get('big'), 'small at first', 'so nobody reads the older value')
})

test('changes made while Redis is down are written back on reconnection: at most MAX_PENDING_KEYS keys, values over the bound deleted, once', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const changes: Array<[boolean, string]> = []
  const store = openStore(redis.url, { changes, localMaxChars: 3 * MAX_SHARED_VALUE_CHARS })
  const raw = new Redis(redis.url)
  raw.on('error', () => {})
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)

  await redis.kill()
  await eventually(() => !store.connected, 'the store notices the outage')
  await store.set('edge', 'e'.repeat(MAX_SHARED_VALUE_CHARS), 60)
  await store.set('big', 'b'.repeat(MAX_SHARED_VALUE_CHARS + 1), 60)
  for (let index = 0; index < 9_999; index++) await store.set(`fill-${index}`, 'v', 60)
  await redis.restart()
  await eventually(() => store.connected, 'reconnected')
  t.same(changes, [[true, 'connected'], [false, 'connection closed'], [true, 'connected']], 'lost when the connection closed, back when ready')
  t.equal(await raw.strlen('test-prefix:edge'), MAX_SHARED_VALUE_CHARS, 'a value of exactly the bound is written back')
  t.equal(await raw.exists('test-prefix:big'), 0, 'a larger one is deleted instead')
  t.equal(await raw.get('test-prefix:fill-9997'), 'v', 'the 10,000th key changed is written back')
  t.equal(await raw.exists('test-prefix:fill-9998'), 0, 'the 10,001st stays local')
  t.equal(await raw.dbsize(), 9_999, 'nothing else')

  await redis.kill()
  await eventually(() => !store.connected, 'the second outage is noticed')
  await redis.restart()
  await eventually(() => store.connected, 'reconnected again')
  t.equal(await raw.dbsize(), 0, 'nothing changed during the second outage, nothing written back: the first outage\'s keys were sent once')
})

test('each kind of command Redis does not answer in time marks it unreachable; the changes made meanwhile are written back', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const store = openStore(redis.url, { timeoutMs: 100, localMaxChars: 2 * MAX_SHARED_VALUE_CHARS })
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)
  await store.set('a', 'one', 60)
  await store.set('b', 'two', 60)
  await store.set('gone', 'soon', 60)

  const frozen = async (what: string, command: () => Promise<unknown>): Promise<unknown> => {
    redis.pause()
    const answer = await command()
    t.equal(store.connected, false, `${what}: marked unreachable`)
    // The unanswered command is dropped with the connection: its failure must not escape.
    store.redis.disconnect(true)
    redis.resume()
    await eventually(() => store.connected, `${what}: back`)
    return answer
  }
  t.same(await frozen('getMany', async () => await store.getMany(['a', 'b'])), ['one', 'two'], 'getMany answered from the local view')
  t.equal(await frozen('get', async () => await store.get('a')), 'one', 'get answered from the local view')
  await frozen('set', async () => { await store.set('a', 'changed', 60) })
  await frozen('delete', async () => { await store.delete('gone') })
  await frozen('set over the bound', async () => { await store.set('b', 'b'.repeat(MAX_SHARED_VALUE_CHARS + 1), 60) })
  t.equal(await raw.get('test-prefix:a'), 'changed', 'the write is in Redis')
  t.equal(await raw.exists('test-prefix:gone'), 0, 'and so is the delete')
  t.equal(await raw.exists('test-prefix:b'), 0, 'a value too large to share deleted the older one')
})

test('a frozen Redis: the outage is reported once with the timeout, the probe brings the store back, then stops (and stops on close)', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const changes: Array<[boolean, string]> = []
  // commandTimeout is 2 s: the probe's pings wait past the resume instead of failing.
  const store = openStore(redis.url, { changes, timeoutMs: 400 })
  // Closed during the outage, while its probe runs.
  const closing = openStore(redis.url, { timeoutMs: 400 })
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); await closing.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)
  await closing.waitUntilReady(60_000)
  const pings = countPings(store)
  const closingPings = countPings(closing)

  redis.pause()
  t.same(await Promise.all([store.get('x'), store.get('y'), closing.get('x')]), [undefined, undefined, undefined], 'reads time out together')
  t.equal(closing.connected, false)
  await closing.close()
  const pingsAtClose = closingPings()
  await store.set('k', 'during', 60)
  // Long enough for the probe to send two pings; both are answered on resume.
  await pause(1300)
  redis.resume()
  await eventually(() => store.connected, 'back once a ping is answered')
  t.same(changes, [[true, 'connected'], [false, 'no answer within 400 ms'], [true, 'answering again']], 'lost once, by the store\'s own timeout; back once')
  t.equal(await raw.get('test-prefix:k'), 'during', 'the write made meanwhile is in Redis')
  const sent = pings()
  t.ok(sent >= 2, `the probe pinged (${sent})`)
  // Longer than a probe interval: a probe still running would ping before this wait ends.
  await pause(700)
  t.equal(pings(), sent, 'and pings no more once Redis answers')
  t.equal(closingPings(), pingsAtClose, 'a store closed during the outage pings no more either')
})

test('an error on a ready connection: the local view until Redis is ready again, no attempt reported', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const changes: Array<[boolean, string]> = []
  const attempts: string[] = []
  const store = openStore(redis.url, { changes, onAttemptFailed: (reason) => attempts.push(reason) })
  const raw = new Redis(redis.url)
  t.teardown(async () => { await store.close(); raw.disconnect() })
  await store.waitUntilReady(60_000)
  await raw.set('test-prefix:theirs', 'shared')

  // What ioredis reports when the socket fails; the close that follows it is left to the test.
  store.redis.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
  t.same(changes, [[true, 'connected'], [false, 'ECONNRESET']], 'lost, reported by error code')
  t.same(attempts, [], 'not a failed attempt: the store was up')
  t.equal(await store.get('theirs'), undefined, 'get reads the local view, not Redis')
  t.same(await store.getMany(['theirs']), [undefined], 'so does getMany')
  await store.set('mine', 'local first', 60)
  t.equal(await raw.get('test-prefix:mine'), null, 'a write is kept for later, not sent')

  store.redis.disconnect(true)
  await eventually(() => store.connected, 'back once the connection is ready again')
  t.equal(await raw.get('test-prefix:mine'), 'local first', 'then written back')
  t.equal(await store.get('theirs'), 'shared', 'and reads are Redis\'s again')
})

test('close: disconnected, detached from the client, and a late error from the client is harmless', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const changes: Array<[boolean, string]> = []
  const store = openStore(redis.url, { changes })
  await store.waitUntilReady(60_000)
  await store.set('k', 'v', 60)
  await store.close()
  t.equal(store.connected, false)
  t.same(['ready', 'close'].map((event) => store.redis.listenerCount(event)), [0, 0], 'the store no longer listens to the client')
  t.doesNotThrow(() => store.redis.emit('error', new Error('late')), 'an error after close goes nowhere')
  t.same(changes, [[true, 'connected']], 'closing is not an outage')
  t.equal(await store.get('k'), undefined, 'the local view is emptied')
})

test('start-up waits for Redis only as long as it is told to, and goes on with the local view', async (t) => {
  const store = storeFor(`redis://127.0.0.1:${await freePort()}`)
  t.teardown(async () => { await store.close() })
  await store.waitUntilReady(50)
  t.equal(store.connected, false, 'nobody answered; the wait ended anyway')
  await store.set('k', 'v', 60)
  t.equal(await store.get('k'), 'v', 'served from the local view')
})
