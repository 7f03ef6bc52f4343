import { test } from 'tap'
import { cacheHeader, classify, prefixOf } from '../../../lib/cache/cache-outcome.js'

const body = (first: string): Record<string, unknown> => ({ system: [{ type: 'text', text: 'secret project context', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: first }] })
const WRITE = { cache_creation_input_tokens: 900, cache_read_input_tokens: 0 }

test('same key and prefix but older than the breakpoint\'s TTL: miss_expired (5 minutes, or 1 hour when asked)', async (t) => {
  const previous = prefixOf(body('hi'), 'key-a', 0)
  t.same(classify(prefixOf(body('hi'), 'key-a', 300_001), previous, WRITE, 300_001), { outcome: 'miss_expired' })
  t.same(classify(prefixOf(body('hi'), 'key-a', 299_000), previous, WRITE, 299_000), { outcome: 'first_write' }, 'within 5 minutes it is not expired')
  const long = { ...body('hi'), system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }
  t.equal(prefixOf(long, 'key-a', 0).ttlMs, 3_600_000)
})

test('the record holds digests only, never the text', async (t) => {
  const record = prefixOf(body('my private question'), 'key-a', 0)
  const text = JSON.stringify(record)
  t.notOk(text.includes('secret project'))
  t.notOk(text.includes('private question'))
  t.same(record.blocks.map((block) => block.where), ['system[0]', 'messages[0]'])
})

test('the header names the outcome and where', async (t) => {
  t.equal(cacheHeader({ outcome: 'miss_prefix_changed', at: 'system[0]' }), 'miss_prefix_changed; at=system[0]')
  t.equal(cacheHeader({ outcome: 'hit' }), 'hit')
})
