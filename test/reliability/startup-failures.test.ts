import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test, type Test } from 'tap'

const SERVER_SCRIPT = fileURLToPath(new URL('../../server.js', import.meta.url))
const GOOD_KEY = 'sk-ant-api03-startup-test-key-0000000000'
const BASE_ENV = { ANTHROPIC_API_KEYS: GOOD_KEY, APIKEY: 'a-client-key', ADDRESS: '127.0.0.1:0', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }

/** Runs `node dist/server.js` in an empty directory with only the given environment; kills it if it is still running after 90 s (a generous bound for a busy machine). */
async function runServer (env: Record<string, string>, files: Record<string, string> = {}): Promise<{ code: number | null; output: string; killed: boolean }> {
  const cwd = mkdtempSync(join(tmpdir(), 'claude2api-startup-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
  const child = spawn(process.execPath, [SERVER_SCRIPT], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  let killed = false
  const killer = setTimeout(() => { killed = true; child.kill('SIGKILL') }, 90000)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(killer)
  rmSync(cwd, { recursive: true, force: true })
  return { code, output, killed }
}

interface Case { name: string; env: Record<string, string>; files?: Record<string, string>; names: RegExp } // what the message must mention: the field, or for a session key the kind of key

const CASES: Case[] = [
  { name: 'config.yaml that is not YAML', env: { CONFIG_FILE: 'config.yaml' }, files: { 'config.yaml': 'apikey: [unclosed\n  anthropic_api_keys: : :\n' }, names: /config\.yaml is not valid YAML/ },
  { name: 'RETRY_COUNT of the wrong type in config.yaml', env: { CONFIG_FILE: 'config.yaml' }, files: { 'config.yaml': `anthropic_api_keys: ${GOOD_KEY}\napikey: a-client-key\nretry_count: "abc"\n` }, names: /RETRY_COUNT/ },
  { name: 'RETRY_COUNT of the wrong type in the environment', env: { ...BASE_ENV, RETRY_COUNT: 'abc' }, names: /RETRY_COUNT/ },
  { name: 'a CONFIG_FILE that does not exist', env: { CONFIG_FILE: 'missing.yaml' }, names: /CONFIG_FILE .*missing\.yaml/ },
  { name: 'no APIKEY', env: { ANTHROPIC_API_KEYS: GOOD_KEY }, names: /APIKEY/ },
  { name: 'no upstream key', env: { APIKEY: 'a-client-key' }, names: /ANTHROPIC_API_KEYS/ },
  { name: 'a claude.ai session key (sk-ant-sid…)', env: { ...BASE_ENV, ANTHROPIC_API_KEYS: 'sk-ant-sid01-web-session-cookie' }, names: /sk-ant-sid/ },
  { name: 'ENABLE_MIRROR_API without MIRROR_API_PREFIX', env: { ...BASE_ENV, ENABLE_MIRROR_API: 'true' }, names: /MIRROR_API_PREFIX/ },
  { name: 'a misspelt setting in config.yaml', env: { CONFIG_FILE: 'config.yaml' }, files: { 'config.yaml': `anthropic_api_keys: ${GOOD_KEY}\napikey: a-client-key-of-some-length\nadress: 127.0.0.1:0\n` }, names: /adress is not a setting .*did you mean address\?/ },
  { name: "the example's placeholder client key", env: { ...BASE_ENV, APIKEY: 'choose-a-long-random-client-key' }, names: /APIKEY: client key #1 is a placeholder/ }
]

for (const testCase of CASES) {
  test(`start-up refused: ${testCase.name} → exit code 1 and a message saying what is wrong`, async (t) => {
    const result = await runServer(testCase.env, testCase.files)
    t.equal(result.code, 1, 'exit code 1')
    t.match(result.output, testCase.names, 'the message names what is wrong')
    t.match(result.output, /Invalid configuration/, 'and says it is the configuration')
    t.notOk(result.output.includes('Server listening'), 'the server never listened')
    t.notOk(result.killed, 'it exited by itself instead of hanging')
  })
}

/** Starts `node dist/server.js` in a directory holding `files`; true once it listens (then stops it, expecting exit 0). */
async function startsListening (t: Test, env: Record<string, string>, files: Record<string, string> = {}): Promise<boolean> {
  const cwd = mkdtempSync(join(tmpdir(), 'claude2api-startup-'))
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
  const child = spawn(process.execPath, [SERVER_SCRIPT], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const listening = await new Promise<boolean>((resolve) => {
    const killer = setTimeout(() => resolve(false), 90000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Server listening')) {
        clearTimeout(killer)
        resolve(true)
      }
    })
    child.once('close', () => resolve(false))
  })
  child.kill('SIGTERM')
  const code = await new Promise((resolve) => child.exitCode !== null ? resolve(child.exitCode) : child.once('close', resolve))
  if (listening) t.equal(code, 0, 'and stops cleanly')
  return listening
}

test('the same settings without the fault start the server (the cases above fail for their fault alone)', async (t) => {
  t.ok(await startsListening(t, BASE_ENV), 'the server listens')
})

test('a .env file in the working directory is read when there is no config.yaml', async (t) => {
  const dotenv = Object.entries(BASE_ENV).map(([name, value]) => `${name}=${value}`).join('\n') + '\n'
  t.ok(await startsListening(t, {}, { '.env': dotenv }), 'the server listens with settings from .env alone')
})

test('config.yaml wins over the environment', async (t) => {
  const yaml = `anthropic_api_keys: ${GOOD_KEY}\napikey: a-client-key\naddress: 127.0.0.1:0\nanthropic_base_url: http://127.0.0.1:9\n`
  t.ok(await startsListening(t, { RETRY_COUNT: 'abc', APIKEY: '' }, { 'config.yaml': yaml }), 'invalid environment values are not read when config.yaml exists')
})
