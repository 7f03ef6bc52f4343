import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'
import { buildConfig, ConfigError, readConfigSource } from '../../plugins/config.js'
import type { RawConfig } from '../../schemas/config.js'
import { buildGateway } from '../helpers/gateway.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

const defaults: RawConfig = {
  ANTHROPIC_BASE_URL: 'https://api.anthropic.com',
  ANTHROPIC_VERSION: '2023-06-01',
  ADDRESS: '0.0.0.0:8080',
  ENABLE_MIRROR_API: false,
  MAX_CHAT_HISTORY_LENGTH: 0,
  LOG_LEVEL: 'info',
  KEY_MAX_CONCURRENCY: 0,
  THINKING_FORMAT: 'reasoning_content',
  UNSUPPORTED_FIELDS: 'error',
  AUTO_CACHE: true,
  BODY_LIMIT: 1024 * 1024,
  CONNECT_TIMEOUT_MS: 1000,
  FIRST_BYTE_TIMEOUT_MS: 1000,
  IDLE_TIMEOUT_MS: 1000,
  TOTAL_TIMEOUT_MS: 1000,
  SHUTDOWN_GRACE_MS: 1000,
  MODELS_CACHE_SECONDS: 300,
  THINKING_TTL_SECONDS: 600,
  REDIS_PREFIX: 'claude2api:',
  REDIS_TIMEOUT_MS: 50,
  KEY_RECHECK_SECONDS: 300,
  KEY_STATE_REFRESH_MS: 1000,
  AFFINITY_TTL_SECONDS: 3600,
  KEY_ROUTING: 'headroom',
  RESPONSES_TTL_SECONDS: 3600,
  WEB_SEARCH: false,
  SSE_KEEPALIVE_MS: 15000,
  RESPONSES_WEBSOCKET: true,
  RESPONSES_WEBSOCKET_IDLE_MS: 600000,
  RESPONSES_WEBSOCKET_PER_CLIENT: 32,
  MAX_EVENT_LOOP_DELAY_MS: 1000,
  MIRROR_BODY_LIMIT: 1024 * 1024,
  MIRROR_RATE_LIMIT: 60,
  MIRROR_MAX_CONCURRENT: 16,
  MIRROR_MAX_CONCURRENT_PER_ADDRESS: 4,
  BODY_TIMEOUT_MS: 1000,
  DATA_DIR: './data',
  LEDGER_RETENTION_DAYS: 400,
  METRICS_PUBLIC: false,
  ENFORCEMENT: 'open',
  OTEL_SERVICE_NAME: 'claude2api',
  OTEL_BSP_SCHEDULE_DELAY: 5000
}

function writeYaml (text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'claude2api-config-')), 'config.yaml')
  writeFileSync(file, text)
  return file
}

test('keys, address and retry count are derived from the raw settings', async (t) => {
  const config = buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a, sk-ant-api03-b,', APIKEY: 'one,two', ADDRESS: '127.0.0.1:9000' })
  t.same(config.upstreamKeys, ['sk-ant-api03-a', 'sk-ant-api03-b'])
  t.same(config.clientKeys, ['one', 'two'])
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 9000)
  t.equal(config.retryCount, 2, 'one attempt per key by default')
})

test('a key list with names and per-key options; a mistake in it stops start-up without quoting the key', async (t) => {
  const config = buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'main=sk-ant-api03-a;weight=2;max_concurrency=4, sk-ant-api03-b;priority=1', APIKEY: 'k', KEY_MAX_CONCURRENCY: 3 })
  t.same(config.upstreamKeys, ['sk-ant-api03-a', 'sk-ant-api03-b'], 'the secrets alone, for redaction')
  t.same(config.poolKeys, [{ secret: 'sk-ant-api03-a', name: 'main', weight: 2, priority: 0, maxConcurrency: 4 }, { secret: 'sk-ant-api03-b', weight: 1, priority: 1 }])
  t.equal(config.keyMaxConcurrency, 3)
  const error = t.throws(() => buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-secretpart;weight=x', APIKEY: 'k' }), ConfigError) as Error
  t.match(error.message, /ANTHROPIC_API_KEYS: entry 1: unknown option/)
  t.notOk(error.message.includes('secretpart'))
})

test('PORT overrides the port of ADDRESS', async (t) => {
  const config = buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a', APIKEY: 'k', ADDRESS: '0.0.0.0:8080', PORT: 7860 })
  t.equal(config.port, 7860)
  t.equal(config.host, '0.0.0.0')
})

test('retry count defaults to the number of keys, at most 5', async (t) => {
  const keys = Array.from({ length: 8 }, (_, index) => `sk-ant-api03-${index}`).join(',')
  t.equal(buildConfig({ ...defaults, ANTHROPIC_API_KEYS: keys, APIKEY: 'k' }).retryCount, 5)
})

