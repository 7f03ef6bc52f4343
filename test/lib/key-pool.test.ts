import { test } from 'tap'
import { KeyPool, keyLabel } from '../../lib/key-pool.js'

function poolAt (time: { now: number }, size = 3): KeyPool {
  return new KeyPool(Array.from({ length: size }, (_, index) => `sk-ant-api03-secret-${index}-XXXXXXXXXXXX`), () => time.now)
}

test('keys are handed out round-robin', async (t) => {
  const pool = poolAt({ now: 0 })
  t.same([1, 2, 3, 4].map(() => pool.acquire()?.index), [0, 1, 2, 0])
})

test('keys already tried for a request are skipped', async (t) => {
  const pool = poolAt({ now: 0 })
  t.equal(pool.acquire(new Set([0, 1]))?.index, 2)
  t.equal(pool.acquire(new Set([0, 1, 2])), undefined)
})

test('a cooling key is not handed out before its time, then comes back', async (t) => {
  const time = { now: 1000 }
  const pool = poolAt(time, 2)
  const first = pool.acquire()!
  pool.coolDown(first, 5)
  t.same([pool.acquire()?.index, pool.acquire()?.index], [1, 1])
  t.equal(pool.secondsUntilAvailable(), 5)
  t.same(pool.status(), { total: 2, healthy: 1, cooling: 1, disabled: 0 })
  time.now += 5000
  t.same(new Set([pool.acquire()?.index, pool.acquire()?.index]), new Set([0, 1]))
})

test('a disabled key never comes back', async (t) => {
  const time = { now: 0 }
  const pool = poolAt(time, 2)
  pool.disable(pool.acquire()!, '401')
  time.now += 3_600_000
  t.same([pool.acquire()?.index, pool.acquire()?.index], [1, 1])
  t.same(pool.status(), { total: 2, healthy: 1, cooling: 0, disabled: 1 })
  t.equal(pool.secondsUntilAvailable(), undefined)
})

test('labels show a short prefix only', async (t) => {
  const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'
  const label = keyLabel(secret, 1)
  t.equal(label, 'key#2 (sk-ant-api…)')
  t.notOk(label.includes(secret.slice(0, 14)))
})

test('with every key cooling, the wait is until the soonest one is back', async (t) => {
  const time = { now: 0 }
  const pool = poolAt(time, 3)
  const [a, b, c] = [pool.acquire()!, pool.acquire()!, pool.acquire()!]
  pool.coolDown(a, 40)
  pool.coolDown(b, 7)
  pool.coolDown(c, 90)
  t.equal(pool.acquire(), undefined, 'no key to hand out')
  t.equal(pool.secondsUntilAvailable(), 7)
  time.now += 2500
  t.equal(pool.secondsUntilAvailable(), 5, 'rounded up: 4.5 s left')
})
