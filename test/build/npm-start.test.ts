/** `npm start` must leave no server behind when it is told to stop (SIGTERM to npm, as `docker stop` or a process manager sends). */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'
import { CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/** Generous bounds for a busy machine (npm start type-checks what changed first); nothing here measures speed. */
const START_BOUND_MS = 240_000
const STOP_BOUND_MS = 60_000

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function waitFor (condition: () => Promise<boolean>, boundMs: number): Promise<boolean> {
  const until = Date.now() + boundMs
  while (Date.now() < until) {
    if (await condition()) return true
    await sleep(100)
  }
  return false
}

test('SIGTERM to the npm start process stops the server: its port closes', async (t) => {
  const port = await freePort()
  const configDir = mkdtempSync(join(tmpdir(), 'claude2api-npm-start-'))
  const configFile = join(configDir, 'config.yaml')
  writeFileSync(configFile, `anthropic_api_keys: ${UPSTREAM_KEYS[0]}\napikey: ${CLIENT_KEY}\naddress: 127.0.0.1:${port}\nanthropic_base_url: http://127.0.0.1:9\n`)
  const npm = spawn('npm', ['start', '--silent', '--ignore-scripts'], { cwd: ROOT, env: { ...process.env, CONFIG_FILE: configFile }, stdio: 'ignore', detached: true })
  t.teardown(() => {
    // Whatever is left of the process group (npm, sh, node) goes, whether the test passed or not.
    try { process.kill(-npm.pid!, 'SIGKILL') } catch {}
    rmSync(configDir, { recursive: true, force: true })
  })
  t.ok(await waitFor(async () => await accepts(port), START_BOUND_MS), 'the server listens')
  npm.kill('SIGTERM')
  t.ok(await waitFor(async () => !(await accepts(port)), STOP_BOUND_MS), 'the port is closed after SIGTERM to npm alone')
})
