import t from 'tap'
import { billedUsage, BUILT_IN_PRICES, costOf, noUsage, PriceTable, type BilledUsage, type PriceEntry } from '../../../lib/ledger/prices.js'
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
