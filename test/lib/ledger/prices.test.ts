import t from 'tap'
import { addBilled, billedUsage, BUILT_IN_PRICES, costOf, costParts, noUsage, PriceTable, type BilledUsage, type PriceEntry } from '../../../lib/ledger/prices.js'
import { parsePriceOverrides } from '../../../lib/ledger/price-overrides.js'

const table = new PriceTable(BUILT_IN_PRICES)
const usage = (fields: Partial<BilledUsage>): BilledUsage => ({ ...noUsage(), ...fields })

t.test('ids match their family, dated or not, and never a neighbour', async (t) => {
  t.equal(table.lookup('claude-sonnet-4-5-20250929')?.id, 'claude-sonnet-4-5')
  t.equal(table.lookup('claude-sonnet-4-5')?.id, 'claude-sonnet-4-5')
  t.equal(table.lookup('claude-sonnet-4-20250514')?.id, 'claude-sonnet-4')
  t.equal(table.lookup('claude-opus-4-0')?.id, 'claude-opus-4')
  t.equal(table.lookup('claude-haiku-4-5-20251001')?.id, 'claude-haiku-4-5')
  t.equal(table.lookup('claude-sonnet-5-5')?.id, 'claude-sonnet-5-5')
  t.equal(table.lookup('claude-fable-5-1')?.id, 'claude-fable-5-1')
  t.equal(table.lookup('claude-fable-5-2'), undefined, 'a model the table lacks is unpriced, not its neighbour')
  t.equal(table.lookup('claude-sonnet-4-50'), undefined)
  t.equal(table.lookup('gpt-4o'), undefined)
})

t.test('every built-in entry names its source and date, in integer micro-dollars', async (t) => {
  for (const price of BUILT_IN_PRICES) {
    t.match(price.source, /^https:\/\/platform\.claude\.com\//, price.id)
    t.match(price.date, /^\d{4}-\d{2}-\d{2}$/)
    for (const rate of [price.input, price.cacheWrite5m, price.cacheWrite1h, price.cacheRead, price.output, price.webSearchPer1000]) t.ok(Number.isSafeInteger(rate) && rate >= 0)
  }
  const opus = table.lookup('claude-opus-4-7')!
  t.same([opus.input, opus.cacheWrite5m, opus.cacheWrite1h, opus.cacheRead, opus.output], [5_000_000, 6_250_000, 10_000_000, 500_000, 25_000_000])
})

t.test('cost is exact integer nano-dollars for every kind of token and for searches', async (t) => {
  const sonnet = table.lookup('claude-sonnet-4-6')!
  // 1 token at $3/MTok is 3 micro-dollars, 3000 nano-dollars.
  t.equal(costOf(sonnet, usage({ uncachedInputTokens: 1 })), 3000)
  t.equal(costOf(sonnet, usage({ outputTokens: 1 })), 15_000)
  t.equal(costOf(sonnet, usage({ cacheWrite5mTokens: 4 })), 15_000)
  t.equal(costOf(sonnet, usage({ cacheWrite1hTokens: 1 })), 6000)
  t.equal(costOf(sonnet, usage({ cacheReadTokens: 10 })), 3000)
  t.equal(costOf(sonnet, usage({ webSearchRequests: 3 })), 30_000_000, '$10 per 1,000 searches: 3 cents')
  // A million output tokens of Opus 4.1: $75, i.e. 7500 cents.
  t.equal(costOf(table.lookup('claude-opus-4-1')!, usage({ outputTokens: 1_000_000 })), 75_000_000_000)
  // Large counts stay exact: 10^9 tokens at $15 is $15,000.
  t.equal(costOf(sonnet, usage({ outputTokens: 1_000_000_000 })), 15_000_000_000_000)
})

t.test('rounding happens once, on the total', async (t) => {
  // A rate of one micro-dollar per million tokens: a token costs a thousandth of a nano-dollar.
  const fine: PriceEntry = { id: 'fine', input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 's', date: '2026-01-01' }
  // 300 + 200 thousandths: rounded apart each would be 0; together they are half a nano-dollar, rounded up.
  t.equal(costOf(fine, usage({ uncachedInputTokens: 300, outputTokens: 200 })), 1)
  t.equal(costOf(fine, usage({ uncachedInputTokens: 499 })), 0)
})

t.test("Haiku 5.5's long-prompt band prices the whole request once the prompt passes 100,000 tokens", async (t) => {
  const haiku = table.lookup('claude-haiku-5-5')!
  t.equal(costOf(haiku, usage({ uncachedInputTokens: 100_000, outputTokens: 1000 })), 100_000 * 100 + 1000 * 500)
  // 60,000 fresh + 40,001 read: over the threshold, so every token (output too) is at the long rates.
  t.equal(costOf(haiku, usage({ uncachedInputTokens: 60_000, cacheReadTokens: 40_001, outputTokens: 1000 })), 60_000 * 500 + 40_001 * 50 + 1000 * 2500)
})

t.test("Anthropic's usage is split by how it is billed", async (t) => {
  t.same(billedUsage({ input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 3, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 4, ephemeral_1h_input_tokens: 6 }, server_tool_use: { web_search_requests: 2 } }),
    { uncachedInputTokens: 5, cacheWrite5mTokens: 4, cacheWrite1hTokens: 6, cacheReadTokens: 3, outputTokens: 7, webSearchRequests: 2 })
  t.same(billedUsage({ input_tokens: 5, cache_creation_input_tokens: 10 }).cacheWrite5mTokens, 10, 'without the split, writes count as 5-minute ones')
  t.same(billedUsage({}), noUsage())
})

