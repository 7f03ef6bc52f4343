// ANTHROPIC_VERSION=2026-10-21: its rules come from the capability table, and the Chat
// Completions translation follows them (a client's sampling settings are dropped and named).
import { test } from 'tap'
import { CapabilityTable } from '../../lib/anthropic/capabilities.js'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, postChat, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'

test('the capability table lays the API version\'s rules over every model', async (t) => {
  const current = new CapabilityTable([], '2026-10-21').lookup('claude-haiku-4-5-20251001')
  t.same([current.samplingRefused, current.documentsInAssistantTurns, current.citationsInUserText], [true, false, false])
  const old = new CapabilityTable([], '2023-06-01').lookup('claude-haiku-4-5-20251001')
  t.same([old.samplingRefused, old.documentsInAssistantTurns, old.citationsInUserText], [false, true, true])
  t.equal(current.maxOutputTokens, old.maxOutputTokens, 'model rules stay as they were')
})

test('the stub refuses what 2026-10-21 refuses, and 2023-06-01 still accepts', async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  const send = async (version: string, extra: Record<string, unknown>): Promise<Response> => await fetch(`${stub.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': UPSTREAM_KEYS[0], 'anthropic-version': version, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', max_tokens: 32, messages: [{ role: 'user', content: 'Hi' }], ...extra })
  })
  for (const field of ['temperature', 'top_p']) {
    const refused = await send('2026-10-21', { [field]: 1 })
    t.equal(refused.status, 400, `${field} under 2026-10-21`)
    t.match(await refused.json(), { error: { message: `${field}: Extra inputs are not permitted` } })
    t.equal((await send('2023-06-01', { [field]: 1 })).status, 200, `${field} under 2023-06-01`)
  }
  const cited = await send('2026-10-21', { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', citations: [{ type: 'char_location', cited_text: 'x' }] }] }] })
  t.equal(cited.status, 400, 'citations in user text')
})

test('ANTHROPIC_VERSION=2026-10-21: a chat client\'s temperature and top_p are dropped and named, never a 400 from upstream', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_VERSION: '2026-10-21' } })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', temperature: 0.2, top_p: 1, messages: [{ role: 'user', content: 'Hi' }] }, authHeaders)
  t.equal(response.status, 200)
  t.equal(response.headers.get('x-claude2api-dropped-fields'), 'temperature,top_p')
  const upstream = stub.requests[0]
  t.equal(upstream.headers['anthropic-version'], '2026-10-21')
  t.equal(upstream.body.temperature, undefined)
  t.equal(upstream.body.top_p, undefined)
})