test('SESSIONS is read as an alias of ANTHROPIC_API_KEYS, with a warning', async (t) => {
  const warnings: string[] = []
  const config = buildConfig({ ...defaults, SESSIONS: 'sk-ant-api03-legacy', APIKEY: 'k' }, (message) => warnings.push(message))
  t.same(config.upstreamKeys, ['sk-ant-api03-legacy'])
  t.match(warnings[0], /SESSIONS/)
})

test('a claude.ai session key is refused with a message saying only API keys are supported', async (t) => {
  t.throws(() => buildConfig({ ...defaults, SESSIONS: 'sk-ant-sid01-abc', APIKEY: 'k' }), { name: 'ConfigError', message: /only Anthropic API keys/ })
  t.throws(() => buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-sid01-abc', APIKEY: 'k' }), ConfigError)
})

test('APIKEY and upstream keys are required; mirror mode needs a real prefix', async (t) => {
  t.throws(() => buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a' }), { message: /APIKEY/ })
  t.throws(() => buildConfig({ ...defaults, APIKEY: 'k' }), { message: /ANTHROPIC_API_KEYS/ })
  t.throws(() => buildConfig({ ...defaults, APIKEY: 'k', ENABLE_MIRROR_API: true }), { message: /MIRROR_API_PREFIX/ })
  t.throws(() => buildConfig({ ...defaults, APIKEY: 'k', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/' }), { message: /MIRROR_API_PREFIX/ })
  const mirrorOnly = buildConfig({ ...defaults, APIKEY: 'k', ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror/' })
  t.equal(mirrorOnly.mirror.prefix, '/mirror')
  t.same(mirrorOnly.upstreamKeys, [])
})

test('MODEL_CAPABILITIES rules are validated', async (t) => {
  const config = buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a', APIKEY: 'k', MODEL_CAPABILITIES: '[{"match":"opus-9","thinking":"adaptive"}]' })
  t.same(config.capabilityOverrides, [{ match: 'opus-9', thinking: 'adaptive' }])
  t.throws(() => buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a', APIKEY: 'k', MODEL_CAPABILITIES: '[{"match":"x","thinking":"sometimes"}]' }), { message: /MODEL_CAPABILITIES/ })
  t.throws(() => buildConfig({ ...defaults, ANTHROPIC_API_KEYS: 'sk-ant-api03-a', APIKEY: 'k', MODEL_CAPABILITIES: 'not json' }), { message: /MODEL_CAPABILITIES/ })
})

test('config.yaml keys are read in any case, lists joined, and the file wins over the environment', async (t) => {
  const file = writeYaml('anthropic_api_keys:\n  - sk-ant-api03-x\n  - sk-ant-api03-y\nAPIKEY: k\nretry_count: 1\n')
  const source = readConfigSource({ CONFIG_FILE: file, ANTHROPIC_API_KEYS: 'sk-ant-api03-from-env' })
  t.same(source.data, { ANTHROPIC_API_KEYS: 'sk-ant-api03-x,sk-ant-api03-y', APIKEY: 'k', RETRY_COUNT: 1 })
})

test('a broken config.yaml is reported with the file name', async (t) => {
  const file = writeYaml('apikey: [unclosed\n')
  t.throws(() => readConfigSource({ CONFIG_FILE: file }), { message: /not valid YAML/ })
  t.throws(() => readConfigSource({ CONFIG_FILE: join(tmpdir(), 'does-not-exist.yaml') }), { message: /does not exist/ })
})

test('the schema rejects a wrong type and names the field', async (t) => {
  await t.rejects(buildGateway('http://127.0.0.1:9', { config: { RETRY_COUNT: 'many' } }), { message: /RETRY_COUNT/ })
  await t.rejects(buildGateway('http://127.0.0.1:9', { config: { PROXY: 'ftp://proxy' } }), { message: /PROXY/ })
  await t.rejects(buildGateway('http://127.0.0.1:9', { config: { THINKING_FORMAT: 'html' } }), { message: /THINKING_FORMAT/ })
})

test('numbers and booleans from the environment are coerced', async (t) => {
  const app = await buildGateway('http://127.0.0.1:9', { config: { RETRY_COUNT: '3', AUTO_CACHE: 'false', MAX_CHAT_HISTORY_LENGTH: '5000' } })
  t.teardown(async () => { await app.close() })
  t.equal(app.config.retryCount, 3)
  t.equal(app.config.autoCache, false)
  t.equal(app.config.maxHistoryChars, 5000)
})

test('an unknown setting in config.yaml is refused in one line naming the closest known setting', async (t) => {
  const typo = writeYaml('anthropic_api_keys: sk-ant-api03-x\napikey: a-long-client-key-0123456789\nadress: 127.0.0.1:9000\n')
  t.throws(() => readConfigSource({ CONFIG_FILE: typo }), { name: 'ConfigError', message: /^Invalid configuration: adress is not a setting \(in .*config\.yaml\); did you mean address\?$/ })
  const swapped = writeYaml('apikey: a-long-client-key-0123456789\nlog_levle: debug\n')
  t.throws(() => readConfigSource({ CONFIG_FILE: swapped }), { message: /log_levle is not a setting .*did you mean log_level\?/ })
  const upper = writeYaml('APIKEY: a-long-client-key-0123456789\nRETRY_CUONT: 2\n')
  t.throws(() => readConfigSource({ CONFIG_FILE: upper }), { message: /RETRY_CUONT is not a setting .*did you mean RETRY_COUNT\?/ }, 'the suggestion is written in the case the file uses')
  const farOff = writeYaml('apikey: a-long-client-key-0123456789\nfavourite_colour: blue\n')
  const error = t.throws(() => readConfigSource({ CONFIG_FILE: farOff })) as Error
  t.match(error.message, /favourite_colour is not a setting/)
  t.notMatch(error.message, /did you mean/, 'no suggestion when nothing is close')
  t.notMatch(error.message, /\n/, 'one line')
})

test('unknown keys inside a nested section (model_capabilities) are refused with the closest key of that section', async (t) => {
  const file = writeYaml('apikey: a-long-client-key-0123456789\nmodel_capabilities:\n  - match: opus-9\n    thinkng: adaptive\n')
  t.throws(() => readConfigSource({ CONFIG_FILE: file }), { message: /model_capabilities\[0\]\.thinkng is not a setting .*did you mean thinking\?/ })
})

test('settings given to the plugin directly are checked the same way', async (t) => {
  await t.rejects(buildGateway('http://127.0.0.1:9', { config: { RETRY_CONUT: '2' } }), { message: /RETRY_CONUT is not a setting.*did you mean RETRY_COUNT\?/ })
})

test('every setting shown in config.yaml.example, commented out or not, is a real setting', async (t) => {
  const example = readFileSync(join(ROOT, 'config.yaml.example'), 'utf8')
  // Uncomment every line that shows a setting (`# name: value`, or the lines indented under one).
  const uncommented = example.split('\n').filter((line) => !line.startsWith('#') || /^# (\w+:|\s+\S)/.test(line)).map((line) => line.replace(/^# ?/, '')).join('\n')
  const source = readConfigSource({ CONFIG_FILE: writeYaml(uncommented) })
  t.ok(Object.keys(source.data ?? {}).length > 20, 'the example shows the settings')
})

test('a YAML syntax error quotes the lines around it with every secret-looking value redacted', async (t) => {
  const clientKey = 'my-very-own-client-key-4242'
  const upstreamKey = 'sk-ant-api03-upstream-key-that-must-stay-hidden-0000'
  const file = writeYaml([
    'apikey: ' + clientKey,
    'anthropic_api_keys:',
    '  - ' + upstreamKey,
    '  - another-pool-key-1234567',
    'responses_secret: sealing-secret-99999999',
    'redis_url: redis://:redis-password-777@redis:6379/0',
    'clients:',
    '  - name: alice',
    '    key: c2a-alice-key-abcdefgh',
    'log_level: info',
    'retry_count: [3',
    'address: 0.0.0.0:8080',
    ''
  ].join('\n'))
  const error = t.throws(() => readConfigSource({ CONFIG_FILE: file })) as Error
  t.match(error.message, /is not valid YAML/)
  for (const secret of [clientKey, upstreamKey, 'another-pool-key', 'sealing-secret', 'redis-password', 'c2a-alice-key']) {
    t.notOk(error.message.includes(secret), `${secret.slice(0, 16)}… is not quoted`)
  }
  t.match(error.message, /line 12/, 'the position is given')
  t.match(error.message, /retry_count: \[3/, 'harmless values around the error are still shown')
  t.match(error.message, /log_level: info/)
})

test('placeholder client keys from the examples are refused; short ones are warned about', async (t) => {
  const upstream = { ...defaults, ANTHROPIC_API_KEYS: `sk-ant-api03-${'a'.repeat(93)}AA` }
  for (const placeholder of ['choose-a-long-random-client-key', 'changeme', 'CHANGE_ME', 'sk-ant-api03-REPLACE-ME-1', 'your-client-key', 'sk-…']) {
    t.throws(() => buildConfig({ ...upstream, APIKEY: `a-real-looking-key-0123456789,${placeholder}` }), { name: 'ConfigError', message: /APIKEY: client key #2 is a placeholder/ }, placeholder)
  }
  const warnings: string[] = []
  buildConfig({ ...upstream, APIKEY: 'a-real-looking-key-0123456789,short-key' }, (message) => warnings.push(message))
  t.equal(warnings.length, 1)
  t.match(warnings[0], /APIKEY: client key #2 is shorter than 16 characters/)
  t.notOk(warnings[0].includes('short-key'), 'the key itself is not in the warning')
  const quiet: string[] = []
  buildConfig({ ...upstream, APIKEY: 'a-real-looking-key-0123456789' }, (message) => quiet.push(message))
  t.same(quiet, [])
})
