/**
 * What the optional features add per request, through the real server and the bench stand-in of
 * Anthropic: the same sequential non-streamed chat requests with an unlimited APIKEY client (the
 * baseline), a named client with rate limits and spend caps counted in memory, the same counted
 * in Redis, and OpenTelemetry tracing exporting to a local sink. `npm run bench:features`; prints
 * a markdown table for docs/benchmarks.md.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from './processes.js'
import { percentilesOf } from './stats.js'
import { BENCH_MODEL, CLIENT_KEY, startClaude2api } from './systems.js'
import { startUpstream } from './upstream.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const REQUESTS = Number(process.env.BENCH_FEATURE_REQUESTS ?? 400)
const WARM_UP = 50
const TEAM_KEY = 'c2a-bench-team-client-key-0123456789abcdef'
const TEAMS_ENV = {
  CLIENTS: JSON.stringify([{ name: 'bench', key: TEAM_KEY, limits: { rpm: 1_000_000, input_tpm: 1_000_000_000, output_tpm: 1_000_000_000, concurrency: 1000 }, spend: { daily: 100_000_000, monthly: 100_000_000 } }])
}

async function startRedis (): Promise<{ url: string, stop: () => void }> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let tries = 0; tries < 100; tries++) {
    const up = await fetch(`http://127.0.0.1:${port}`).then(() => true, (error: Error & { cause?: { code?: string } }) => error.cause?.code !== 'ECONNREFUSED')
    if (up) break
    await sleep(50)
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => { child.kill() } }
}

/** An OTLP/HTTP sink that accepts and drops every export, so tracing runs as it would in production. */
async function startTraceSink (): Promise<{ url: string, close: () => Promise<void> }> {
  const server = createServer((request, response) => { request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}')) })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: async () => { await new Promise<void>((done) => server.close(() => done())) } }
}

async function latencies (url: string, key: string): Promise<number[]> {
  const body = JSON.stringify({ model: BENCH_MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16 })
  const samples: number[] = []
  for (let index = 0; index < WARM_UP + REQUESTS; index++) {
    const start = performance.now()
    const answer = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body })
    const text = await answer.text()
    if (answer.status !== 200) throw new Error(`request ${index} answered ${answer.status}: ${text.slice(0, 300)}`)
    if (index >= WARM_UP) samples.push(performance.now() - start)
  }
  return samples
}

const upstream = await startUpstream(0, { latencyMs: 0, deltas: 5, eventIntervalMs: 0 })
const redis = await startRedis()
const sink = await startTraceSink()
const variants: Array<{ label: string, key: string, env: Record<string, string> }> = [
  { label: 'baseline (APIKEY client, no limits)', key: CLIENT_KEY, env: {} },
  { label: 'named client with limits and caps, counters in memory', key: TEAM_KEY, env: TEAMS_ENV },
  { label: 'named client with limits and caps, counters in Redis', key: TEAM_KEY, env: { ...TEAMS_ENV, REDIS_URL: redis.url } },
  { label: 'OpenTelemetry tracing on (OTLP/HTTP to a local sink)', key: CLIENT_KEY, env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '200' } }
]
const rows: string[] = []
let baseline = Number.NaN
try {
  for (const variant of variants) {
    // Shedding off: this measures the cost of a feature, and a busy bench machine would trip it.
    const gateway = await startClaude2api(join(ROOT, 'dist', 'server.js'), upstream.url, [], { MAX_EVENT_LOOP_DELAY_MS: '0', ...variant.env })
    try {
      const figures = percentilesOf(await latencies(gateway.service!.url, variant.key))
      if (Number.isNaN(baseline)) baseline = figures.p50
      rows.push(`| ${variant.label} | ${figures.p50.toFixed(2)} | ${figures.p90.toFixed(2)} | ${(figures.p50 - baseline).toFixed(2)} |`)
      process.stderr.write(`[features] ${variant.label} done\n`)
    } finally {
      await gateway.service!.stop()
    }
  }
} finally {
  redis.stop()
  await sink.close()
  await upstream.close()
}
console.log(`| variant | p50 ms | p90 ms | added p50 ms |  (${REQUESTS} sequential requests each, after ${WARM_UP} to warm up)`)
console.log('|---|---|---|---|')
for (const row of rows) console.log(row)
