import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, startGateway } from '../helpers/gateway.js'

const messages = [{ role: 'user', content: 'Hi' }]

test('a retired model is answered 404 naming it and its replacement, before any upstream call', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => { await gateway.close(); await stub.close() })
  // Retired on 2026-11-30 and 2026-02-19: past dates stay past, whatever day the test runs.
  const cases: Array<[string, string, string]> = [
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-6'],
    ['claude-3-7-sonnet-20250219-thinking', 'claude-3-7-sonnet-20250219', 'claude-sonnet-4-6'],
    ['claude-opus-4-20250514', 'claude-opus-4-20250514', 'claude-opus-4-8']
  ]
  for (const [requested, named, replacement] of cases) {
    for (const stream of [false, true]) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: requested, messages, stream }) })
      t.equal(response.status, 404, `${requested}${stream ? ' (stream)' : ''}: 404`)
      const body = await response.json() as any
      t.match(body, { error: { type: 'not_found_error', code: 'model_retired', param: 'model' } })
      t.ok(body.error.message.includes(named) && body.error.message.includes(replacement), `names ${named} and ${replacement}`)
    }
  }
  const responses = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', input: 'Hi' }) })
  t.equal(responses.status, 404, 'the Responses API says the same')
  t.match(await responses.json(), { error: { code: 'model_retired', message: /claude-sonnet-4-6/ } })
  t.equal(stub.requests.length, 0, 'nothing went upstream')

  const current = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, body: JSON.stringify({ model: 'claude-sonnet-4-6', messages }) })
  t.equal(current.status, 200, 'the replacement is served')
})
