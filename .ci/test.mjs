// Runs the compiled test files with tap: in parallel (TEST_JOBS files at once; most wait on
// sockets and child processes, not the CPU), then, one at a time, the files that say
// `@run-alone` (they load the machine on purpose or judge the event loop). Ends with tap's
// summary line, `# { total: T, pass: P, fail: F }`, for both runs together.
import { spawn } from 'node:child_process'
import { globSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

const jobs = Number(process.env.TEST_JOBS) || Math.max(2, availableParallelism() * 2)
/** tap's per-file timeout (package.json, 120 s) catches hangs of a file running alone; beside others a file takes longer. */
const ALONE_TIMEOUT_S = 120
const requested = process.argv.slice(2)
const files = (requested.length > 0 ? requested : globSync('dist/test/**/*.test.js')).sort()
const alone = files.filter((file) => readFileSync(file, 'utf8').includes('@run-alone'))
const together = files.filter((file) => !alone.includes(file))

/** Runs tap over some files, echoing its output, and reads its summary line. */
async function tap (group, jobCount) {
  if (group.length === 0) return { code: 0, total: 0, pass: 0, fail: 0 }
  console.log(`# ${group.length} test files, ${jobCount} at a time`)
  const child = spawn('tap', [`--jobs=${jobCount}`, `--timeout=${ALONE_TIMEOUT_S * jobCount}`, ...group], { stdio: ['ignore', 'pipe', 'inherit'] })
  let tail = ''
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk)
    tail = (tail + chunk.toString()).slice(-4096)
  })
  const code = await new Promise((resolve) => child.once('close', resolve))
  const summary = [...tail.matchAll(/^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/gm)].at(-1)
  if (!summary) return { code: code || 1, total: 0, pass: 0, fail: 1 }
  return { code, total: Number(summary[1]), pass: Number(summary[2]), fail: Number(summary[3] ?? 0) }
}

const started = Date.now()
const runs = [await tap(together, jobs), await tap(alone, 1)]
const total = runs.reduce((sum, run) => sum + run.total, 0)
const pass = runs.reduce((sum, run) => sum + run.pass, 0)
const fail = runs.reduce((sum, run) => sum + run.fail, 0)
console.log(`# ${files.length} test files in ${Math.round((Date.now() - started) / 1000)} s`)
console.log(`# { total: ${total}, pass: ${pass}, fail: ${fail} }`)
process.exit(runs.some((run) => run.code !== 0) || fail > 0 ? 1 : 0)
