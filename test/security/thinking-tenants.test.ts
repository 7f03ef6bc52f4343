import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { postChat, startGateway } from '../helpers/gateway.js'

const TENANT_A = 'tenant-a-client-key-0123456789'
const TENANT_B = 'tenant-b-client-key-9876543210'
const MODEL = 'claude-sonnet-4-6'
const WEATHER = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }
const THINKING = { type: 'thinking' as const, thinking: 'Tenant A private reasoning about Paris.', signature: 'sig-tenant-a' }

const headersFor = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' })

function continuation (toolCallId: string): Record<string, unknown> {
  return {
    model: MODEL,
    reasoning_effort: 'low',
    tools: [WEATHER],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: toolCallId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: toolCallId, content: 'Sunny' }
    ]
  }
}

test('a caller who replays another tenant\'s tool-call id does not get its thinking', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url, { config: { APIKEY: `${TENANT_A},${TENANT_B}` } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })

  stub.enqueue({ content: [THINKING, { type: 'tool_use', id: 'toolu_tenant_a_1', name: 'get_weather', input: { city: 'Paris' } }] })
  const first = await postChat(gateway.url, { model: MODEL, reasoning_effort: 'low', tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }] }, headersFor(TENANT_A))
  t.equal(first.status, 200)
  const firstBody: any = await first.json()
  const toolCallId: string = firstBody.choices[0].message.tool_calls[0].id
  t.equal(toolCallId, 'toolu_tenant_a_1')

  stub.reset()
  const replay = await postChat(gateway.url, continuation(toolCallId), headersFor(TENANT_B))
  t.equal(replay.status, 200, 'the replay is answered')
  const sentForB = JSON.stringify(stub.requests[0].body)
  t.notMatch(sentForB, /Tenant A private reasoning/, 'tenant A\'s thinking text is not sent for tenant B')
  t.notMatch(sentForB, /sig-tenant-a/, 'nor its signature')
  t.equal(stub.requests[0].body.thinking, undefined, 'B\'s request goes without thinking, as for any unknown turn')

  stub.reset()
  const own = await postChat(gateway.url, continuation(toolCallId), headersFor(TENANT_A))
  t.equal(own.status, 200)
  t.same(stub.requests[0].body.messages[1].content[0], THINKING, 'tenant A continues its own turn with its thinking put back')
})
