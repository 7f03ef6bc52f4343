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
