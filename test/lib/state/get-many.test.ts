import { test } from 'tap'
import { ThinkingStore } from '../../../lib/core/thinking-store.js'
import { RedisStateStore } from '../../../lib/state/redis-state-store.js'
import { MemoryStateStore, type StateStore } from '../../../lib/state/state-store.js'
import { startRedis } from '../../helpers/redis.js'

/** Counts every call the store gets, by method. */
function counted (state: StateStore): { state: StateStore; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const proxy = new Proxy(state, {
    get (target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1)
        return (value as (...rest: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return { state: proxy, calls }
}

async function checkGetMany (t: Parameters<Parameters<typeof test>[0]>[0], state: StateStore): Promise<void> {
  await state.set('a', 'one', 60)
  await state.set('c', 'three', 60)
  t.same(await state.getMany(['a', 'b', 'c', 'a']), ['one', undefined, 'three', 'one'], 'values in order, undefined where absent')
  t.same(await state.getMany([]), [], 'nothing asked, nothing read')
}

test('memory: getMany answers many keys at once', async (t) => {
  await checkGetMany(t, new MemoryStateStore({ maxChars: 10_000 }))
})

test('redis: getMany answers many keys with one MGET', async (t) => {
  const redis = await startRedis()
  t.teardown(redis.stop)
  const store = new RedisStateStore({ url: redis.url, prefix: 'get-many:', timeoutMs: 2000, localMaxChars: 1024 * 1024, onChange: () => {} })
  t.teardown(async () => { await store.close() })
  await store.waitUntilReady(5000)
  let mgets = 0
  const original = store.redis.mget.bind(store.redis)
  store.redis.mget = (async (...args: Parameters<typeof original>) => { mgets++; return await original(...args) }) as typeof original
  await checkGetMany(t, store)
  t.equal(mgets, 1, 'one MGET for the non-empty lookup')
})

test('the thinking store looks up a whole request\'s tool calls in a bounded number of state round trips', async (t) => {
  const { state, calls } = counted(new MemoryStateStore({ maxChars: 10_000_000 }))
  const thinking = new ThinkingStore(state, 600)
  await thinking.save('o', ['call_0', 'call_1'], [{ type: 'thinking', thinking: 'why', signature: 's' }])
  calls.clear()
  const turns = Array.from({ length: 5000 }, (_, index) => [`call_${index}`])
  const found = await thinking.recall('o', turns)
  t.same(found.load(['call_1']), [{ type: 'thinking', thinking: 'why', signature: 's' }], 'a later id still finds the blocks')
  t.equal(calls.get('get') ?? 0, 0, 'no per-id get')
  t.ok((calls.get('getMany') ?? 0) <= 2, `at most two getMany calls (${calls.get('getMany') ?? 0})`)
})