t.test('PRICES entries are read in dollars, win over the table, and bad ones are refused by name', async (t) => {
  const overrides = parsePriceOverrides(JSON.stringify([
    { id: 'claude-sonnet-4-6', input: 2.5, cache_write_5m: 3, cache_write_1h: 5, cache_read: 0.25, output: 12.5 },
    { id: 'claude-nova-1', aliases: ['claude-nova-1-*'], input: 0.1, cache_write_5m: 0.125, cache_write_1h: 0.2, cache_read: 0.01, output: 0.5, web_search_per_1000: 5, source: 'contract', date: '2026-11-01' }
  ]), '2026-12-02')
  const custom = new PriceTable(BUILT_IN_PRICES, overrides)
  t.equal(custom.lookup('claude-sonnet-4-6')!.input, 2_500_000)
  t.equal(custom.lookup('claude-sonnet-4-6')!.date, '2026-12-02')
  t.equal(custom.lookup('claude-sonnet-4-6')!.source, 'PRICES setting')
  t.equal(custom.lookup('claude-nova-1-preview')!.id, 'claude-nova-1')
  t.same(custom.quote('claude-nova-1', usage({ uncachedInputTokens: 10, webSearchRequests: 1 })), { costNanoUsd: 1000 + 5_000_000, priceVersion: 'claude-nova-1@2026-11-01' })
  t.equal(custom.quote('unknown-model', usage({ outputTokens: 1 })), undefined)
  t.same(parsePriceOverrides(undefined), [])
  t.throws(() => parsePriceOverrides('not json'), /JSON/)
  t.throws(() => parsePriceOverrides(JSON.stringify([{ id: 'x', input: -1, cache_write_5m: 0, cache_write_1h: 0, cache_read: 0, output: 0 }])), /input/)
  t.throws(() => parsePriceOverrides(JSON.stringify([{ id: 'x', input: 1 }])))
})

t.test('a table entry can be passed in whole', async (t) => {
  const entry: PriceEntry = { id: 'm', input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 's', date: '2026-01-01' }
  t.equal(new PriceTable([entry]).quote('m-20260101', usage({ outputTokens: 1000 }))!.costNanoUsd, 1)
})

