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

test('a cooling key is not handed out before its time, nor after it until its check answers, then comes back', async (t) => {
  const time = { now: 1000 }
  const pool = poolAt(time, 2)
  const first = pool.acquire()!
  pool.coolDown(first, 5)
  t.same([pool.acquire()?.index, pool.acquire()?.index], [1, 1])
  t.equal(pool.secondsUntilAvailable(), 5)
  t.same(pool.status(), { total: 2, healthy: 1, cooling: 1, disabled: 0 })
  time.now += 5000
  t.same(pool.dueForProbe(), [first], 'due for its check')
  t.same([pool.acquire()?.index, pool.acquire()?.index], [1, 1], 'no user request is spent on it before the check')
  pool.probed(first, 'unknown', 2)
  t.same(pool.dueForProbe(), [], 'a check that got no answer cools it a little longer')
  time.now += 2000
  pool.probed(first, 'ok')
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

test('labels show the public prefix and the last four characters, like the Console', async (t) => {
  const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'
  const label = keyLabel(secret)
  t.equal(label, 'sk-ant-api03-…wxyz')
  t.notOk(label.includes(secret.slice(0, 14)), 'nothing after the prefix but the last four')
  t.equal(keyLabel(secret, 'batch-tier4'), 'batch-tier4', 'an operator\'s name wins')
})

test('a label depends on the key alone, so every replica names it the same whatever the order', async (t) => {
  const keys = ['sk-ant-api03-first-key-XXXXXXXXXXXXAAAA', 'sk-ant-api03-second-key-XXXXXXXXXXXBBBB']
  const here = new KeyPool(keys)
  const there = new KeyPool([...keys].reverse())
  t.same(here.all.map((key) => key.label).sort(), there.all.map((key) => key.label).sort())
  t.equal(here.find(there.all[0].id)?.label, there.all[0].label)
})

test('two keys that would read alike get a short digest each', async (t) => {
  const pool = new KeyPool(['sk-ant-api03-one-XXXXXXXXXXXXXXXXSAME', 'sk-ant-api03-two-XXXXXXXXXXXXXXXXSAME'])
  const [one, two] = pool.all.map((key) => key.label)
  t.match(one, /^sk-ant-api03-…SAME \([0-9a-f]{4}\)$/)
  t.not(one, two)
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

test('by headroom a conversation leaves a key short of tokens and new ones go where most is left; without, the reported limits are ignored', async (t) => {
  const time = { now: 0 }
  const limitsOf = (remaining: number): { inputTokens: { limit: number; remaining: number; resetAt: number }; observedAt: number } => ({ inputTokens: { limit: 10000, remaining, resetAt: 60_000 }, observedAt: 0 })
  const observed = (): KeyPool => {
    const pool = poolAt(time, 3)
    pool.all.forEach((key, index) => pool.observeLimits(key, limitsOf([500, 4000, 9000][index])))
    return pool
  }
  const byHeadroom = observed()
  t.same(byHeadroom.choose(new Set(), byHeadroom.all[0].id, 1000), { key: byHeadroom.all[2], moved: 'input_tokens' }, 'moved on purpose, to the most headroom')
  t.equal(byHeadroom.all[2].limits?.inputTokens?.remaining, 8000, 'and counted against it at once')
  t.same([1, 2, 3].map(() => byHeadroom.acquire(new Set(), undefined, 1000)?.index), [2, 2, 2], 'new conversations too, while it has the most left')

  const ignoring = observed()
  ignoring.byHeadroom = false
  t.same(ignoring.choose(new Set(), ignoring.all[0].id, 1000), { key: ignoring.all[0] }, 'the conversation stays on its key')
  t.same([1, 2, 3].map(() => ignoring.acquire(new Set(), undefined, 1000)?.index), [0, 1, 2], 'new conversations rotate')
  t.same(ignoring.all.map((key) => key.limits?.inputTokens?.remaining), [500, 4000, 9000], 'nothing is reserved against limits that are not used')
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
  t.same(pool.dueForProbe(), [a], 'at exactly its time the key is due for its check')
  t.equal(pool.secondsUntilAvailable(), 1, 'a second, for the check')
  pool.probed(a, 'ok')
  t.equal(pool.secondsUntilAvailable(), undefined, 'checked: nothing is cooling')
  t.same(pool.status(), { total: 2, healthy: 1, cooling: 0, disabled: 1 })
  t.equal(pool.acquire()?.index, 0)
})

test('a short key of another shape is labelled by a digest only: its last four would be too much of it', async (t) => {
  t.match(keyLabel('custom-upstream-token'), /^key-[0-9a-f]{6}$/)
  t.equal(keyLabel('custom-upstream-token'), keyLabel('custom-upstream-token'))
  t.equal(keyLabel('a-long-custom-upstream-token-1234'), '…1234')
})

test('a preferred key already tried, or one the pool does not know, leaves the choice to the rotation', async (t) => {
  const pool = poolAt({ now: 0 }, 3)
  t.equal(pool.acquire(new Set([2]), pool.all[2].id)?.index, 0, 'tried: not handed out again')
  t.equal(pool.acquire(new Set(), 'ffffffffffffffff')?.index, 1, 'unknown id: the rotation goes on')
})

test('merge without a shared record: write back exactly when this instance knows the key is out of rotation', async (t) => {
  const time = { now: 1000 }
  const pool = poolAt(time, 4)
  const [cooling, disabled, recovered, untouched] = pool.all
  pool.coolDown(cooling, 10)
  pool.disable(disabled, '401')
  disabled.coolingUntil = 0
  pool.coolDown(recovered, 1)
  time.now += 1000
  t.equal(pool.merge(cooling, undefined), true, 'cooling and not disabled')
  t.equal(pool.merge(disabled, undefined), true, 'disabled and not cooling')
  t.equal(pool.merge(recovered, undefined), true, 'its cooldown ends exactly now, but it waits for its check')
  pool.probed(recovered, 'ok')
  t.equal(pool.merge(recovered, undefined), false, 'checked: nothing worth sharing')
  t.equal(pool.merge(untouched, undefined), false, 'never changed')
})

test('merge with a record of the same moment changes nothing and writes nothing', async (t) => {
  const time = { now: 1000 }
  const here = poolAt(time, 1)
  const there = poolAt(time, 1)
  here.coolDown(here.all[0], 30, 'ours')
  there.disable(there.all[0], 'theirs')
  t.equal(here.all[0].changedAt, there.all[0].changedAt, 'both changed at 1000')
  t.equal(here.merge(here.all[0], there.recordOf(there.all[0])), false)
  t.same([here.all[0].disabledReason, here.all[0].lastError, here.all[0].coolingUntil], [null, 'ours', 31000], 'a tie keeps what this instance has')
})

test('each change is shared, with a time that always moves forward', async (t) => {
  const time = { now: 7000 }
  const shared: Array<[number, number]> = []
  const pool = new KeyPool(['sk-ant-api03-one-XXXXXXXXXXXXXXXX'], () => time.now, (key) => shared.push([key.index, key.changedAt]))
  const key = pool.all[0]
  pool.coolDown(key, 1)
  pool.disable(key, '401')
  pool.enable(key)
  t.same(shared, [[0, 7000], [0, 7001], [0, 7002]], 'three changes in one millisecond, each later than the last')
  time.now = 9000
  pool.coolDown(key, 1)
  t.same(shared.at(-1), [0, 9000], 'then the clock again')
})

test('describe shows each key\'s label and health, never the secret', async (t) => {
  const time = { now: 10_000 }
  const pool = poolAt(time, 4)
  const [healthy, cooling, disabled, ending] = pool.all
  pool.coolDown(cooling, 2.5)
  pool.disable(disabled, '401 authentication_error')
  pool.coolDown(disabled, 60)
  pool.coolDown(ending, 1)
  time.now += 1000
  t.same(pool.describe(), [
    { label: healthy.label, state: 'healthy', coolingSeconds: 0, disabledReason: null },
    { label: cooling.label, state: 'cooling', coolingSeconds: 2, disabledReason: null },
    { label: 'sk-ant-api03-…XXXX (' + disabled.label.slice(-5), state: 'disabled', coolingSeconds: 0, disabledReason: '401 authentication_error' },
    { label: ending.label, state: 'cooling', coolingSeconds: 0, disabledReason: null }
  ], 'a key whose cooldown just ended still cools until its check')
  time.now -= 500
  t.equal(pool.describe()[1].coolingSeconds, 2, '1.5 s left rounds up to 2')
})

test('parseKeyRecord refuses a record with any one number missing, and reads odd texts as null', async (t) => {
  const good = { coolingUntil: 1, changedAt: 2, disabledAt: 3, disabledReason: 'r', lastError: 'e' }
  t.same(parseKeyRecord(JSON.stringify(good)), { ...good, probePending: false })
  for (const field of ['coolingUntil', 'changedAt', 'disabledAt']) {
    t.equal(parseKeyRecord(JSON.stringify({ ...good, [field]: 'x' })), undefined, `${field} not a number`)
  }
  t.same(parseKeyRecord(JSON.stringify({ ...good, disabledReason: 5, lastError: true })), { ...good, disabledReason: null, lastError: null, probePending: false })
})

test('a 403 naming the API key, spelt any of the usual ways, rejects the key', async (t) => {
  for (const message of ['Invalid API key', 'invalid api_key', 'This apikey is not authorized', 'api-key not allowed']) {
    t.equal(rejectsKey(403, message), true, message)
  }
})
