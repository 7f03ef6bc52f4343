// reasoning_effort per model generation, sampling under thinking, THINKING_FORMAT=think-tags, and
// what happens when the thinking store has nothing for a tool turn.
import t from 'tap'
import type { StubBlock } from '../helpers/anthropic-stub.js'
import {
  assembleStream, assistant, chat, chatJson, comparableAssembled, comparableMessage, functionTool, openHarness, runBoth, toolCall, toolMessage, user
} from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false })
const hello = chat([user('Hello')])
const weather = functionTool('get_weather')

async function sentFor (body: Record<string, unknown>): Promise<{ status: number; sent: any; dropped: string | null; error: any }> {
  h.stub.reset()
  const answer = await chatJson(h.url, body)
  return { status: answer.status, sent: h.stub.requests[0]?.body, dropped: answer.headers.get('x-claude2api-dropped-fields'), error: answer.body.error }
}

t.test('budget models: reasoning_effort becomes a thinking budget', async (t) => {
  const budgets: Array<[string, number]> = [['minimal', 1024], ['low', 2048], ['medium', 8192], ['high', 16384], ['xhigh', 24576], ['max', 32000]]
  for (const [effort, budget] of budgets) {
    const { status, sent } = await sentFor({ ...hello, reasoning_effort: effort, max_tokens: 1000 })
    t.equal(status, 200, `${effort}: accepted`)
    t.strictSame(sent.thinking, { type: 'enabled', budget_tokens: budget }, `${effort} → budget ${budget}`)
    t.ok(sent.max_tokens > budget, `${effort}: max_tokens ${sent.max_tokens} raised over the budget`)
    t.equal(sent.output_config, undefined, `${effort}: no effort field on a budget model`)
  }
  const none = await sentFor({ ...hello, reasoning_effort: 'none' })
  t.equal(none.sent.thinking, undefined, "'none' sends no thinking")
  const bad = await sentFor({ ...hello, reasoning_effort: 'extreme' })
  t.equal(bad.status, 400, 'an unknown effort is a 400')
  t.equal(bad.error.param, 'reasoning_effort')
})

t.test('adaptive models: adaptive thinking, output_config.effort, readable summaries', async (t) => {
  const opus47: Array<[string, string]> = [['minimal', 'low'], ['low', 'low'], ['medium', 'medium'], ['high', 'high'], ['xhigh', 'xhigh'], ['max', 'max']]
  for (const [effort, mapped] of opus47) {
    const { status, sent } = await sentFor({ ...hello, model: 'claude-opus-4-7', reasoning_effort: effort })
    t.equal(status, 200, `opus 4.7 ${effort}: accepted`)
    t.strictSame(sent.thinking, { type: 'adaptive', display: 'summarized' }, `opus 4.7 ${effort}: adaptive, display summarized`)
    t.strictSame(sent.output_config, { effort: mapped }, `opus 4.7 ${effort} → effort ${mapped}`)
  }
  const opus46 = await sentFor({ ...hello, model: 'claude-opus-4-6', reasoning_effort: 'xhigh' })
  t.equal(opus46.status, 200)
  t.strictSame(opus46.sent.thinking, { type: 'adaptive' }, 'opus 4.6: adaptive, its thinking is shown by default')
  t.strictSame(opus46.sent.output_config, { effort: 'high' }, 'an effort the model lacks falls to the nearest lower one')
  const off = await sentFor({ ...hello, model: 'claude-opus-4-7', reasoning_effort: 'none' })
  t.equal(off.sent.thinking, undefined, "opus 4.7 'none': no thinking")
})

