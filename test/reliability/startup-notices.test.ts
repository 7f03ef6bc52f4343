/** What start-up tells an operator about keys that cannot work and about where the settings came from. */
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, buildGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { runServerProcess } from '../helpers/server-process.js'

const GOOD = anthropicApiKey('startup-notices')
const ENV = { APIKEY: 'a-client-key', ADDRESS: '127.0.0.1:0', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }

function warnings (output: string): string[] {
  return output.split('\n').filter((line) => line.includes('"level":40')).map((line) => (JSON.parse(line) as { msg: string }).msg)
}

test('placeholder and malformed upstream keys: a start-up warning each, naming the key by label, never the secret', async (t) => {
  const run = await runServerProcess({ ...ENV, ANTHROPIC_API_KEYS: `sk-ant-api03-REPLACE-ME-1,${GOOD},foo` })
  t.ok(run.listened, 'the server still starts')
  const keyWarnings = warnings(run.output).filter((message) => message.includes('ANTHROPIC_API_KEYS'))
  t.equal(keyWarnings.length, 2, 'one warning per bad key')
  t.match(keyWarnings[0], /sk-ant-api03-…ME-1 .*shape/)
  t.match(keyWarnings[1], /key-[0-9a-f]{6} .*shape/)
  t.notMatch(run.output, /REPLACE-ME/, 'the placeholder is not printed')
  t.notMatch(run.output, /\bfoo\b/, 'the malformed key is not printed')
  t.notOk(keyWarnings.some((message) => message.includes(GOOD.slice(-4))), 'the good key is not warned about')
})

test('start-up names the configuration source: the environment', async (t) => {
  const run = await runServerProcess({ ...ENV, ANTHROPIC_API_KEYS: GOOD })
  t.ok(run.listened)
  t.match(run.output, /configuration read from the environment/)
})

test('when config.yaml wins it says so, and which environment variables it shadowed (names only)', async (t) => {
  const yaml = `anthropic_api_keys: ${GOOD}\napikey: yaml-client-key\naddress: 127.0.0.1:0\nanthropic_base_url: http://127.0.0.1:9\n`
  const run = await runServerProcess({ APIKEY: 'env-client-secret', RETRY_COUNT: '3', NOT_A_SETTING: 'x' }, { 'config.yaml': yaml })
  t.ok(run.listened)
  t.match(run.output, /configuration read from .*config\.yaml/)
  const shadow = warnings(run.output).find((message) => message.includes('wins over the environment'))
  t.ok(shadow, 'a warning about the shadowed environment')
  t.match(shadow, /APIKEY, RETRY_COUNT/)
  t.notMatch(shadow ?? '', /NOT_A_SETTING|PATH/, 'only settings are named')
  t.notMatch(run.output, /env-client-secret/, 'no value is printed')
})

test('a Redis that cannot be reached is logged at start-up (URL without its password, and the reason), then at most once per interval', async (t) => {
  const port = await freePort()
  const stub = await startAnthropicStub()
  const logLines: string[] = []
  const url = `redis://:hunter2-redis-secret@127.0.0.1:${port}/0`
  const app = await buildGateway(stub.url, { logLines, config: { REDIS_URL: url } })
  t.teardown(async () => { await app.close(); await stub.close() })
  t.equal(app.state.connected, false)
  const redisWarnings = (): Array<Record<string, unknown>> => logLines.map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.level === 40 && String(entry.msg).includes('Redis'))
  // Start-up waited for Redis while ioredis tried to connect several times: one line tells of it.
  t.equal(redisWarnings().length, 1, 'one warning, however many attempts failed')
  t.match(redisWarnings()[0], { redis: `redis://:***@127.0.0.1:${port}/0`, reason: 'ECONNREFUSED', msg: /cannot connect to Redis/ })
  t.notMatch(logLines.join('\n'), /hunter2/, 'the password is not logged')
})
