// What the Messages pass-through checks before anything goes upstream: nesting depth of the
// parts it reads (system, tools, first message) and retired models, answered in Anthropic's shape.
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'

const HEADERS = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }

function nested (depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

test('system, tools or a first message nested 10k to 1M deep get a 400 in Anthropic\'s shape, never a 500', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const message = '{"role":"user","content":"Hi"}'
  for (const depth of [10_000, 1_000_000]) {
    const bodies: Record<string, string> = {
      system: `{"model":"claude-sonnet-4-6","max_tokens":16,"system":${nested(depth)},"messages":[${message}]}`,
      tools: `{"model":"claude-sonnet-4-6","max_tokens":16,"tools":${nested(depth)},"messages":[${message}]}`,
      'first message': `{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[${nested(depth)}]}`,
      metadata: `{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[${message}],"metadata":${nested(depth)}}`
    }
    for (const [where, body] of Object.entries(bodies)) {
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        const answer = await fetch(gateway.url + path, { method: 'POST', headers: HEADERS, body })
        t.equal(answer.status, 400, `${where} ${depth} deep on ${path}: 400`)
        const error = await answer.json() as any
        t.match(error, { type: 'error', error: { type: 'invalid_request_error', message: /deeper than 128/ } })
      }
    }
  }
  t.equal(stub.requests.length, 0, 'nothing went upstream')
  const fine = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: HEADERS, body: `{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[${message}]}` })
  t.equal(fine.status, 200, 'an ordinary body is served')
})

test('a retired model on the pass-through gets the same 404 model_retired answer, in Anthropic\'s shape', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    const answer = await fetch(gateway.url + path, { method: 'POST', headers: HEADERS, body: '{"model":"claude-sonnet-4-5-20250929","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}' })
    t.equal(answer.status, 404, `${path}: 404`)
    const error = await answer.json() as any
    t.match(error, { type: 'error', error: { type: 'not_found_error', message: /retired.*claude-sonnet-4-6/ } })
  }
  t.equal(stub.requests.length, 0, 'nothing went upstream')
})
