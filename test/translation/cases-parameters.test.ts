// translation-cases.md, "Parameters": one test per row.
import t from 'tap'
import { assembleStream, chat, chatJson, chatStream, openHarness, user } from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false })
const hello = chat([user('Hello')])

t.test('max-tokens-default', async (t) => {
  const cases: Array<[string, number]> = [['claude-haiku-4-5-20251001', 8192], ['claude-opus-4-7', 8192], ['claude-3-haiku-20240307', 4096], ['claude-3-5-haiku-20241022', 8192]]
  for (const [model, expected] of cases) {
    h.stub.reset()
    const answer = await chatJson(h.url, { ...hello, model })
    t.equal(answer.status, 200, `${model}: accepted`)
    t.equal(h.stub.requests[0].body.max_tokens, expected, `${model}: max_tokens ${expected} sent`)
  }
  h.stub.reset()
  await chatJson(h.url, { ...hello, max_completion_tokens: 300, max_tokens: 900 })
  t.equal(h.stub.requests[0].body.max_tokens, 300, 'max_completion_tokens wins over the deprecated max_tokens')
  h.stub.reset()
  await chatJson(h.url, { ...hello, model: 'claude-3-5-haiku-20241022', max_tokens: 100000 })
  t.equal(h.stub.requests[0].body.max_tokens, 8192, "a limit above the model's output limit is lowered to it")

  const configured = await openHarness(t, { DEFAULT_MAX_TOKENS: 2000, AUTO_CACHE: false })
  await chatJson(configured.url, hello)
  t.equal(configured.stub.requests[0].body.max_tokens, 2000, 'DEFAULT_MAX_TOKENS is the default when set')
})

t.test('temperature-range', async (t) => {
  const cases: Array<[number, number]> = [[0, 0], [0.3, 0.3], [1, 1], [1.5, 1], [2, 1]]
  for (const [given, sent] of cases) {
    h.stub.reset()
    const answer = await chatJson(h.url, { ...hello, temperature: given })
    t.equal(answer.status, 200, `temperature ${given}: accepted`)
    t.equal(h.stub.requests[0].body.temperature, sent, `temperature ${given} → ${sent} (clamped to Claude's maximum)`)
    t.equal(answer.headers.get('x-claude2api-dropped-fields'), null, 'clamping is not dropping')
  }
  const tooHot = await chatJson(h.url, { ...hello, temperature: 2.5 })
  t.equal(tooHot.status, 400, "above OpenAI's own range: a 400")
})

t.test('n-choices', async (t) => {
  h.stub.reset()
  const texts = ['Alpha answer', 'Beta answer', 'Gamma answer']
  for (const text of texts) h.stub.enqueue({ content: [{ type: 'text', text }], usage: { input_tokens: 10, output_tokens: 4 } })
  const plain = await chatJson(h.url, { ...hello, n: 3 })
  t.equal(plain.status, 200)
  t.strictSame(plain.body.choices.map((choice: any) => choice.index), [0, 1, 2], 'indexes 0…n-1')
  t.strictSame(plain.body.choices.map((choice: any) => choice.message.content).sort(), [...texts].sort(), 'one upstream answer per choice')
  t.equal(h.stub.requests.length, 3, 'n upstream requests')
  t.match(plain.body.usage, { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 }, 'usage summed over the choices')

  h.stub.reset()
  for (const text of texts) h.stub.enqueue({ content: [{ type: 'text', text }], usage: { input_tokens: 10, output_tokens: 4 } })
  const streamed = await chatStream(h.url, { ...hello, n: 3, stream_options: { include_usage: true } })
  const assembled = assembleStream(streamed)
  t.equal(assembled.choices.length, 3, 'three choices streamed')
  t.strictSame(assembled.choices.map((choice) => choice.finishReasons), [['stop'], ['stop'], ['stop']], 'one finish per choice')
  t.ok(assembled.choices.every((choice) => choice.role === 'assistant'), 'each choice opens with role assistant')
  t.strictSame(assembled.choices.map((choice) => choice.content).sort(), [...texts].sort())
  t.match(assembled.usage, { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 }, 'one usage chunk, summed')
  t.equal(assembled.usageChunks, 1)
  t.ok(assembled.done, 'ends with [DONE]')
  t.equal(new Set(streamed.chunks.map((chunk) => chunk.id)).size, 1, 'all choices share one id')
})

t.test('user-metadata', async (t) => {
  h.stub.reset()
  const answer = await chatJson(h.url, { ...hello, user: 'user-1234' })
  t.equal(answer.status, 200, 'accepted')
  t.strictSame(h.stub.requests[0].body.metadata, { user_id: 'user-1234' })
  h.stub.reset()
  await chatJson(h.url, { ...hello, metadata: { user_id: 'from-metadata' } })
  t.strictSame(h.stub.requests[0].body.metadata, { user_id: 'from-metadata' }, 'metadata.user_id is forwarded too')
  const long = await chatJson(h.url, { ...hello, user: 'x'.repeat(257) })
  t.equal(long.status, 400, 'a user id longer than the upstream allows is a 400')
  t.equal(long.body.error.param, 'user')
})

t.test('unsupported-fields', async (t) => {
  const refused: Array<[string, unknown]> = [['logprobs', true], ['top_logprobs', 3], ['audio', { voice: 'alloy', format: 'wav' }], ['logit_bias', { 50256: -100 }], ['presence_penalty', 0.5], ['seed', 7], ['modalities', ['text', 'audio']], ['prediction', { type: 'content', content: 'x' }]]
  for (const [field, value] of refused) {
    h.stub.reset()
    const answer = await chatJson(h.url, { ...hello, [field]: value })
    t.equal(answer.status, 400, `${field}: a 400`)
    t.equal(answer.body.error.param, field, `${field}: named in param`)
    t.match(answer.body.error.message, field, `${field}: named in the message`)
    t.equal(h.stub.requests.length, 0, `${field}: nothing sent upstream`)
  }
  h.stub.reset()
  const defaults = await chatJson(h.url, { ...hello, presence_penalty: 0, frequency_penalty: 0, logprobs: false, logit_bias: {}, modalities: ['text'], store: false })
  t.equal(defaults.status, 200, 'no-op defaults are accepted')
  t.equal(defaults.headers.get('x-claude2api-dropped-fields'), null, 'and not reported')

  const lenient = await openHarness(t, { UNSUPPORTED_FIELDS: 'drop', AUTO_CACHE: false })
  const dropped = await chatJson(lenient.url, { ...hello, logprobs: true, logit_bias: { 1: 2 }, seed: 3, metadata: { session: 'abc' } })
  t.equal(dropped.status, 200, 'UNSUPPORTED_FIELDS=drop: accepted')
  t.equal(dropped.headers.get('x-claude2api-dropped-fields'), 'logprobs,logit_bias,seed,metadata', 'and the dropped fields are reported')
  const sent = lenient.stub.requests[0].body
  t.strictSame(Object.keys(sent).sort(), ['max_tokens', 'messages', 'model'], 'none of them reaches the upstream')
})
