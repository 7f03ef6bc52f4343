// Mutation run over the compiled gateway (dist/), one StrykerJS run per focus area so each
// mutant only runs the tests that concern it. Not part of CI: it takes tens of minutes on 2 cores.
// Usage (from the repository root, after `npm run build`): node mutation/run.mjs [area ...]
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)

/** Lines of a compiled file from the line holding `from` to the one holding `to` (both included). */
function lines (file, from, to) {
  const text = readFileSync(join(root, file), 'utf8').split('\n')
  const start = text.findIndex((line) => line.includes(from)) + 1
  const end = text.findIndex((line, index) => index >= start && line.includes(to)) + 1
  if (start === 0 || end === 0) throw new Error(`${file}: cannot find ${from} … ${to}`)
  return `${file}:${start}-${end}`
}

// Tests run fastest first with --bail, so a killed mutant costs only the test that kills it.
const AREAS = {
  'key-pool': {
    mutate: ['dist/lib/key-pool.js'],
    tests: ['dist/test/lib/key-pool.test.js', 'dist/test/plugins/claude-client.test.js', 'dist/test/reliability/key-pool-failover.test.js']
  },
  auth: {
    mutate: ['dist/plugins/auth.js'],
    tests: ['dist/test/security/auth.test.js']
  },
  retry: {
    mutate: () => [lines('dist/plugins/claude-client.js', 'async openStream(', 'async listModels('), lines('dist/plugins/claude-client.js', 'async withRetries(', 'function header(')],
    tests: ['dist/test/plugins/claude-client.test.js', 'dist/test/reliability/error-meaning.test.js', 'dist/test/reliability/upstream-faults.test.js', 'dist/test/reliability/mirror-mode.test.js']
  },
  'stream-translation': {
    mutate: ['dist/lib/chat/stream-translator.js', 'dist/lib/chat/completion-stream.js'],
    tests: ['dist/test/lib/chat/stream-translator.test.js', 'dist/test/translation/cases-tools.test.js', 'dist/test/translation/reasoning.test.js', 'dist/test/reliability/mid-stream-failures.test.js', 'dist/test/translation/cases-usage.test.js']
  },
  redaction: {
    mutate: ['dist/lib/logger-options.js'],
    tests: ['dist/test/security/secrets.test.js']
  }
}

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(AREAS)
mkdirSync(join(here, 'configs'), { recursive: true })
let failed = false
for (const name of wanted) {
  const area = AREAS[name]
  if (!area) throw new Error(`unknown area ${name}; known: ${Object.keys(AREAS).join(', ')}`)
  const config = {
    $schema: '../node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    testRunner: 'command',
    commandRunner: { command: `node_modules/.bin/tap --bail --reporter=silent ${area.tests.join(' ')}` },
    mutate: typeof area.mutate === 'function' ? area.mutate() : area.mutate,
    coverageAnalysis: 'off',
    concurrency: 1,
    // Log and error message texts are not behaviour the tests pin down word for word.
    mutator: { excludedMutations: ['StringLiteral'] },
    ignorePatterns: ['e2e-clients', 'bench', 'docs', 'mutation', '.tap', 'coverage'],
    timeoutMS: 60000,
    timeoutFactor: 2,
    reporters: ['clear-text', 'json', 'progress'],
    jsonReporter: { fileName: `mutation/reports/${name}.json` },
    tempDirName: 'mutation/.stryker-tmp',
    cleanTempDir: 'always'
  }
  const file = join(here, 'configs', `${name}.json`)
  writeFileSync(file, JSON.stringify(config, null, 2))
  console.log(`\n=== ${name}: ${config.mutate.join(', ')}`)
  const run = spawnSync(join(here, 'node_modules/.bin/stryker'), ['run', file], { cwd: root, stdio: 'inherit' })
  if (run.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
