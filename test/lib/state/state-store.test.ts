// The memory state store: values with a time to live, bounded in size.
import { test } from 'tap'
import { MemoryStateStore } from '../../../lib/state/state-store.js'

test('values are kept with their TTL, deleted, and cleared on close', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000 })
  t.equal(store.kind, 'memory')
  t.equal(store.connected, true)
  await store.set('a', 'one', 60)
  t.equal(await store.get('a'), 'one')
  const entry = store.entry('a')
  t.equal(entry?.value, 'one')
  t.ok(entry !== undefined && entry.ttlMs > 30_000 && entry.ttlMs <= 60_000, `the TTL given, 60 s (${entry?.ttlMs} ms)`)
  t.equal(store.entry('missing'), undefined)
  await store.delete('a')
  t.equal(await store.get('a'), undefined)
  await store.set('b', 'two', 60)
  await store.close()
  t.equal(await store.get('b'), undefined)
})

test('a TTL below a millisecond is rounded up to one, not taken as no expiry', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000 })
  await store.set('short', 'v', 0.0001)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await store.get('short'), undefined, 'expired')
})

test('the characters held (keys and values) stay within maxChars: the oldest go first', async (t) => {
  const store = new MemoryStateStore({ maxChars: 20 })
  await store.set('k1', 'x'.repeat(8), 60)
  await store.set('k2', 'y'.repeat(8), 60)
  t.equal(await store.get('k1'), 'x'.repeat(8), 'both fit (20 characters)')
  await store.set('k3', 'z'.repeat(8), 60)
  t.equal(await store.get('k2'), undefined, 'the least recently used is dropped')
  t.equal(await store.get('k1'), 'x'.repeat(8))
  t.equal(await store.get('k3'), 'z'.repeat(8))
  await store.set('empty', '', 60)
  t.equal(await store.get('empty'), '', 'an empty value is kept')
})

test('getMany answers each key in the order asked, undefined where absent', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000 })
  await store.set('a', 'one', 60)
  await store.set('c', 'three', 60, 'owner')
  t.same(await store.getMany(['c', 'missing', 'a', 'c']), ['three', undefined, 'one', 'three'])
  t.same(await store.getMany([]), [])
})

// Sizes below: a key of two characters and a value of eight hold ten characters.
const tenChars = (key: string): [string, string] => [key, 'v'.repeat(10 - key.length)]

test('owner quota: entries up to exactly the quota are kept; one more pushes out the owner\'s oldest', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 30 })
  t.equal(store.ownerChars('o'), 0, 'an owner with nothing stored holds nothing')
  for (const key of ['k1', 'k2', 'k3']) await store.set(...tenChars(key), 60, 'o')
  t.equal(store.ownerChars('o'), 30, 'keys and values counted')
  t.same(await store.getMany(['k1', 'k2', 'k3']), ['vvvvvvvv', 'vvvvvvvv', 'vvvvvvvv'], 'exactly the quota fits')
  await store.set(...tenChars('k4'), 60, 'o')
  t.same(await store.getMany(['k1', 'k2', 'k3', 'k4']), [undefined, 'vvvvvvvv', 'vvvvvvvv', 'vvvvvvvv'], 'the oldest went, only it')
  t.equal(store.ownerChars('o'), 30)
  t.equal(store.ownerChars('other'), 0)
})

test('owner quota: a single entry exactly the size of the quota is kept', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 10 })
  await store.set(...tenChars('k1'), 60, 'o')
  t.equal(await store.get('k1'), 'vvvvvvvv')
  t.equal(store.ownerChars('o'), 10)
})

test('owner quota: an entry over the quota is refused, and the older value under its key is not left behind', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 20 })
  await store.set(...tenChars('k1'), 60, 'o')
  await store.set(...tenChars('k2'), 60, 'o')
  await store.set('k2', 'v'.repeat(19), 60, 'o')
  t.equal(await store.get('k2'), undefined, 'neither the new value nor the old one')
  t.equal(await store.get('k1'), 'vvvvvvvv', 'the owner\'s other entry stays')
  t.equal(store.ownerChars('o'), 10)
})

