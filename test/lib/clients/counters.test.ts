import { test } from 'tap'
import { MemoryCounters, type AdmissionEntry } from '../../../lib/clients/counters.js'

function clock (start = Date.parse('2026-12-02T12:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

const count = (key: string, limit: number): AdmissionEntry => ({ key, kind: 'count', limit, ttlSeconds: 60 })
const slot = (key: string, limit: number): AdmissionEntry => ({ key, kind: 'slot', limit, ttlSeconds: 60 })
const level = (key: string, limit: number): AdmissionEntry => ({ key, kind: 'level', limit, ttlSeconds: 60 })

test('memory counters say so', async (t) => {
  t.equal(new MemoryCounters().kind, 'memory')
})

test('count: admitted up to the limit, the limit+1st refused', async (t) => {
  const counters = new MemoryCounters(clock().now)
  t.same(await counters.admit([count('a', 2)]), { refused: -1, values: [1] })
  t.same(await counters.admit([count('a', 2)]), { refused: -1, values: [2] })
  t.same(await counters.admit([count('a', 2)]), { refused: 0, values: [2] }, 'the third with a limit of 2')
  t.same(await counters.read(['a']), [2], 'the refusal did not count')
})

test('count and slot with a limit of 1 admit exactly one', async (t) => {
  const counters = new MemoryCounters(clock().now)
  t.equal((await counters.admit([slot('s', 1)])).refused, -1)
  t.equal((await counters.admit([slot('s', 1)])).refused, 0)
  t.equal((await counters.admit([count('c', 1)])).refused, -1)
  t.equal((await counters.admit([count('c', 1)])).refused, 0)
})

test('level: admitted below the limit, refused at it, and never changed by an admission', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.add([{ key: 'l', amount: 9, ttlSeconds: 60 }])
  t.same(await counters.admit([level('l', 10)]), { refused: -1, values: [9] }, 'one below')
  t.same(await counters.read(['l']), [9], 'not incremented')
  await counters.add([{ key: 'l', amount: 1, ttlSeconds: 60 }])
  t.same(await counters.admit([level('l', 10)]), { refused: 0, values: [10] }, 'at the limit')
  await counters.add([{ key: 'l', amount: 5, ttlSeconds: 60 }])
  t.equal((await counters.admit([level('l', 10)])).refused, 0, 'above it')
  t.equal((await counters.admit([level('fresh', 0)])).refused, 0, 'a limit of 0 refuses at once')
  t.equal((await counters.admit([level('fresh', 1)])).refused, -1, 'an empty counter is below a limit of 1')
})

test('all or nothing: one refusal leaves every counter as it was, and names the first entry that refused', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.add([{ key: 'full', amount: 3, ttlSeconds: 60 }, { key: 'also-full', amount: 3, ttlSeconds: 60 }])
  const result = await counters.admit([count('x', 5), slot('y', 5), level('full', 3), count('also-full', 3)])
  t.same(result, { refused: 2, values: [0, 0, 3, 3] })
  t.same(await counters.read(['x', 'y', 'full', 'also-full']), [0, 0, 3, 3])
  const second = await counters.admit([count('x', 5), count('also-full', 3), level('full', 3)])
  t.equal(second.refused, 1, 'the first refusing entry, not the last')
})

test('admitted: count and slot entries go up by one, level entries stay, values report the state after', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.add([{ key: 'l', amount: 4, ttlSeconds: 60 }, { key: 'c', amount: 2, ttlSeconds: 60 }])
  t.same(await counters.admit([count('c', 10), slot('s', 10), level('l', 10)]), { refused: -1, values: [3, 1, 4] })
  t.same(await counters.read(['c', 's', 'l']), [3, 1, 4])
  t.same(await counters.admit([]), { refused: -1, values: [] }, 'nothing to check admits')
})

