/** The image's HEALTHCHECK asks the server itself, which reads the same configuration as the server it checks. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { test, type Test } from 'tap'
import { CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const SERVER_SCRIPT = join(ROOT, 'dist', 'server.js')
/** Generous bounds for a busy machine; nothing here measures speed. */
const START_BOUND_MS = 90_000
const CHECK_BOUND_MS = 60_000

function directoryWith (t: Test, files: Record<string, string>): string {
  const cwd = mkdtempSync(join(tmpdir(), 'claude2api-healthcheck-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }))
  return cwd
}

/** Starts the server and resolves once it says it listens. */
async function startServer (t: Test, cwd: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER_SCRIPT], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  const listening = await new Promise<boolean>((resolve) => {
    const bound = setTimeout(() => resolve(false), START_BOUND_MS)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Server listening')) { clearTimeout(bound); resolve(true) }
    })
    child.once('exit', () => { clearTimeout(bound); resolve(false) })
  })
  if (!listening) throw new Error(`the server did not start: ${output}`)
  return child
}

/** Runs `node dist/server.js --healthcheck` and gives its exit code (null: it had to be killed). */
async function healthcheck (cwd: string, env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [SERVER_SCRIPT, '--healthcheck'], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' })
  const bound = setTimeout(() => child.kill('SIGKILL'), CHECK_BOUND_MS)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  clearTimeout(bound)
  return code
}

async function stop (child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

test('--healthcheck finds the port set in config.yaml, with 0.0.0.0 as the address, and exits 0; 1 once the server is gone', async (t) => {
  const port = await freePort()
  const cwd = directoryWith(t, { 'config.yaml': `anthropic_api_keys: ${UPSTREAM_KEYS[0]}\napikey: ${CLIENT_KEY}\naddress: 0.0.0.0:${port}\nanthropic_base_url: http://127.0.0.1:9\n` })
  const server = await startServer(t, cwd, {})
  t.equal(await healthcheck(cwd, {}), 0, 'healthy server: exit 0')
  await stop(server)
  t.equal(await healthcheck(cwd, {}), 1, 'no server: exit 1')
})

test('--healthcheck reads ADDRESS=0.0.0.0 and PORT from the environment like the server', async (t) => {
  const port = await freePort()
  const env = { ANTHROPIC_API_KEYS: UPSTREAM_KEYS[0], APIKEY: CLIENT_KEY, ADDRESS: '0.0.0.0', PORT: String(port), ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }
  const cwd = directoryWith(t, {})
  const server = await startServer(t, cwd, env)
  t.equal(await healthcheck(cwd, env), 0)
  await stop(server)
})

test('the Dockerfile HEALTHCHECK runs the server in its --healthcheck mode', async (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const healthcheckLine = dockerfile.split('\n').findIndex((line) => line.startsWith('HEALTHCHECK'))
  t.ok(healthcheckLine >= 0, 'there is a HEALTHCHECK')
  const command = dockerfile.split('\n').slice(healthcheckLine, healthcheckLine + 2).join(' ')
  t.match(command, /CMD \["node", "dist\/server\.js", "--healthcheck"\]/)
})