t.test('the -thinking model suffix turns thinking on at medium effort', async (t) => {
  const budget = await sentFor({ ...hello, model: 'claude-haiku-4-5-20251001-thinking' })
  t.equal(budget.status, 200)
  t.equal(budget.sent.model, 'claude-haiku-4-5-20251001', 'the suffix is not sent upstream')
  t.strictSame(budget.sent.thinking, { type: 'enabled', budget_tokens: 8192 })
  const adaptive = await sentFor({ ...hello, model: 'claude-opus-4-7-thinking' })
  t.strictSame(adaptive.sent.output_config, { effort: 'medium' })
  const explicit = await sentFor({ ...hello, model: 'claude-haiku-4-5-20251001-thinking', reasoning_effort: 'high' })
  t.equal(explicit.sent.thinking.budget_tokens, 16384, 'an explicit reasoning_effort wins over the suffix default')
  const noThinking = await sentFor({ ...hello, model: 'claude-3-5-haiku-20241022-thinking' })
  t.equal(noThinking.status, 400, 'a thinking variant of a model that cannot think is a 400')
})

t.test('a model without thinking drops reasoning_effort and says so', async (t) => {
  const { status, sent, dropped } = await sentFor({ ...hello, model: 'claude-3-5-haiku-20241022', reasoning_effort: 'high' })
  t.equal(status, 200)
  t.equal(sent.thinking, undefined)
  t.equal(dropped, 'reasoning_effort')
})

t.test('sampling fields the model or thinking refuses are dropped and reported', async (t) => {
  const locked = await sentFor({ ...hello, model: 'claude-opus-4-7', temperature: 0.4, top_p: 0.9, top_k: 20 })
  t.equal(locked.status, 200, 'opus 4.7 (default sampling only): accepted')
  t.strictSame([locked.sent.temperature, locked.sent.top_p, locked.sent.top_k], [undefined, undefined, undefined])
  t.equal(locked.dropped, 'temperature,top_p,top_k')
  const lockedDefaults = await sentFor({ ...hello, model: 'claude-opus-4-7', temperature: 1, top_p: 1 })
  t.equal(lockedDefaults.dropped, null, 'default values are left out without a report')
  const either = await sentFor({ ...hello, temperature: 0.4, top_p: 0.9 })
  t.equal(either.status, 200, 'sonnet 4.5 (temperature or top_p): accepted')
  t.equal(either.sent.temperature, 0.4)
  t.equal(either.sent.top_p, undefined)
  t.equal(either.dropped, 'top_p')
  const adaptive = await sentFor({ ...hello, model: 'claude-sonnet-4-6', reasoning_effort: 'low', temperature: 0.5, top_p: 0.97, top_k: 3 })
  t.equal(adaptive.status, 200, 'adaptive thinking: accepted')
  t.equal(adaptive.sent.top_p, 0.97, 'top_p within 0.95–1 is kept')
  t.equal(adaptive.dropped, 'temperature,top_k')
  const hot = await sentFor({ ...hello, model: 'claude-opus-4-1-20250805', temperature: 1.8, top_p: 0.5, top_k: 40 })
  t.strictSame([hot.sent.temperature, hot.sent.top_p, hot.sent.top_k], [1, 0.5, 40], 'without thinking an older model gets them all, temperature clamped')
})

t.test('THINKING_FORMAT=think-tags puts the thinking in content', async (t) => {
  const tags = await openHarness(t, { THINKING_FORMAT: 'think-tags', AUTO_CACHE: false }, { chunkSize: 4 })
  const content: StubBlock[] = [
    { type: 'thinking', thinking: 'Step one.', signature: 'sig-tag-1' },
    { type: 'text', text: 'Answer.' },
    { type: 'thinking', thinking: 'Step two.', signature: 'sig-tag-2' },
    { type: 'text', text: ' More.' }
  ]
  const { plain, streamed } = await runBoth(tags, { ...hello, reasoning_effort: 'low' }, { content })
  const message = plain.body.choices[0].message
  t.equal(message.content, '<think>\nStep one.\n</think>\n\nAnswer.<think>\nStep two.\n</think>\n\n More.', 'non-stream: each thinking block wrapped where it stands')
  t.equal(message.reasoning_content, undefined, 'no reasoning_content')
  const assembled = assembleStream(streamed).choices[0]
  t.equal(assembled.content, message.content, 'stream: the same content')
  t.equal(assembled.reasoning, '')
  t.strictSame(comparableAssembled(assembled), comparableMessage(plain.body.choices[0]))
})

