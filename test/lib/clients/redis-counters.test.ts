// The limit counters in Redis, on a redis-server of the test's own.
import { Redis } from 'ioredis'
import { test } from 'tap'
import { RedisCounters } from '../../../lib/clients/redis-counters.js'
import { startRedis } from '../../helpers/redis.js'

test('releasing a slot gives it back, never below zero, and leaves no counter behind where none was', async (t) => {
  const server = await startRedis()
  const redis = new Redis(server.url)
  t.teardown(async () => {
    redis.disconnect()
    await server.stop()
  })
  const counters = new RedisCounters(redis)
  const slot = { key: 'c:alice:concurrency', kind: 'slot' as const, limit: 2, ttlSeconds: 600 }
  t.same(await counters.admit([slot]), { refused: -1, values: [1] })
  await counters.release([slot.key])
  t.same(await counters.read([slot.key]), [0])
  t.ok(await redis.ttl(slot.key) > 0, 'a released counter keeps its time to live')
  await counters.release([slot.key])
  t.same(await counters.read([slot.key]), [0], 'never below zero')
  await counters.release(['c:bob:concurrency'])
  t.equal(await redis.exists('c:bob:concurrency'), 0, 'a slot whose counter expired is not recreated without a time to live')
})
