import t from 'tap'
import { BUILT_IN_PRICES, PriceTable, type PriceEntry } from '../../../lib/ledger/prices.js'
import { protocolOfRoute, RequestAccount } from '../../../lib/ledger/request-account.js'

const STARTED_AT = Date.UTC(2026, 11, 2, 10)
/** performance.now() at arrival; durations are measured from it. */
const CLOCK = 1000

/** A price whose rates differ per token kind, so a token in the wrong column shows in the cost. */
const distinct: PriceEntry = { id: 'model-d', input: 1_000_000, cacheWrite5m: 2_000_000, cacheWrite1h: 4_000_000, cacheRead: 8_000_000, output: 16_000_000, webSearchPer1000: 32_000_000, source: 's', date: '2026-01-01' }
const prices = new PriceTable([distinct])

function account (completed: RequestAccount[] = []): RequestAccount {
  return new RequestAccount('req-1', 'messages', '/v1/messages', STARTED_AT, CLOCK, (done) => completed.push(done))
}

t.test('a usage block becomes a row with every token kind in its column, priced at its rate', async (t) => {
  const acc = account()
  acc.addUsage('model-d-20260101', { input_tokens: 1, cache_creation_input_tokens: 110, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 100 }, cache_read_input_tokens: 1000, output_tokens: 10_000, server_tool_use: { web_search_requests: 3 } })
  acc.end(200, CLOCK + 250)
  const row = acc.toRow(prices)
  t.same([row.uncachedInputTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens, row.cacheReadTokens, row.outputTokens, row.webSearchRequests], [1, 10, 100, 1000, 10_000, 3])
  // At $1, $2, $4, $8 and $16 per million tokens a token costs 1000, 2000, 4000, 8000 and 16,000 nano-dollars; 3 searches at $32 per 1,000.
  t.equal(row.costNanoUsd, 1 * 1000 + 10 * 2000 + 100 * 4000 + 1000 * 8000 + 10_000 * 16_000 + 96_000_000)
  t.equal(row.priceVersion, 'model-d@2026-01-01')
  t.equal(row.upstreamModel, 'model-d-20260101')
})

t.test('the row carries who asked, what, how it went and how long it took', async (t) => {
  const acc = account()
  acc.holder = { client: 'alice', group: 'backend' }
  acc.requestedModel = 'model-d'
  acc.streamed = true
  acc.cacheOutcome = 'hit'
  acc.served({ keyLabel: 'key#2', requestId: 'req_up_9' })
  acc.addUsage('model-d', { input_tokens: 1 })
  acc.firstToken(CLOCK + 40)
  acc.end(200, CLOCK + 250)
  t.strictSame(acc.toRow(prices), {
    at: STARTED_AT,
    requestId: 'req-1',
    upstreamRequestId: 'req_up_9',
    client: 'alice',
    group: 'backend',
    protocol: 'messages',
    route: '/v1/messages',
    requestedModel: 'model-d',
    upstreamModel: 'model-d',
    keyLabel: 'key#2',
    status: 200,
    errorType: null,
    uncachedInputTokens: 1,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    outputTokens: 0,
    webSearchRequests: 0,
    costNanoUsd: 1000,
    priceVersion: 'model-d@2026-01-01',
    durationMs: 250,
    ttftMs: 40,
    streamed: true,
    cacheOutcome: 'hit'
  })
})

t.test('several answers add up; the first names the model, the last names the key', async (t) => {
  const acc = account()
  acc.addUsage('model-d', { input_tokens: 2, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 5, server_tool_use: { web_search_requests: 1 } })
  acc.served({ keyLabel: 'key#1', requestId: 'up-1' })
  acc.addUsage('other-model', { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 40, cache_creation_input_tokens: 50, cache_creation: { ephemeral_1h_input_tokens: 50 }, server_tool_use: { web_search_requests: 2 } })
  acc.served({ keyLabel: 'key#2', requestId: 'up-2' })
  acc.end(200, CLOCK)
  const row = acc.toRow(prices)
  t.equal(row.upstreamModel, 'model-d')
  t.same([row.uncachedInputTokens, row.cacheWrite5mTokens, row.cacheWrite1hTokens, row.cacheReadTokens, row.outputTokens, row.webSearchRequests], [22, 5, 50, 44, 33, 3])
  t.same([row.keyLabel, row.upstreamRequestId], ['key#2', 'up-2'])
  t.same(acc.toRow(new PriceTable(BUILT_IN_PRICES)).costNanoUsd, null, "priced by the first answer's model")
})

t.test('a request refused before any model costs zero; one to a model without a price costs null', async (t) => {
  const refused = account()
  refused.end(401, CLOCK)
  t.same([refused.toRow(prices).costNanoUsd, refused.toRow(prices).priceVersion, refused.toRow(prices).upstreamModel], [0, null, null])
  const unpriced = account()
  unpriced.addUsage('claude-unknown-9', { input_tokens: 5 })
  unpriced.end(200, CLOCK)
  const row = unpriced.toRow(prices)
  t.same([row.costNanoUsd, row.priceVersion, row.uncachedInputTokens], [null, null, 5])
})

