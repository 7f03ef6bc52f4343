// What the fuzz test found the gateway forwarding although Anthropic refuses it. Each is now
// either translated into a valid request or answered with the gateway's own 400 naming the
// field; nothing reaches the upstream.
import t from 'tap'
import { assistant, chat, chatJson, functionTool, openHarness, toolCall, toolMessage, user } from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false })
const weather = functionTool('get_weather', { type: 'object', properties: { city: { type: 'string' } } })

interface Refusal { what: string; body: Record<string, unknown>; param: string; message: RegExp }

const REFUSALS: Refusal[] = [
  {
    what: 'adaptive thinking with a budget (an extra key)',
    body: chat([user('Think')], { model: 'claude-sonnet-4-6', thinking: { type: 'adaptive', budget_tokens: 2000 } }),
    param: 'thinking.budget_tokens',
    message: /thinking\.budget_tokens is not a field of thinking type 'adaptive'/
  },
  {
    what: 'enabled thinking with an unknown key',
    body: chat([user('Think')], { thinking: { type: 'enabled', budget_tokens: 2000, effort: 'high' } }),
    param: 'thinking.effort',
    message: /thinking\.effort/
  },
  {
    what: 'enabled thinking on a model that only takes adaptive',
    body: chat([user('Think')], { model: 'claude-opus-4-7', thinking: { type: 'enabled', budget_tokens: 2000 } }),
    param: 'thinking.type',
    message: /takes thinking type 'adaptive'/
  },
  {
    what: 'adaptive thinking on a model that only takes a budget',
    body: chat([user('Think')], { model: 'claude-haiku-4-5-20251001', thinking: { type: 'adaptive' } }),
    param: 'thinking.type',
    message: /takes thinking type 'enabled'/
  },
  {
    what: 'a thinking budget under 1024',
    body: chat([user('Think')], { thinking: { type: 'enabled', budget_tokens: 100 } }),
    param: 'thinking.budget_tokens',
    message: /at least 1024/
  },
  {
    what: 'a thinking budget at the model\'s output limit (Opus 4.1: 32000)',
    body: chat([user('Think')], { model: 'claude-opus-4-1-20250805', thinking: { type: 'enabled', budget_tokens: 32000 } }),
    param: 'thinking.budget_tokens',
    message: /below 32000/
  },
  {
    what: 'an adaptive display value Anthropic does not know',
    body: chat([user('Think')], { model: 'claude-opus-4-7', thinking: { type: 'adaptive', display: 'full' } }),
    param: 'thinking.display',
    message: /summarized/
  },
  {
    what: 'two tools with one name',
    body: chat([user('Hi')], { tools: [weather, weather] }),
    param: 'tools[1].function.name',
    message: /unique/
  },
  {
    what: 'a tool name in the history Anthropic refuses',
    body: chat([user('Hi'), assistant(null, [toolCall('call_1', 'get weather!', {})]), toolMessage('call_1', 'Sunny')], { tools: [weather] }),
    param: 'messages[1].tool_calls[0].function.name',
    message: /must match/
  },
  {
    what: 'a tool call nobody answered',
    body: chat([user('Hi'), assistant(null, [toolCall('call_1', 'get_weather', {})]), user('Well?')], { tools: [weather] }),
    param: 'messages',
    message: /call_1' has no tool message answering it/
  },
  {
    what: 'one of two tool calls answered',
    body: chat([user('Hi'), assistant(null, [toolCall('call_1', 'get_weather', {}), toolCall('call_2', 'get_weather', {})]), toolMessage('call_2', 'Rainy')], { tools: [weather] }),
    param: 'messages',
    message: /call_1' has no tool message/
  },
  {
    what: 'a tool message answering no call',
    body: chat([user('Hi'), toolMessage('call_9', 'Sunny')], { tools: [weather] }),
    param: 'messages',
    message: /call_9' does not answer a tool call/
  }
]

for (const { what, body, param, message } of REFUSALS) {
  t.test(what, async (t) => {
    h.stub.reset()
    const answer = await chatJson(h.url, body)
    t.equal(answer.status, 400)
    t.equal(answer.body.error.type, 'invalid_request_error')
    t.equal(answer.body.error.param, param)
    t.match(answer.body.error.message, message)
    t.notMatch(answer.body.error.message, /^Upstream:/, "the gateway's own answer, not the upstream's")
    t.equal(h.stub.requests.length, 0, 'nothing went upstream')
  })
}

t.test('valid thinking objects still go through, field for field', async (t) => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['claude-sonnet-4-6', { type: 'adaptive', display: 'omitted' }, { type: 'adaptive', display: 'omitted' }],
    ['claude-haiku-4-5-20251001', { type: 'enabled', budget_tokens: 2048 }, { type: 'enabled', budget_tokens: 2048 }],
    ['claude-haiku-4-5-20251001', { type: 'disabled' }, { type: 'disabled' }],
    ['claude-sonnet-4-6', { type: 'adaptive', display: null }, { type: 'adaptive' }]
  ]
  for (const [model, thinking, sent] of cases) {
    h.stub.reset()
    const answer = await chatJson(h.url, chat([user('Think')], { model, thinking }))
    t.equal(answer.status, 200, `${model} ${JSON.stringify(thinking)}: accepted`)
    t.strictSame(h.stub.requests[0].body.thinking, sent, 'sent as given (a null field left out)')
  }
})