test('owner quota: a key written again counts once, so it pushes out none of the owner\'s other entries', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 100 })
  await store.set('j', 'x'.repeat(29), 60, 'o')
  await store.set('k', 'y'.repeat(59), 60, 'o')
  await store.set('k', 'z'.repeat(59), 60, 'o')
  t.equal(await store.get('j'), 'x'.repeat(29), 'the older entry is still there (30 + 60 fit in 100)')
  t.equal(await store.get('k'), 'z'.repeat(59))
  t.equal(store.ownerChars('o'), 90)
})

test('owner quota: an owner whose new entry pushes out all its older ones is still held to its quota', async (t) => {
  const store = new MemoryStateStore({ maxChars: 10_000, ownerMaxChars: 100 })
  for (let index = 0; index < 10; index++) await store.set(`k${index}`, 'v'.repeat(58), 60, 'o')
  t.equal(store.ownerChars('o'), 60, 'only the newest entry is counted, and it is')
  const kept = (await store.getMany(Array.from({ length: 10 }, (_, index) => `k${index}`))).filter((value) => value !== undefined)
  t.equal(kept.length, 1, 'one 60-character entry at a time fits in 100')
})

test('entries without an owner count against no owner\'s quota', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 10 })
  await store.set('free1', 'x'.repeat(50), 60)
  await store.set('free2', 'y'.repeat(50), 60)
  t.same(await store.getMany(['free1', 'free2']), ['x'.repeat(50), 'y'.repeat(50)])
})

test('without ownerMaxChars an owner\'s entries are bounded only by the store', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000 })
  for (const key of ['k1', 'k2', 'k3']) await store.set(...tenChars(key), 60, 'o')
  t.same(await store.getMany(['k1', 'k2', 'k3']), ['vvvvvvvv', 'vvvvvvvv', 'vvvvvvvv'])
  t.equal(store.ownerChars('o'), 30)
})

test('an owned entry keeps the TTL it was given', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 100 })
  await store.set('k', 'v', 60, 'o')
  const entry = store.entry('k')
  t.ok(entry !== undefined && entry.ttlMs > 30_000 && entry.ttlMs <= 60_000, `60 s (${entry?.ttlMs} ms)`)
})

test('an owner gets its space back when an entry is deleted or expires, and only for its own entries', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 100 })
  await store.set(...tenChars('x1'), 60, 'o')
  await store.set(...tenChars('x2'), 60, 'o')
  await store.delete('x1')
  t.equal(store.ownerChars('o'), 10, 'a delete gives back what the entry held')
  await store.set('x1', 'free', 60)
  await store.delete('x1')
  t.equal(store.ownerChars('o'), 10, 'a key the owner no longer holds is not charged to it again')
  await store.set('e1', 'v', 0.001, 'o')
  t.equal(store.ownerChars('o'), 13)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await store.get('e1'), undefined, 'expired')
  t.equal(store.ownerChars('o'), 10, 'an expired entry gives its space back')
})

test('a key deleted and written again counts as the owner\'s newest, not its oldest', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 30 })
  await store.set(...tenChars('k1'), 60, 'o')
  await store.set(...tenChars('k2'), 60, 'o')
  await store.delete('k1')
  await store.set(...tenChars('k1'), 60, 'o')
  await store.set(...tenChars('k3'), 60, 'o')
  await store.set(...tenChars('k4'), 60, 'o')
  t.same(await store.getMany(['k1', 'k2', 'k3', 'k4']), ['vvvvvvvv', undefined, 'vvvvvvvv', 'vvvvvvvv'], 'k2 was the oldest')
})

test('an owned entry larger than the whole store is not kept and not counted', async (t) => {
  const store = new MemoryStateStore({ maxChars: 50, ownerMaxChars: 1000 })
  await store.set('big', 'v'.repeat(100), 60, 'o')
  t.equal(await store.get('big'), undefined)
  t.equal(store.ownerChars('o'), 0)
})

test('an owner whose last entry goes is forgotten (the bookkeeping stays bounded with many callers)', async (t) => {
  const store = new MemoryStateStore({ maxChars: 1000, ownerMaxChars: 100 })
  const owners = (store as unknown as { owners: Map<string, unknown> }).owners
  await store.set('a1', 'v', 60, 'a')
  await store.set('b1', 'v', 60, 'b')
  await store.delete('a1')
  t.same([...owners.keys()], ['b'])
})