/** Dollars per million tokens as the pricing pages print them: input, 5-minute write, 1-hour write, cache read, output. */
const PAGE = 'https://platform.claude.com/docs/en/about-claude/pricing'
const MODEL_PAGE = (model: string): string => `https://platform.claude.com/docs/en/models/${model}/overview`
const EXPECTED_TABLE: Array<[string, number[], string]> = [
  ['claude-fable-5-1', [10, 12.5, 20, 0.25, 50], PAGE],
  ['claude-mythos-5-1', [10, 12.5, 20, 0.25, 50], PAGE],
  ['claude-fable-5', [10, 12.5, 20, 1, 50], PAGE],
  ['claude-mythos-5', [10, 12.5, 20, 1, 50], PAGE],
  ['claude-opus-5-5', [4, 5, 8, 0.2, 20], MODEL_PAGE('opus-5-5')],
  ['claude-opus-5', [5, 6.25, 10, 0.5, 25], PAGE],
  ['claude-opus-4-8', [5, 6.25, 10, 0.5, 25], PAGE],
  ['claude-opus-4-7', [5, 6.25, 10, 0.5, 25], PAGE],
  ['claude-opus-4-6', [5, 6.25, 10, 0.5, 25], PAGE],
  ['claude-opus-4-5', [5, 6.25, 10, 0.5, 25], PAGE],
  ['claude-opus-4-1', [15, 18.75, 30, 1.5, 75], PAGE],
  ['claude-opus-4', [15, 18.75, 30, 1.5, 75], PAGE],
  ['claude-sonnet-5-5', [2, 2.5, 4, 0.2, 10], MODEL_PAGE('sonnet-5-5')],
  ['claude-sonnet-5', [2, 2.5, 4, 0.2, 10], MODEL_PAGE('sonnet-5')],
  ['claude-sonnet-4-6', [3, 3.75, 6, 0.3, 15], PAGE],
  ['claude-sonnet-4-5', [3, 3.75, 6, 0.3, 15], PAGE],
  ['claude-sonnet-4', [3, 3.75, 6, 0.3, 15], PAGE],
  ['claude-haiku-5-5', [0.1, 0.125, 0.2, 0.01, 0.5], MODEL_PAGE('haiku-5-5')],
  ['claude-haiku-4-5', [1, 1.25, 2, 0.1, 5], PAGE]
]

t.test('the built-in table holds each model at its listed rates, source and reading date', async (t) => {
  t.same(BUILT_IN_PRICES.map((price) => price.id), EXPECTED_TABLE.map(([id]) => id))
  for (const [id, dollars, source] of EXPECTED_TABLE) {
    const price = table.lookup(id)
    t.equal(price?.id, id)
    t.same([price?.input, price?.cacheWrite5m, price?.cacheWrite1h, price?.cacheRead, price?.output], dollars.map((d) => Math.round(d * 1_000_000)), id)
    t.equal(price?.webSearchPer1000, 10_000_000, `${id}: $10 per 1,000 searches`)
    t.equal(price?.source, source)
    t.equal(price?.date, '2026-12-02')
  }
  t.same(table.lookup('claude-haiku-5-5')?.longPrompt, { thresholdTokens: 100_000, input: 500_000, cacheWrite5m: 625_000, cacheWrite1h: 1_000_000, cacheRead: 50_000, output: 2_500_000 })
  t.same(BUILT_IN_PRICES.filter((price) => price.longPrompt !== undefined).map((price) => price.id), ['claude-haiku-5-5'], 'only Haiku 5.5 has a long-prompt band')
  t.same(BUILT_IN_PRICES.filter((price) => price.aliases !== undefined).map((price) => [price.id, price.aliases]), [['claude-opus-4', ['claude-opus-4-0']], ['claude-sonnet-4', ['claude-sonnet-4-0']]])
})

t.test('an alias matches dated too, like its family id', async (t) => {
  t.equal(table.lookup('claude-sonnet-4-0')?.id, 'claude-sonnet-4')
  t.equal(table.lookup('claude-sonnet-4-0-20250514')?.id, 'claude-sonnet-4')
  t.equal(table.lookup('claude-opus-4-0-20250514')?.id, 'claude-opus-4')
})

t.test('only a dash and exactly eight digits at the very end count as a date', async (t) => {
  t.equal(table.lookup('claude-sonnet-4-5-2025092'), undefined, 'seven digits')
  t.equal(table.lookup('claude-sonnet-4-5-202509290'), undefined, 'nine digits')
  t.equal(table.lookup('claude-sonnet-4-5-2025092x'), undefined, 'not all digits')
  t.equal(table.lookup('claude-sonnet-4-520250929'), undefined, 'no dash')
  t.equal(table.lookup('claude-sonnet-4-20250514-5'), undefined, 'a date in the middle is not stripped')
})