t.test('two thinking blocks read the same in reasoning_content, streamed or not', async (t) => {
  h.stub.reset()
  const content: StubBlock[] = [
    { type: 'thinking', thinking: 'First thought.', signature: 'sig-a' },
    { type: 'thinking', thinking: '', signature: 'sig-empty' },
    { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' },
    { type: 'thinking', thinking: 'Second thought.', signature: 'sig-b' },
    { type: 'text', text: 'Done.' }
  ]
  const { plain, streamed } = await runBoth(h, { ...hello, reasoning_effort: 'low' }, { content })
  t.equal(plain.body.choices[0].message.reasoning_content, 'First thought.\n\nSecond thought.')
  t.strictSame(comparableAssembled(assembleStream(streamed).choices[0]), comparableMessage(plain.body.choices[0]), 'stream and non-stream agree')
})

t.test('an empty thinking store never fails the turn', async (t) => {
  // A fresh gateway has never seen turn 1, as after a restart or behind a load balancer.
  const echoed = [user('Weather in Paris?'), assistant(null, [toolCall('toolu_lost', 'get_weather', { city: 'Paris' })]), toolMessage('toolu_lost', 'Sunny')]
  const cases: Array<[string, Record<string, unknown>, (t: Tap, sent: any, dropped: string | null) => void]> = [
    ['budget model', { reasoning_effort: 'low' }, (t, sent, dropped) => {
      t.equal(sent.thinking, undefined, 'thinking is off for this request')
      t.equal(sent.max_tokens, 8192, 'max_tokens is not raised for a budget that is not used')
      t.equal(dropped, 'reasoning_effort', 'and the client is told')
    }],
    ['adaptive model', { model: 'claude-opus-4-7', reasoning_effort: 'high' }, (t, sent, dropped) => {
      t.equal(sent.thinking, undefined, 'thinking is off for this request')
      t.equal(dropped, 'reasoning_effort')
    }],
    ['native thinking object', { thinking: { type: 'enabled', budget_tokens: 2000 }, max_tokens: 4000 }, (t, sent, dropped) => {
      t.equal(sent.thinking, undefined)
      t.equal(dropped, 'thinking')
    }],
    ['model that thinks by default', { model: 'claude-opus-5' }, (t, sent, dropped) => {
      t.strictSame(sent.thinking, { type: 'disabled' }, 'thinking is turned off explicitly')
      t.equal(dropped, null, 'nothing the client sent was dropped')
    }],
    ['model that always thinks', { model: 'claude-fable-5', reasoning_effort: 'low' }, (t, sent) => {
      t.strictSame(sent.thinking, { type: 'adaptive', display: 'summarized' }, 'thinking stays on')
      t.strictSame(sent.messages[1].content, [{ type: 'text', text: '[called tool get_weather (toolu_lost) with {"city":"Paris"}]' }], 'the last tool call is folded into text')
      t.strictSame(sent.messages[2].content, [{ type: 'text', text: '[result of tool get_weather (toolu_lost)]\nSunny' }], 'and so is its result')
    }]
  ]
  for (const [name, extra, check] of cases) {
    const fresh = await openHarness(t, { AUTO_CACHE: false })
    const answer = await chatJson(fresh.url, chat(echoed, { tools: [weather], ...extra }))
    t.equal(answer.status, 200, `${name}: the stub accepted the turn (${JSON.stringify(answer.body.error ?? null)})`)
    check(t, fresh.stub.requests[0]?.body, answer.headers.get('x-claude2api-dropped-fields'))
    await fresh.close()
  }
  const control = await sentFor(chat([...echoed, assistant('Sunny it is.'), user('Thanks')], { tools: [weather], reasoning_effort: 'low' }))
  t.equal(control.sent.thinking.type, 'enabled', 'a finished tool turn needs no thinking back: thinking stays on')
})

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

t.test("a model id that is only the '-thinking' suffix is a 400 naming model, not sent upstream", async (t) => {
  const { status, sent, error } = await sentFor({ ...hello, model: '-thinking' })
  t.equal(status, 400)
  t.equal(error.param, 'model')
  t.match(error.message, /model/)
  t.equal(sent, undefined, 'nothing went upstream')
})
