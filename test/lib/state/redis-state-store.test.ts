import { Redis } from 'ioredis'
import { test } from 'tap'
import { RedisStateStore, redactRedisUrl } from '../../../lib/state/redis-state-store.js'
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
})
