// Mutation run over the compiled gateway (dist/), one StrykerJS run per focus area so each
// mutant only runs the tests that concern it. Not part of CI: it takes tens of minutes on 2 cores.
// Usage (from the repository root, after `npm run build`): node mutation/run.mjs [area ...]
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// StrykerJS needs Node 22 or later; `npm run mutate` puts the project's own Node 24 first on PATH.
if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`Node ${process.version} is too old for StrykerJS: run \`npm run mutate -- [area ...]\` (it uses the project's Node 24)`)
  process.exit(1)
}

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
// Absolute: Stryker's sandbox has no node_modules of its own when the checkout's is a link.
const MOCK_LOADER = join(root, 'node_modules/@tapjs/mock/dist/esm/import.mjs')

/** Lines of a compiled file from the line holding `from` to the one holding `to` (both included). */
function lines (file, from, to) {
  const text = readFileSync(join(root, file), 'utf8').split('\n')
  const start = text.findIndex((line) => line.includes(from)) + 1
  const end = text.findIndex((line, index) => index >= start && line.includes(to)) + 1
  if (start === 0 || end === 0) throw new Error(`${file}: cannot find ${from} … ${to}`)
  return `${file}:${start}-${end}`
}

// Each area runs the tests written for it (whole-gateway tests take 10-40 s each, too slow per
// mutant on 2 shared cores); a mutant that survives here is triaged in docs/testing.md.
const AREAS = {
  'key-pool': {
    mutate: ['dist/lib/key-pool.js'],
    tests: ['dist/test/lib/key-pool.test.js']
  },
  auth: {
    mutate: ['dist/plugins/auth.js'],
    tests: ['dist/test/security/auth.test.js']
  },
  retry: {
    // Its tests take seconds; on a busy machine a 5 s limit counts slow runs as timeouts.
    timeoutMS: 20000,
    mutate: () => [lines('dist/plugins/claude-client.js', 'async openStream(', 'async listModels('), lines('dist/plugins/claude-client.js', 'async withRetries(', 'function backoffMs(')],
    tests: ['dist/test/plugins/claude-client-retry.test.js', 'dist/test/plugins/claude-client.test.js']
  },
  'stream-translation': {
    mutate: ['dist/lib/chat/stream-translator.js', 'dist/lib/chat/completion-stream.js'],
    tests: ['dist/test/lib/chat/stream-translator.test.js', 'dist/test/lib/chat/completion-stream.test.js']
  },
  'responses-stream': {
    mutate: ['dist/lib/responses/stream-translator.js', 'dist/lib/responses/failure.js', 'dist/lib/responses/keep-alive.js'],
    tests: ['dist/test/lib/responses/stream-translator.test.js', 'dist/test/lib/responses/failure.test.js', 'dist/test/lib/responses/keep-alive.test.js']
  },
  redaction: {
    mutate: ['dist/lib/logger-options.js', 'dist/lib/core/redact.js', 'dist/plugins/redaction.js'],
    tests: ['dist/test/lib/core/redact.test.js', 'dist/test/security/secrets.test.js']
  },
  'affinity-thinking': {
    oneProcess: true,
    mutate: ['dist/lib/core/affinity.js', 'dist/lib/core/thinking-store.js'],
    tests: ['dist/test/lib/core/affinity.test.js', 'dist/test/lib/core/thinking-store.test.js']
  },
  ops: {
    oneProcess: true,
    mutate: ['dist/lib/ops/*.js'],
    tests: ['health', 'metric-labels', 'request-id', 'traffic-window', 'status-page', 'api-page', 'version'].map((name) => `dist/test/lib/ops/${name}.test.js`)
  },
  state: {
    oneProcess: true,
    // The Redis tests start their own redis-server and wait on reconnections: seconds per run.
    timeoutMS: 20000,
    mutate: ['dist/lib/state/state-store.js', 'dist/lib/state/redis-state-store.js'],
    tests: ['dist/test/lib/state/state-store.test.js', 'dist/test/lib/state/redis-state-store.test.js']
  },
  messages: {
    oneProcess: true,
    // The scanner's property test takes seconds on a busy machine; it runs last.
    timeoutMS: 20000,
    mutate: ['dist/lib/messages/*.js'],
    tests: ['error-frames', 'response-headers', 'request-head', 'model-echo', 'usage-watch', 'json-scanner'].map((name) => `dist/test/lib/messages/${name}.test.js`)
  },
  'responses-store': {
    oneProcess: true,
    mutate: ['response-store', 'input-items', 'ids', 'tool-names', 'reasoning-seal'].map((name) => `dist/lib/responses/${name}.js`),
    tests: ['input-items', 'response-store', 'reasoning-seal', 'tool-names'].map((name) => `dist/test/lib/responses/${name}.test.js`)
  },
  'responses-translation': {
    oneProcess: true,
    mutate: ['dist/lib/responses/translate-input.js', 'dist/lib/responses/translate-request.js'],
    tests: ['translate-input', 'translate-request'].map((name) => `dist/test/lib/responses/${name}.test.js`)
  },
  // Teams: identities, limits and spend caps (the Redis counters are covered by the state area's way
  // of testing and by the replica tests, too slow per mutant).
  'teams-limits': {
    oneProcess: true,
    mutate: ['limiter', 'counters', 'effective-limits', 'periods', 'model-access', 'keys', 'answers', 'directory', 'definitions', 'teams-config', 'oauth-usage', 'admin-views'].map((name) => `dist/lib/clients/${name}.js`),
    tests: () => unitTests('clients')
  },
  ledger: {
    oneProcess: true,
    mutate: ['dist/lib/ledger/*.js'],
    tests: () => unitTests('ledger')
  },
  // The SQLite store runs in-process; the PostgreSQL half needs the server of `npm test` (.ci/prepare).
  store: {
    oneProcess: true,
    timeoutMS: 30000,
    mutate: ['dist/lib/store/*.js'],
    tests: () => unitTests('store')
  },
  // The session's unit test first, so most mutants die in milliseconds; the route test (it starts
  // the gateway, ~25 s) covers how the plugin drives the session.
  websocket: {
    timeoutMS: 30000,
    mutate: ['dist/lib/responses/websocket-session.js'],
    tests: ['dist/test/lib/responses/websocket-session.test.js', 'dist/test/routes/responses-websocket.test.js']
  }
}

