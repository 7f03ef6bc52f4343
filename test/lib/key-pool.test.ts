import { test } from 'tap'
import { KeyPool, keyLabel, parseKeyRecord, rejectsKey } from '../../lib/key-pool.js'

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

test('a key id is a short digest that shows nothing of the key', async (t) => {
  const pool = poolAt({ now: 0 }, 2)
  const [one, two] = pool.all
  t.match(one.id, /^[0-9a-f]{16}$/)
  t.not(one.id, two.id)
  t.notOk(one.secret.includes(one.id))
  t.equal(pool.find(two.id), two)
})

test('a preferred key is handed out while usable; otherwise round-robin goes on', async (t) => {
  const time = { now: 0 }
  const pool = poolAt(time, 3)
  const preferred = pool.all[2].id
  t.same([pool.acquire(new Set(), preferred)?.index, pool.acquire(new Set(), preferred)?.index], [2, 2])
  pool.coolDown(pool.all[2], 10)
  t.equal(pool.acquire(new Set(), preferred)?.index, 0, 'cooling: the next key in rotation')
  t.equal(pool.acquire(new Set([0]), preferred)?.index, 1)
})

test('merge: the newer state wins; an instance that knows something newer says so', async (t) => {
  const time = { now: 1000 }
  const here = poolAt(time, 1)
  const there = poolAt(time, 1)
  const key = here.all[0]
  const remote = there.all[0]

  t.equal(here.merge(key, undefined), false, 'nothing known on either side')
  there.coolDown(remote, 30, '429 rate_limit_error')
  t.equal(here.merge(key, there.recordOf(remote)), false, 'adopted, nothing to write back')
  t.equal(key.coolingUntil, 31000)
  t.equal(key.lastError, '429 rate_limit_error')
  t.equal(here.acquire(), undefined, 'cooling here too')

  time.now += 1000
  here.disable(key, '401 authentication_error')
  t.equal(here.merge(key, there.recordOf(remote)), true, 'the shared record is older: write ours')
  t.equal(key.disabledReason, '401 authentication_error', 'and ours stays')
  t.equal(here.merge(key, undefined), true, 'a lost shared record (Redis restarted empty) is written again')

  time.now += 1000
  there.merge(remote, here.recordOf(key))
  there.enable(remote)
  here.merge(key, there.recordOf(remote))
  t.equal(key.disabledReason, null, 'a re-enable elsewhere is adopted')
})

test('disabled keys are due for a re-check once the wait has passed', async (t) => {
  const time = { now: 0 }
  const pool = poolAt(time, 2)
  pool.disable(pool.all[1], '401')
  t.same(pool.dueForRecheck(60000), [])
  time.now += 60000
  t.same(pool.dueForRecheck(60000).map((key) => key.index), [1])
  pool.disable(pool.all[1], '401')
  t.same(pool.dueForRecheck(60000), [], 'a failed re-check starts the wait again')
})

test('parseKeyRecord reads what recordOf wrote and refuses anything else', async (t) => {
  const pool = poolAt({ now: 5 }, 1)
  pool.disable(pool.all[0], '403 permission_error')
  t.same(parseKeyRecord(JSON.stringify(pool.recordOf(pool.all[0]))), pool.recordOf(pool.all[0]))
  t.equal(parseKeyRecord('not json'), undefined)
  t.equal(parseKeyRecord('{"coolingUntil":"soon"}'), undefined)
  t.equal(parseKeyRecord(undefined), undefined)
})

test('only authentication failures and 403s about the key itself reject a key', async (t) => {
  t.equal(rejectsKey(401, 'invalid x-api-key'), true)
  t.equal(rejectsKey(403, 'This key may not use the API'), true)
  t.equal(rejectsKey(403, 'Your API key has been disabled.'), true)
  t.equal(rejectsKey(403, 'This organization has been disabled.'), true)
  t.equal(rejectsKey(403, 'Your organization does not have access to the model claude-opus-4-7.'), false)
  t.equal(rejectsKey(403, 'The model claude-opus-4-7 is not available to this API key.'), false)
  t.equal(rejectsKey(403, 'Request not allowed'), false)
  t.equal(rejectsKey(400, 'invalid x-api-key'), false)
  t.equal(rejectsKey(429, 'rate limited'), false)
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

test('the pool knows its size', async (t) => {
  t.equal(poolAt({ now: 0 }, 3).size, 3)
  t.equal(poolAt({ now: 0 }, 1).size, 1)
})

test('a cooldown ends exactly at its time; a disabled key does not count as cooling', async (t) => {
  const time = { now: 0 }
  const pool = poolAt(time, 2)
  const [a, b] = [pool.acquire()!, pool.acquire()!]
  pool.coolDown(a, 5)
  pool.coolDown(b, 3)
  pool.disable(b, '401')
  t.equal(pool.secondsUntilAvailable(), 5, 'only the cooling key that is not disabled decides')
  t.same(pool.status(), { total: 2, healthy: 0, cooling: 1, disabled: 1 })
  time.now = 5000
  t.equal(pool.secondsUntilAvailable(), undefined, 'at exactly its time the key is back: nothing is cooling')
  t.same(pool.status(), { total: 2, healthy: 1, cooling: 0, disabled: 1 })
  t.equal(pool.acquire()?.index, 0)
})