t.test('a glob alias matches whole ids only, its other characters literally', async (t) => {
  const glob = (aliases: string[]): PriceEntry => ({ id: `family-${aliases.join('|')}`, aliases, input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 's', date: '2026-01-01' })
  const prices = new PriceTable([], [glob(['nova-1.5-*']), glob(['*-lite']), glob(['a+b-*', 'pre-*'])])
  t.equal(prices.lookup('nova-1.5-preview')?.id, 'family-nova-1.5-*')
  t.equal(prices.lookup('nova-1.5-')?.id, 'family-nova-1.5-*', 'the star matches nothing too')
  t.equal(prices.lookup('nova-1x5-preview'), undefined, 'a dot is a dot')
  t.equal(prices.lookup('x-nova-1.5-preview'), undefined, 'anchored at the start')
  t.equal(prices.lookup('claude-lite'), prices.lookup('x-lite'))
  t.equal(prices.lookup('claude-lite')?.id, 'family-*-lite')
  t.equal(prices.lookup('claude-lite-2'), undefined, 'anchored at the end')
  t.equal(prices.lookup('a+b-1')?.id, 'family-a+b-*|pre-*', 'a plus is a plus')
  t.equal(prices.lookup('aab-1'), undefined)
  t.equal(prices.lookup('pre-9')?.id, 'family-a+b-*|pre-*', 'any of the aliases matches')
})

t.test('an exact id wins over a glob that also matches it', async (t) => {
  const entry = (id: string, aliases?: string[]): PriceEntry => ({ id, ...(aliases ? { aliases } : {}), input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 's', date: '2026-01-01' })
  const prices = new PriceTable([entry('wide', ['m-*']), entry('m-pro')])
  t.equal(prices.lookup('m-pro')?.id, 'm-pro')
  t.equal(prices.lookup('m-pro-20260101')?.id, 'm-pro')
  t.equal(prices.lookup('m-other')?.id, 'wide')
})

t.test('an override replaces the built-in entry of its id and keeps the others', async (t) => {
  const cheap: PriceEntry = { id: 'claude-opus-4', input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 'mine', date: '2026-01-01' }
  const prices = new PriceTable(BUILT_IN_PRICES, [cheap])
  t.equal(prices.lookup('claude-opus-4'), cheap)
  t.equal(prices.lookup('claude-opus-4-0'), undefined, "the built-in entry's alias went with it")
  t.equal(prices.lookup('claude-sonnet-4')?.source, PAGE)
  t.equal(prices.entries().length, BUILT_IN_PRICES.length)
})

t.test('entries lists each priced family once, aliases not repeated', async (t) => {
  t.same(table.entries().map((price) => price.id), BUILT_IN_PRICES.map((price) => price.id))
  t.same(new PriceTable([]).entries(), [])
})

t.test('a quote names the entry and its date', async (t) => {
  t.same(table.quote('claude-opus-4-0-20250514', usage({ outputTokens: 2 })), { costNanoUsd: 150_000, priceVersion: 'claude-opus-4@2026-12-02' })
  t.same(table.quote('claude-haiku-4-5', noUsage()), { costNanoUsd: 0, priceVersion: 'claude-haiku-4-5@2026-12-02' }, 'no tokens cost zero, not unpriced')
})

t.test('each kind of token is charged at its own rate', async (t) => {
  const distinct: PriceEntry = { id: 'd', input: 1_000_000, cacheWrite5m: 2_000_000, cacheWrite1h: 4_000_000, cacheRead: 8_000_000, output: 16_000_000, webSearchPer1000: 32_000_000, source: 's', date: '2026-01-01' }
  t.same(costParts(distinct, { uncachedInputTokens: 1, cacheWrite5mTokens: 10, cacheWrite1hTokens: 100, cacheReadTokens: 1000, outputTokens: 10_000, webSearchRequests: 3 }), {
    uncachedInput: 1_000_000n,
    cacheWrite5m: 20_000_000n,
    cacheWrite1h: 400_000_000n,
    cacheRead: 8_000_000_000n,
    output: 160_000_000_000n,
    webSearch: 96_000_000_000n
  }, 'pico-dollars per kind')
  t.equal(costOf(distinct, { uncachedInputTokens: 1, cacheWrite5mTokens: 10, cacheWrite1hTokens: 100, cacheReadTokens: 1000, outputTokens: 10_000, webSearchRequests: 3 }), 264_421_000)
})