/** Every compiled unit test of one lib/ folder, so tests added later join their area by themselves. */
function unitTests (folder) {
  const dir = join(root, 'dist/test/lib', folder)
  return readdirSync(dir).filter((name) => name.endsWith('.test.js')).sort().map((name) => `dist/test/lib/${folder}/${name}`)
}

const testsOf = (area) => typeof area.tests === 'function' ? area.tests() : area.tests

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(AREAS)
mkdirSync(join(here, 'configs'), { recursive: true })
let failed = false
for (const name of wanted) {
  const area = AREAS[name]
  if (!area) throw new Error(`unknown area ${name}; known: ${Object.keys(AREAS).join(', ')}`)
  const config = {
    $schema: '../node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    testRunner: 'command',
    // Each test file straight under node (tap's mock loader for t.mockImport), stopping at the first failure.
    // Areas of many small files run them in one process instead (see one-process.mjs).
    commandRunner: { command: area.oneProcess === true ? `${process.execPath} --import=${MOCK_LOADER} ${join(here, 'one-process.mjs')} ${testsOf(area).join(' ')} > /dev/null` : testsOf(area).map((test) => `${process.execPath} --import=${MOCK_LOADER} ${test} > /dev/null`).join(' && ') },
    mutate: typeof area.mutate === 'function' ? area.mutate() : area.mutate,
    coverageAnalysis: 'off',
    concurrency: 1,
    // Log and error message texts are not behaviour the tests pin down word for word.
    mutator: { excludedMutations: ['StringLiteral'] },
    ignorePatterns: ['e2e-clients', 'bench', 'docs', 'mutation', '.tap', 'coverage'],
    // A mutant that loops forever is stopped soon after the normal run time; slower areas say so.
    // One-process areas: 20 s, because on a loaded machine a 5 s limit turned slow passing runs into timeouts.
    timeoutMS: area.timeoutMS ?? (area.oneProcess === true ? 20000 : 5000),
    timeoutFactor: 1.25,
    reporters: ['clear-text', 'json', 'progress'],
    jsonReporter: { fileName: `mutation/reports/${name}.json` },
    tempDirName: 'mutation/.stryker-tmp',
    cleanTempDir: 'always'
  }
  const file = join(here, 'configs', `${name}.json`)
  writeFileSync(file, JSON.stringify(config, null, 2))
  console.log(`\n=== ${name}: ${config.mutate.join(', ')}`)
  const run = spawnSync(process.execPath, [join(here, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', file], { cwd: root, stdio: 'inherit' })
  if (run.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
