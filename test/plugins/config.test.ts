import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { buildConfig, ConfigError, readConfigSource } from '../../plugins/config.js'
import type { RawConfig } from '../../schemas/config.js'
import { buildGateway } from '../helpers/gateway.js'

const defaults: RawConfig = {
  ANTHROPIC_BASE_URL: 'https://api.anthropic.com',
  ANTHROPIC_VERSION: '2023-06-01',
  ADDRESS: '0.0.0.0:8080',
  ENABLE_MIRROR_API: false,
  MAX_CHAT_HISTORY_LENGTH: 0,
  LOG_LEVEL: 'info',
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
  RESPONSES_TTL_SECONDS: 3600,
  WEB_SEARCH: false,
  SSE_KEEPALIVE_MS: 15000,
  MAX_EVENT_LOOP_DELAY_MS: 1000,
  MIRROR_BODY_LIMIT: 1024 * 1024,
  MIRROR_RATE_LIMIT: 60,
  MIRROR_MAX_CONCURRENT: 16,
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