test('release gives back one slot per key named, never below zero, and creates nothing', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.admit([slot('s', 5)])
  await counters.admit([slot('s', 5)])
  await counters.release(['s'])
  t.same(await counters.read(['s']), [1])
  await counters.release(['s', 's'])
  t.same(await counters.read(['s']), [0], 'floored at zero')
  await counters.release(['never-held'])
  await counters.seed('never-held', 7, 60)
  t.same(await counters.read(['never-held']), [7], 'release did not create the counter (the seed found none)')
})

test('add adds each amount (several items, the same key twice)', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.add([{ key: 'a', amount: 5, ttlSeconds: 60 }, { key: 'b', amount: 7, ttlSeconds: 60 }, { key: 'a', amount: 3, ttlSeconds: 60 }])
  t.same(await counters.read(['a', 'b', 'unknown']), [8, 7, 0])
})

test('a counter lives its time to live, counted from its last change, and is gone at that exact millisecond', async (t) => {
  const time = clock()
  const counters = new MemoryCounters(time.now)
  await counters.add([{ key: 'a', amount: 5, ttlSeconds: 10 }])
  time.advance(9999)
  t.same(await counters.read(['a']), [5], 'one millisecond before')
  await counters.add([{ key: 'a', amount: 1, ttlSeconds: 10 }])
  time.advance(9999)
  t.same(await counters.read(['a']), [6], 'the change renewed the time to live')
  time.advance(1)
  t.same(await counters.read(['a']), [0], 'expired')
  await counters.add([{ key: 'a', amount: 2, ttlSeconds: 10 }])
  t.same(await counters.read(['a']), [2], 'an expired counter starts again from zero')
})

test('an admission renews a slot\'s time to live; an expired slot frees itself', async (t) => {
  const time = clock()
  const counters = new MemoryCounters(time.now)
  await counters.admit([slot('s', 1)])
  time.advance(59999)
  t.equal((await counters.admit([slot('s', 1)])).refused, 0, 'still held')
  time.advance(1)
  t.equal((await counters.admit([slot('s', 1)])).refused, -1, 'freed after 60 s')
})

test('seed sets a counter only where none exists (an expired one counts as none)', async (t) => {
  const time = clock()
  const counters = new MemoryCounters(time.now)
  await counters.seed('s', 40, 10)
  t.same(await counters.read(['s']), [40])
  await counters.seed('s', 99, 10)
  t.same(await counters.read(['s']), [40], 'an existing counter keeps its value')
  await counters.admit([slot('zero', 1)])
  await counters.release(['zero'])
  await counters.seed('zero', 99, 10)
  t.same(await counters.read(['zero']), [0], 'a counter at zero exists')
  time.advance(10000)
  await counters.seed('s', 99, 10)
  t.same(await counters.read(['s']), [99], 'the expired one was replaced')
  time.advance(9999)
  t.same(await counters.read(['s']), [99], 'with the time to live given')
  time.advance(1)
  t.same(await counters.read(['s']), [0])
})

test('close forgets every counter', async (t) => {
  const counters = new MemoryCounters(clock().now)
  await counters.add([{ key: 'a', amount: 1, ttlSeconds: 60 }])
  await counters.close()
  t.same(await counters.read(['a']), [0])
})

test('at 200000 counters the least recently changed one makes room', async (t) => {
  const counters = new MemoryCounters(clock().now)
  const items = Array.from({ length: 200000 }, (_, index) => ({ key: `k${index}`, amount: 1, ttlSeconds: 600 }))
  await counters.add(items)
  t.same(await counters.read(['k0', 'k199999']), [1, 1], 'exactly the bound: nothing evicted')
  await counters.add([{ key: 'k5', amount: 1, ttlSeconds: 600 }])
  t.same(await counters.read(['k0', 'k5']), [1, 2], 'changing a kept counter evicts nothing')
  await counters.add([{ key: 'k0', amount: 1, ttlSeconds: 600 }])
  await counters.add([{ key: 'new', amount: 1, ttlSeconds: 600 }])
  t.same(await counters.read(['new', 'k1', 'k0', 'k2', 'k5']), [1, 0, 2, 1, 2], 'k1 is now the oldest (k0 was changed since)')
})
