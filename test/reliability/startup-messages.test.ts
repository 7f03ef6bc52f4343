/** What a newcomer sees when a setting is wrong or the port is taken: one line saying what to do. */
import { createServer } from 'node:net'
import { test } from 'tap'
import { ConfigError, parseAddress } from '../../plugins/config.js'
import { anthropicApiKey } from '../helpers/gateway.js'
import { runServerProcess } from '../helpers/server-process.js'

const KEY = anthropicApiKey('startup-messages')
const ENV = { ANTHROPIC_API_KEYS: KEY, APIKEY: 'a-client-key', ADDRESS: '127.0.0.1:0', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }
const LEVELS = /fatal, error, warn, info, debug, trace, silent/

/** No stack trace: no "    at fn (file:line)" frames and no thrown-error banner. */
const STACK = /^\s+at .+[:(]|^\w*Error: |node:internal/m

test('LOG_LEVEL=verbose in the environment: one line naming LOG_LEVEL and the allowed values, exit 1', async (t) => {
  const run = await runServerProcess({ ...ENV, LOG_LEVEL: 'verbose' })
  t.equal(run.code, 1)
  t.match(run.output, /LOG_LEVEL/)
  t.match(run.output, LEVELS)
  t.notMatch(run.output, STACK, 'no stack trace')
  t.equal(run.output.trim().split('\n').length, 1, 'one line')
})

test('log_level: verbose in config.yaml: the same, with the allowed values', async (t) => {
  const yaml = `anthropic_api_keys: ${KEY}\napikey: a-client-key\naddress: 127.0.0.1:0\nlog_level: verbose\n`
  const run = await runServerProcess({}, { 'config.yaml': yaml })
  t.equal(run.code, 1)
  t.match(run.output, /LOG_LEVEL/)
  t.match(run.output, LEVELS)
  t.match(run.output, /config\.yaml/, 'names the source')
  t.notMatch(run.output, STACK)
})

test('a port already in use: one line saying so and what to do, exit 1', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const { port } = blocker.address() as { port: number }
  const run = await runServerProcess({ ...ENV, ADDRESS: `127.0.0.1:${port}` })
  t.equal(run.code, 1)
  t.notOk(run.listened)
  const fatal = run.output.trim().split('\n').filter((line) => line.includes('"level":60'))
  t.equal(fatal.length, 1, 'one fatal line')
  t.match(fatal[0], new RegExp(`port ${port}.*already in use`))
  t.match(fatal[0], /PORT|ADDRESS/, 'says which setting to change')
  t.notMatch(run.output, STACK, 'no stack trace')
})

test('ADDRESS=localhost (a host without a port) is accepted, on the default port 8080', async (t) => {
  t.same(parseAddress('localhost', undefined), { host: 'localhost', port: 8080 })
  t.same(parseAddress('localhost:9000', undefined), { host: 'localhost', port: 9000 })
  t.same(parseAddress(':9000', undefined), { host: '0.0.0.0', port: 9000 })
  t.same(parseAddress('[::1]:9000', undefined), { host: '::1', port: 9000 })
  t.same(parseAddress('[::1]', undefined), { host: '::1', port: 8080 })
  t.same(parseAddress('::1', undefined), { host: '::1', port: 8080 }, 'a bare IPv6 address is a host')
  t.same(parseAddress('localhost', 7000), { host: 'localhost', port: 7000 }, 'PORT wins')
  for (const bad of ['', 'localhost:http', 'localhost:70000', 'a b:80']) t.throws(() => parseAddress(bad, undefined), ConfigError, `'${bad}' refused`)
  const run = await runServerProcess({ ...ENV, ADDRESS: 'localhost', PORT: '0' })
  t.ok(run.listened, 'the server listens')
  t.notMatch(run.output, /pattern|\^\\\[/, 'no regular expression in sight')
})

test('an ADDRESS with a bad port: one line naming ADDRESS with an example, no regular expression', async (t) => {
  const run = await runServerProcess({ ...ENV, ADDRESS: 'localhost:http' })
  t.equal(run.code, 1)
  t.match(run.output, /ADDRESS/)
  t.match(run.output, /host:port/)
  t.notMatch(run.output, /pattern|\^\\\[/)
})

test('a normal start prints no deprecation warning (FSTDEP023)', async (t) => {
  const run = await runServerProcess(ENV)
  t.ok(run.listened)
  t.notMatch(run.output, /FSTDEP|DeprecationWarning/)
})
