import t from 'tap'
import { parsePriceOverrides } from '../../../lib/ledger/price-overrides.js'
import { thrown } from '../../helpers/thrown.js'

const rates = { input: 1, cache_write_5m: 2, cache_write_1h: 3, cache_read: 4, output: 5 }
const parse = (entries: unknown): ReturnType<typeof parsePriceOverrides> => parsePriceOverrides(JSON.stringify(entries), '2026-12-02')

t.test('no setting, an empty one or only blanks mean no overrides', async (t) => {
  t.same(parsePriceOverrides(undefined), [])
  t.same(parsePriceOverrides(''), [])
  t.same(parsePriceOverrides('  \n\t'), [])
  t.same(parse([]), [])
})

t.test('each rate goes to its own field, dollars per million tokens as integer micro-dollars', async (t) => {
  const [entry] = parse([{ id: 'm', input: 1.5, cache_write_5m: 2.25, cache_write_1h: 3, cache_read: 0.125, output: 4.1 }])
  t.strictSame(entry, {
    id: 'm',
    input: 1_500_000,
    cacheWrite5m: 2_250_000,
    cacheWrite1h: 3_000_000,
    cacheRead: 125_000,
    // 4.1 × 10^6 is 4099999.9999999995 in floating point: rounded, not truncated.
    output: 4_100_000,
    webSearchPer1000: 10_000_000,
    source: 'PRICES setting',
    date: '2026-12-02'
  }, 'without aliases, long_prompt, source or date: no aliases key, $10 searches, the setting as source, today')
})

t.test('a rate finer than a micro-dollar is rounded to the nearest', async (t) => {
  const [entry] = parse([{ id: 'm', ...rates, input: 0.0000015, cache_read: 0.0000004 }])
  t.equal(entry.input, 2)
  t.equal(entry.cacheRead, 0)
})

t.test('aliases, search price, long-prompt band, source and date are taken as given', async (t) => {
  const [entry] = parse([{
    id: 'm',
    aliases: ['m-old', 'm-*'],
    ...rates,
    web_search_per_1000: 7.5,
    long_prompt: { threshold_tokens: 200_000, input: 6, cache_write_5m: 7, cache_write_1h: 8, cache_read: 9, output: 10 },
    source: 'contract 42',
    date: '2026-11-01'
  }])
  t.strictSame(entry, {
    id: 'm',
    aliases: ['m-old', 'm-*'],
    input: 1_000_000,
    cacheWrite5m: 2_000_000,
    cacheWrite1h: 3_000_000,
    cacheRead: 4_000_000,
    output: 5_000_000,
    webSearchPer1000: 7_500_000,
    longPrompt: { thresholdTokens: 200_000, input: 6_000_000, cacheWrite5m: 7_000_000, cacheWrite1h: 8_000_000, cacheRead: 9_000_000, output: 10_000_000 },
    source: 'contract 42',
    date: '2026-11-01'
  })
})

t.test('a free web search is zero, not the default', async (t) => {
  t.equal(parse([{ id: 'm', ...rates, web_search_per_1000: 0 }])[0].webSearchPer1000, 0)
})

t.test('entries keep their order', async (t) => {
  t.same(parse([{ id: 'b', ...rates }, { id: 'a', ...rates }]).map((entry) => entry.id), ['b', 'a'])
})

t.test("the date defaults to today's UTC date", async (t) => {
  const before = new Date().toISOString().slice(0, 10)
  const [entry] = parsePriceOverrides(JSON.stringify([{ id: 'm', ...rates }]))
  const after = new Date().toISOString().slice(0, 10)
  t.ok(entry.date === before || entry.date === after, `${entry.date} is today`)
})

t.test('text that is not JSON is refused with what is expected', async (t) => {
  t.equal(thrown(() => parsePriceOverrides('- id: m')), 'must be a JSON (or YAML) list of price entries')
  t.equal(thrown(() => parsePriceOverrides('[{"id": "m",')), 'must be a JSON (or YAML) list of price entries')
})

t.test('each invalid entry is refused by its path and what is wrong with it', async (t) => {
  const longRates = { threshold_tokens: 100, ...rates }
  const refusals: Array<[string, unknown, string]> = [
    ['not a list', { id: 'm', ...rates }, 'must be array'],
    ['null', null, 'must be array'],
    ['a rate missing', [{ id: 'm', input: 1 }], '/0 must have required properties cache_write_5m, cache_write_1h, cache_read, output'],
    ['an unknown field', [{ id: 'm', ...rates, colour: 'red' }], '/0/colour schema is false'],
    ['a negative rate', [{ id: 'm', ...rates, output: -1 }], '/0/output must be >= 0'],
    ['an absurd rate', [{ id: 'm', ...rates, input: 100_001 }], '/0/input must be <= 100000'],
    ['a rate as text', [{ id: 'm', ...rates, cache_read: '1' }], '/0/cache_read must be number'],
    ['an empty id', [{ id: '', ...rates }], '/0/id must not have fewer than 1 characters'],
    ['an empty alias', [{ id: 'm', ...rates, aliases: [''] }], '/0/aliases/0 must not have fewer than 1 characters'],
    ['a negative search price', [{ id: 'm', ...rates, web_search_per_1000: -1 }], '/0/web_search_per_1000 must be >= 0'],
    ['a malformed date', [{ id: 'm', ...rates, date: '2026-1-1' }], '/0/date must match pattern "^\\d{4}-\\d{2}-\\d{2}$"'],
    ['a zero threshold', [{ id: 'm', ...rates, long_prompt: { ...longRates, threshold_tokens: 0 } }], '/0/long_prompt/threshold_tokens must be >= 1'],
    ['a fractional threshold', [{ id: 'm', ...rates, long_prompt: { ...longRates, threshold_tokens: 1.5 } }], '/0/long_prompt/threshold_tokens must be integer'],
    ['a band without rates', [{ id: 'm', ...rates, long_prompt: { threshold_tokens: 5 } }], '/0/long_prompt must have required properties input, cache_write_5m, cache_write_1h, cache_read, output'],
    ['the second entry', [{ id: 'ok', ...rates }, { id: 'm', ...rates, input: -2 }], '/1/input must be >= 0']
  ]
  for (const [name, value, message] of refusals) t.equal(thrown(() => parse(value)), message, name)
})
