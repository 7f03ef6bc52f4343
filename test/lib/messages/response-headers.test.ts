// Of an upstream answer's headers, only those an Anthropic client reads reach the client.
import { test } from 'tap'
import { keptResponseHeaders } from '../../../lib/messages/response-headers.js'

test('rate-limit, retry, request id and content type are kept; cookies, the organisation, lengths and encodings are not', async (t) => {
  const kept = keptResponseHeaders({
    'content-type': 'text/event-stream; charset=utf-8',
    'request-id': 'req_1',
    'retry-after': '3',
    'retry-after-ms': '2500',
    'x-should-retry': 'true',
    'anthropic-ratelimit-requests-remaining': '99',
    'anthropic-ratelimit-tokens-reset': '2026-12-02T00:00:00Z',
    'anthropic-organization-id': 'org-secret',
    'set-cookie': ['a=1', 'b=2'],
    'content-length': '123',
    'content-encoding': 'gzip',
    'transfer-encoding': 'chunked',
    connection: 'keep-alive',
    'cf-ray': 'abc',
    via: '1.1 proxy',
    'x-unset': undefined
  })
  t.same(kept, {
    'content-type': 'text/event-stream; charset=utf-8',
    'request-id': 'req_1',
    'retry-after': '3',
    'retry-after-ms': '2500',
    'x-should-retry': 'true',
    'anthropic-ratelimit-requests-remaining': '99',
    'anthropic-ratelimit-tokens-reset': '2026-12-02T00:00:00Z'
  })
})

test('a repeated kept header is joined into one value', async (t) => {
  t.same(keptResponseHeaders({ 'anthropic-ratelimit-x': ['1', '2'] }), { 'anthropic-ratelimit-x': '1, 2' })
})

test('a kept header without a value is left out, not set to undefined', async (t) => {
  t.same(Object.keys(keptResponseHeaders({ 'retry-after': undefined, 'anthropic-ratelimit-requests-limit': undefined, 'request-id': 'req_1' })), ['request-id'])
})
