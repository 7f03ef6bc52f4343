import t from 'tap'
import { redactAnthropicKeys, Redactor } from '../../../lib/core/redact.js'

t.test('configured secrets and Anthropic-shaped keys are replaced; short settings and key kinds are left alone', async (t) => {
  const redactor = new Redactor()
  redactor.add(['k', 'client-secret-1234', 'with"quote-secret'])
  const key = `sk-ant-api03-${'x'.repeat(93)}AA`
  t.equal(redactor.redact(`keys: client-secret-1234 and ${key}`), 'keys: [redacted] and [redacted]')
  t.equal(redactor.redact('{"msg":"with\\"quote-secret"}'), '{"msg":"[redacted]"}', 'also as written inside a JSON string')
  t.equal(redactor.redact('key#1 (sk-ant-api…) was refused'), 'key#1 (sk-ant-api…) was refused', 'a label naming the kind of key stays')
  t.equal(redactor.redact('upstream key pool ready'), 'upstream key pool ready', 'a one-letter client key does not eat every k')
  t.equal(redactAnthropicKeys(`echo: x-api-key=${key}`), 'echo: x-api-key=[redacted]')
})

t.test('a secret of exactly eight characters is redacted; one of seven is not', async (t) => {
  const redactor = new Redactor()
  redactor.add(['abcd1234', 'wxyz987'])
  t.equal(redactor.redact('a abcd1234 b wxyz987'), 'a [redacted] b wxyz987')
})

t.test('a secret with a quote is found as written and as it reads inside JSON', async (t) => {
  const redactor = new Redactor()
  redactor.add(['pass"word-123'])
  t.equal(redactor.redact('raw pass"word-123'), 'raw [redacted]')
  t.equal(redactor.redact(JSON.stringify({ key: 'pass"word-123' })), '{"key":"[redacted]"}')
})

t.test('a secret that contains another is removed whole', async (t) => {
  const redactor = new Redactor()
  redactor.add(['team-key-1', 'team-key-1-and-more'])
  t.equal(redactor.redact('x team-key-1-and-more y'), 'x [redacted] y')
  const reversed = new Redactor()
  reversed.add(['team-key-1-and-more', 'team-key-1'])
  t.equal(reversed.redact('x team-key-1-and-more y'), 'x [redacted] y', 'whatever order they were given in')
})

t.test('a key spelled with JSON string escapes is found once the escapes are read, in any string of the text', async (t) => {
  const key = `sk-ant-api03-${'y'.repeat(93)}AA`
  const escaped = key.replace(/-/g, '\\u002d')
  const body = `{"type":"error","error":{"type":"invalid_request_error","message":"key ${escaped} refused"},"note":"a\\nb"}`
  const clean = redactAnthropicKeys(body)
  t.same(JSON.parse(clean), { type: 'error', error: { type: 'invalid_request_error', message: 'key [redacted] refused' }, note: 'a\nb' }, 'still JSON; only the string holding the key changed')
  t.notOk(JSON.stringify(JSON.parse(clean)).includes('sk-ant-api03'), 'no key once parsed')
  const redactor = new Redactor()
  redactor.add(['proxy/token-123456'])
  t.equal(redactor.redact('{"a":"proxy\\/token\\u002d123456"}'), '{"a":"[redacted]"}', 'a configured secret written with \\/ and \\u escapes')
  t.equal(redactor.redact('not json "unterminated \\u0041'), 'not json "unterminated \\u0041', 'text that is not JSON is left as it is')
})
