import { test } from 'tap'
test('a', async (t) => { t.equal(1, 1); t.ok(true) })
test('b', async (t) => { t.test('c', async (t) => { t.equal(2, 2) }) })
