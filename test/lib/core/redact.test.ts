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
