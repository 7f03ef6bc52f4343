/**
 * How soon a client that leaves mid-stream frees the upstream request: a streamed answer paced at
 * one event every 20 ms, the client reads its first bytes and destroys its socket, and the
 * stand-in (in this process, so both moments use one clock) notes when its response closes. Runs
 * the three streamed routes through the real server. `npm run bench:disconnect`; prints a markdown
 * table for docs/benchmarks.md.
 */
import { request } from 'node:http'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { percentilesOf } from './stats.js'
import { BENCH_MODEL, CLIENT_KEY, startClaude2api } from './systems.js'
import { startUpstream } from './upstream.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const RUNS = 40
const ROUTES: Array<{ label: string; path: string; body: object; headers: Record<string, string> }> = [
  { label: 'Chat Completions', path: '/v1/chat/completions', body: { model: BENCH_MODEL, stream: true, messages: [{ role: 'user', content: 'Hi' }] }, headers: { authorization: `Bearer ${CLIENT_KEY}` } },
  { label: 'Responses', path: '/v1/responses', body: { model: BENCH_MODEL, stream: true, store: false, input: 'Hi' }, headers: { authorization: `Bearer ${CLIENT_KEY}` } },
  { label: 'Messages (pass-through)', path: '/v1/messages', body: { model: BENCH_MODEL, max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Hi' }] }, headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' } }
]

/** Resolves with the moment the client destroyed its socket, after its first bytes arrived. */
function leaveAfterFirstBytes (url: string, path: string, body: object, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (incoming) => {
      if (incoming.statusCode !== 200) reject(new Error(`${path} answered ${incoming.statusCode}`))
      incoming.once('data', () => {
        const leftAt = performance.now()
        outgoing.destroy()
        resolve(leftAt)
      })
    })
    outgoing.on('error', (error) => { if (!outgoing.destroyed) reject(error) })
    outgoing.end(JSON.stringify(body))
  })
}

const upstream = await startUpstream(0, { latencyMs: 0, deltas: 100_000, eventIntervalMs: 20 })
const closes: number[] = []
upstream.server.on('request', (_incoming, response) => {
  response.once('close', () => { if (!response.writableEnded) closes.push(performance.now()) })
})
const gateway = await startClaude2api(join(ROOT, 'dist', 'server.js'), upstream.url)
const rows: string[] = []
try {
  for (const route of ROUTES) {
    const delays: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const before = closes.length
      const leftAt = await leaveAfterFirstBytes(gateway.service!.url, route.path, route.body, route.headers)
      const giveUpAt = performance.now() + 30_000
      while (closes.length === before) {
        if (performance.now() > giveUpAt) throw new Error(`${route.label}: the upstream request was still open 30 s after the client left`)
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      delays.push(closes[before] - leftAt)
    }
    const figures = percentilesOf(delays)
    rows.push(`| ${route.label} | ${RUNS} | ${figures.p50.toFixed(1)} | ${figures.p99.toFixed(1)} | ${Math.max(...delays).toFixed(1)} |`)
    process.stderr.write(`[disconnect] ${route.label} done\n`)
  }
} finally {
  await gateway.service!.stop()
  await upstream.close()
}
console.log('| route | runs | client gone → upstream closed, p50 ms | p99 ms | max ms |')
console.log('|---|---|---|---|---|')
for (const row of rows) console.log(row)
