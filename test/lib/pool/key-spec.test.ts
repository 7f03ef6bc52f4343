import { test } from 'tap'
import { parseKeySpec, parseKeySpecs } from '../../../lib/pool/key-spec.js'

const KEY = 'sk-ant-api03-key-spec-test-XXXXXXXXXXXXXXXXAA'

test('a bare key has weight 1, priority 0 and the global concurrency cap', async (t) => {
  t.same(parseKeySpec(KEY, 0), { secret: KEY, weight: 1, priority: 0 })
})

test('a name, a weight, a priority and a concurrency cap', async (t) => {
  t.same(parseKeySpec(`tier4=${KEY};weight=3;priority=2;max_concurrency=8`, 0), { secret: KEY, name: 'tier4', weight: 3, priority: 2, maxConcurrency: 8 })
})

test('mistakes are refused by entry number, never quoting the key', async (t) => {
  for (const entry of [`${KEY};weight=0`, `${KEY};weight=101`, `${KEY};colour=red`, `${KEY};max_concurrency=0`, `9bad=${KEY}`, 'name=']) {
    const error = t.throws(() => parseKeySpec(entry, 1), entry.replace(KEY, 'KEY')) as Error
    t.match(error.message, /^entry 2:/)
    t.notOk(error.message.includes('key-spec-test'))
  }
})

test('a name or a key listed twice is refused', async (t) => {
  t.throws(() => parseKeySpecs([`a=${KEY}`, `a=${KEY}x`]), /name 'a' is used twice/)
  t.throws(() => parseKeySpecs([KEY, `b=${KEY}`]), /same key is listed twice/)
})
