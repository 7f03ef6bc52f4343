/** `npm test` prepares the machine, then runs test files in parallel, and alone those that ask to be. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test, type Test } from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Test files in a folder under the project (so that they find tap), removed afterwards. */
function fixtures (t: Test, files: Record<string, string>): string[] {
  const folder = mkdtempSync(join(ROOT, 'dist', 'runner-fixture-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(folder, name), text)
    return join(folder, name)
  })
}

async function runRunner (files: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(ROOT, '.ci', 'test.mjs'), ...files], {
    cwd: ROOT,
    // Without the outer tap's own variables, which would make the inner tap report to it.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TAP') && !name.startsWith('_TAPJS'))), PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, TEST_JOBS: '2' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000) // generous: two tap runs on a busy machine
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(killer)
  return { code, output }
}

const passing = (name: string, marker = ''): string => `${marker}\nimport { test } from 'tap'\ntest('${name}', async (t) => { t.pass('${name} ran') })\n`

test('files run in two groups (together, then the @run-alone ones one by one) and one summary line counts both', async (t) => {
  const files = fixtures(t, { 'a.test.js': passing('a'), 'b.test.js': passing('b'), 'c.test.js': passing('c', '// @run-alone: for this test') })
  const run = await runRunner(files)
  t.equal(run.code, 0)
  t.match(run.output, /# 2 test files, 2 at a time/)
  t.match(run.output, /# 1 test files, 1 at a time/)
  const summary = run.output.trim().split('\n').at(-1)
  t.match(summary, /^# \{ total: \d+, pass: \d+, fail: 0 \}$/, 'the last line is the summary .ci/run reads')
})

test('a failing file in either group fails the run and is counted', async (t) => {
  const files = fixtures(t, { 'a.test.js': passing('a'), 'z.test.js': "// @run-alone: for this test\nimport { test } from 'tap'\ntest('z', async (t) => { t.fail('z failed') })\n" })
  const run = await runRunner(files)
  t.equal(run.code, 1)
  t.match(run.output.trim().split('\n').at(-1), /^# \{ total: \d+, pass: \d+, fail: [1-9]\d* \}$/)
})

test('npm test prepares the machine first: chromium, redis-server and PostgreSQL from apt-get when missing, PostgreSQL started when stopped', async (t) => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  t.equal(scripts.pretest, 'bash .ci/prepare')
  t.match(scripts.test, /node \.ci\/test\.mjs$/)
  const prepare = readFileSync(join(ROOT, '.ci', 'prepare'), 'utf8')
  for (const name of ['redis-server', 'chromium', 'postgresql']) t.match(prepare, new RegExp(`missing\\+=\\(${name}\\)`), `${name} is installed when missing`)
  t.match(prepare, /pg_ctlcluster --skip-systemctl-redirect "\$version" main start/)
  t.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /npm test/, '.ci/run runs the same command')
})
