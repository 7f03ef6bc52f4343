/** `npm start` compiles only what the server runs, and only when dist/ is out of date. */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const run = promisify(execFile)

test('npm start builds with tsc -b tsconfig.build.json (incremental: nothing to do when dist/ is current)', async (t) => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  t.equal(scripts.prestart, 'tsc -b tsconfig.build.json')
})

test('tsconfig.build.json takes the server and what it imports, and no test or benchmark file', async (t) => {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
  const own = stdout.split('\n').map((line) => line.trim()).filter(Boolean).map((file) => relative(ROOT, file)).filter((file) => !file.startsWith('node_modules') && !file.startsWith('..'))
  t.ok(own.includes('server.ts') && own.includes('app.ts'), 'server.ts and app.ts are built')
  t.ok(own.some((file) => file.startsWith('routes/')) && own.some((file) => file.startsWith('plugins/')), 'routes and plugins too')
  t.same(own.filter((file) => file.startsWith('test/') || file.startsWith('bench/')), [], 'no test or bench file')
})