t.test('a model that answered with no tokens cost zero, priced', async (t) => {
  const acc = account()
  acc.addUsage('model-d', {})
  acc.end(200, CLOCK)
  t.same([acc.toRow(prices).costNanoUsd, acc.toRow(prices).priceVersion], [0, 'model-d@2026-01-01'])
})

t.test('the error type is the failure named first, else the HTTP status from 400 up', async (t) => {
  const errorOf = (status: number, failures: string[] = []): string | null => {
    const acc = account()
    for (const failure of failures) acc.fail(failure)
    acc.end(status, CLOCK)
    return acc.toRow(prices).errorType
  }
  t.equal(errorOf(200), null)
  t.equal(errorOf(399), null)
  t.equal(errorOf(400), 'http_400')
  t.equal(errorOf(529), 'http_529')
  t.equal(errorOf(200, ['overloaded_error', 'api_error']), 'overloaded_error', 'a failure after a stream began, the first one')
  t.equal(errorOf(502, ['upstream_timeout']), 'upstream_timeout')
})

t.test('the row is written once, when the response has ended and every held source has released', async (t) => {
  const completed: RequestAccount[] = []
  const acc = account(completed)
  const releaseA = acc.hold()
  const releaseB = acc.hold()
  releaseA()
  acc.end(200, CLOCK + 10)
  t.equal(completed.length, 0, 'one source still open')
  releaseA()
  t.equal(completed.length, 0, 'releasing the same source twice does not count twice')
  releaseB()
  t.equal(completed.length, 1)
  t.equal(completed[0], acc)
  acc.end(500, CLOCK + 20)
  releaseB()
  acc.forceComplete()
  t.equal(completed.length, 1, 'never twice')
  t.same([acc.toRow(prices).status, acc.toRow(prices).durationMs], [200, 10], 'the first end counts')
})

t.test('without holds, the end writes the row; sources released before the end wait for it', async (t) => {
  const completed: RequestAccount[] = []
  const plain = account(completed)
  plain.end(200, CLOCK)
  t.equal(completed.length, 1)
  const early = account(completed)
  early.hold()()
  t.equal(completed.length, 1, 'released, but the response has not ended')
  early.end(200, CLOCK)
  t.equal(completed.length, 2)
})

t.test('forcing completion writes a row whose sources never released, but never before the end', async (t) => {
  const completed: RequestAccount[] = []
  const acc = account(completed)
  acc.hold()
  acc.hold()
  acc.end(200, CLOCK)
  t.equal(completed.length, 0, 'two sources held')
  acc.forceComplete()
  t.equal(completed.length, 1)
  const early = account(completed)
  early.hold()
  early.forceComplete()
  t.equal(completed.length, 1, 'not before the response ended')
  early.end(200, CLOCK)
  t.equal(completed.length, 2, 'the forced source no longer holds the row')
})

t.test('durations count from arrival, never below zero; the first token is timed once', async (t) => {
  const acc = account()
  acc.firstToken(CLOCK - 5)
  acc.firstToken(CLOCK + 70)
  acc.end(200, CLOCK - 1)
  const row = acc.toRow(prices)
  t.equal(row.ttftMs, 0)
  t.equal(row.durationMs, 0)
  const later = account()
  later.firstToken(CLOCK + 33.5)
  later.firstToken(CLOCK + 70)
  t.equal(later.toRow(prices).ttftMs, 33.5)
  t.equal(account().toRow(prices).ttftMs, null, 'no token, no time')
})

t.test('a row taken before the response ended has status 0 and no duration', async (t) => {
  const row = account().toRow(prices)
  t.same([row.status, row.durationMs, row.errorType], [0, 0, null])
})

t.test('only POSTs to the three API routes write rows, under any prefix', async (t) => {
  t.equal(protocolOfRoute('POST', '/v1/chat/completions'), 'chat')
  t.equal(protocolOfRoute('POST', '/openai/v1/chat/completions'), 'chat')
  t.equal(protocolOfRoute('POST', '/v1/responses'), 'responses')
  t.equal(protocolOfRoute('POST', '/v1/messages'), 'messages')
  t.equal(protocolOfRoute('POST', '/anthropic/v1/messages'), 'messages')
  t.equal(protocolOfRoute('GET', '/v1/chat/completions'), undefined)
  t.equal(protocolOfRoute('GET', '/v1/responses'), undefined)
  t.equal(protocolOfRoute('GET', '/v1/messages'), undefined)
  t.equal(protocolOfRoute('POST', '/v1/messages/count_tokens'), undefined)
  t.equal(protocolOfRoute('POST', '/v1/responses/:id/cancel'), undefined)
  t.equal(protocolOfRoute('POST', '/v1/models'), undefined)
})

t.test('a request nobody named and nothing streamed is written as such: no client, no group, not streamed', async (t) => {
  const acc = account()
  acc.end(200, CLOCK + 5)
  const row = acc.toRow(prices)
  t.strictSame([row.client, row.group, row.streamed], [null, null, false])
})