t.test('a total of exactly half a nano-dollar rounds up, just under it rounds down', async (t) => {
  const fine: PriceEntry = { id: 'fine', input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 0, source: 's', date: '2026-01-01' }
  t.equal(costOf(fine, usage({ uncachedInputTokens: 500 })), 1)
  t.equal(costOf(fine, usage({ uncachedInputTokens: 1499 })), 1)
  t.equal(costOf(fine, usage({ uncachedInputTokens: 1500 })), 2)
})

t.test('every kind of prompt token counts towards the long-prompt threshold, and only past it', async (t) => {
  const band: PriceEntry = {
    id: 'band', input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 1000, source: 's', date: '2026-01-01',
    longPrompt: { thresholdTokens: 100, input: 1000, cacheWrite5m: 1000, cacheWrite1h: 1000, cacheRead: 1000, output: 1000 }
  }
  const long = (fields: Partial<BilledUsage>): boolean => costParts(band, usage(fields)).output === 1000n * BigInt(fields.outputTokens ?? 0)
  t.equal(long({ uncachedInputTokens: 100, outputTokens: 1 }), false, 'at the threshold: base rates')
  t.equal(long({ uncachedInputTokens: 101, outputTokens: 1 }), true)
  t.equal(long({ uncachedInputTokens: 50, cacheWrite5mTokens: 51, outputTokens: 1 }), true, '5-minute writes count')
  t.equal(long({ uncachedInputTokens: 50, cacheWrite1hTokens: 51, outputTokens: 1 }), true, '1-hour writes count')
  t.equal(long({ uncachedInputTokens: 50, cacheReadTokens: 51, outputTokens: 1 }), true, 'cache reads count')
  t.equal(long({ cacheReadTokens: 40, cacheWrite5mTokens: 30, cacheWrite1hTokens: 30, outputTokens: 1 }), false, '100 in all is not past it')
  t.equal(long({ outputTokens: 1000 }), false, 'output does not count')
  t.equal(costParts(band, usage({ uncachedInputTokens: 101, webSearchRequests: 1 })).webSearch, 1_000_000n, 'searches keep their one price in the long band')
})

t.test('the 5-minute / 1-hour split is read when sent, and absent parts are zero', async (t) => {
  t.same(billedUsage({ cache_creation_input_tokens: 10, cache_creation: { ephemeral_1h_input_tokens: 6 } }), { ...noUsage(), cacheWrite1hTokens: 6 }, 'a split with only 1-hour writes has no 5-minute ones')
  t.same(billedUsage({ cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 10 } }), { ...noUsage(), cacheWrite5mTokens: 10 })
  t.same(billedUsage({ cache_creation_input_tokens: 10, cache_creation: null }), { ...noUsage(), cacheWrite5mTokens: 10 }, 'a null split is no split')
  t.same(billedUsage({ cache_creation_input_tokens: null, cache_read_input_tokens: null, server_tool_use: null }), noUsage())
  t.same(billedUsage({ server_tool_use: {} }), noUsage())
})

t.test('usages add field by field', async (t) => {
  const a: BilledUsage = { uncachedInputTokens: 1, cacheWrite5mTokens: 2, cacheWrite1hTokens: 3, cacheReadTokens: 4, outputTokens: 5, webSearchRequests: 6 }
  const b: BilledUsage = { uncachedInputTokens: 10, cacheWrite5mTokens: 20, cacheWrite1hTokens: 30, cacheReadTokens: 40, outputTokens: 50, webSearchRequests: 60 }
  t.strictSame(addBilled(a, b), { uncachedInputTokens: 11, cacheWrite5mTokens: 22, cacheWrite1hTokens: 33, cacheReadTokens: 44, outputTokens: 55, webSearchRequests: 66 })
  t.strictSame(noUsage(), { uncachedInputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, outputTokens: 0, webSearchRequests: 0 })
})

t.test('a price with both plain and glob aliases matches only what one of them names', async (t) => {
  const entry = { id: 'mixed', aliases: ['mixed-exact', 'mixed-*-v2'], input: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1, output: 1, webSearchPer1000: 1, source: 's', date: '2026-01-01' }
  const mixed = new PriceTable([entry])
  t.equal(mixed.lookup('mixed-exact')?.id, 'mixed')
  t.equal(mixed.lookup('mixed-large-v2')?.id, 'mixed')
  t.equal(mixed.lookup('other-model'), undefined, 'the plain alias is no wildcard')
  t.equal(mixed.lookup('mixed-exact-v3'), undefined)
})
