/**
 * The Messages pass-through against the direct floor: the same bodies (1 KB, 100 KB, 2 MB; Claude
 * Code sends 50–90 KB on its first turn) posted to the stand-in directly and through claude2api's
 * /v1/messages, one at a time. Reports the added latency (p50/p99), claude2api's CPU time per
 * request and its resident memory. `npm run bench:passthrough`; prints a markdown table.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuMicroseconds, residentBytes, spawnUpstream } from './processes.js'
import { percentilesOf } from './stats.js'
import { BENCH_MODEL, CLIENT_KEY, startClaude2api, UPSTREAM_KEY } from './systems.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SIZES: Array<{ label: string; bytes: number; requests: number }> = [
  { label: '1 KB', bytes: 1024, requests: 400 },
  { label: '100 KB', bytes: 100 * 1024, requests: 300 },
  { label: '2 MB', bytes: 2 * 1024 * 1024, requests: 60 }
]

/** A Messages body of about `bytes` bytes: one user turn padded with text. */
function bodyOf (bytes: number): string {
  const skeleton = JSON.stringify({ model: BENCH_MODEL, max_tokens: 256, messages: [{ role: 'user', content: '' }] })
  return JSON.stringify({ model: BENCH_MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'x'.repeat(Math.max(1, bytes - skeleton.length)) }] })
}

async function timeRequests (url: string, key: string, body: string, count: number): Promise<number[]> {
  const headers = { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
  const times: number[] = []
  for (let index = 0; index < count; index++) {
    const start = performance.now()
    const response = await fetch(url, { method: 'POST', headers, body })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
    times.push(performance.now() - start)
  }
  return times
}

const upstream = await spawnUpstream(join(ROOT, 'dist', 'bench', 'upstream.js'))
const gateway = await startClaude2api(join(ROOT, 'dist', 'server.js'), upstream.url)
const pid = gateway.service!.pid
const rows: string[] = []
try {
  for (const size of SIZES) {
    const body = bodyOf(size.bytes)
    // Warm both paths first (JIT, connections), then alternate direct and gateway runs.
    await timeRequests(`${upstream.url}/v1/messages`, UPSTREAM_KEY, body, Math.ceil(size.requests / 5))
    await timeRequests(`${gateway.service!.url}/v1/messages`, CLIENT_KEY, body, Math.ceil(size.requests / 5))
    const direct = percentilesOf(await timeRequests(`${upstream.url}/v1/messages`, UPSTREAM_KEY, body, size.requests))
    const cpuBefore = cpuMicroseconds(pid)
    const via = percentilesOf(await timeRequests(`${gateway.service!.url}/v1/messages`, CLIENT_KEY, body, size.requests))
    const cpuPerRequest = (cpuMicroseconds(pid) - cpuBefore) / size.requests / 1000
    const rss = residentBytes(pid) / 1024 / 1024
    rows.push(`| ${size.label} | ${direct.p50.toFixed(2)} | ${via.p50.toFixed(2)} | ${(via.p50 - direct.p50).toFixed(2)} | ${(via.p99 - direct.p99).toFixed(2)} | ${cpuPerRequest.toFixed(2)} | ${rss.toFixed(0)} |`)
    process.stderr.write(`[passthrough] ${size.label} done\n`)
  }
} finally {
  await gateway.service!.stop()
  await upstream.stop()
}
process.stdout.write([
  '| body | direct p50 ms | via claude2api p50 ms | added p50 ms | added p99 ms | claude2api CPU ms/request | claude2api RSS MB |',
  '|---|---|---|---|---|---|---|',
  ...rows
].join('\n') + '\n')
