import { test } from 'tap'
import { quoteConfigLines } from '../../../lib/config/quoted-config.js'

const shows = (setting: string): boolean => ['ADDRESS', 'LOG_LEVEL', 'RETRY_COUNT', 'PROXY', 'REDIS_URL', 'APIKEY'].includes(setting)

test('values of known settings that are no secret are quoted; everything else keeps only its punctuation', async (t) => {
  const text = [
    'log_level: debug',
    'apikey: [client-key-one, client-key-two',
    'proxy: http://user:proxy-pass@proxy:3128 # old: other-pass',
    'clients:',
    '  - name: alice',
    '    key: c2a-secret',
    '# apikey: commented-out-key',
    'unknown_thing: value-of-unknown',
    'address: 0.0.0.0:8080'
  ].join('\n')
  const quoted = quoteConfigLines(text, 8, shows, 8)
  for (const secret of ['client-key-one', 'proxy-pass', 'other-pass', 'alice', 'c2a-secret', 'commented-out-key', 'value-of-unknown']) {
    t.notOk(quoted.includes(secret), `${secret} hidden`)
  }
  t.match(quoted, /  1 \| log_level: debug/)
  t.match(quoted, /apikey: \[\[redacted\], \[redacted\]$/m, 'the secret setting keeps its brackets and commas, not its words')
  t.match(quoted, /proxy: http:\/\/\[redacted\]@proxy:3128 # \[redacted\]/)
  t.match(quoted, /    key: \[redacted\]/)
  t.match(quoted, /^> 9 \| address: 0\.0\.0\.0:8080$/m, 'the faulty line is marked')
})

test('only the lines up to the fault are quoted, and Anthropic-shaped keys are hidden even in a shown value', async (t) => {
  const text = 'a: 1\nb: 2\nc: 3\nlog_level: sk-ant-api03-abcdefghijklmnopqrstuvwxyz\nretry_count: [2\nlater: x\n'
  const quoted = quoteConfigLines(text, 4, shows)
  t.notMatch(quoted, /a: /, 'three lines before the fault')
  t.notMatch(quoted, /later/)
  t.notMatch(quoted, /sk-ant-api03-abc/)
  t.match(quoted, /> 5 \| retry_count: \[2/)
})
