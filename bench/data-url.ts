/**
 * What a large request body costs in CPU: a chat request carrying one big base64 part, parsed
 * and translated as the route does (JSON.parse + translateRequest), in ms per MB of body.
 * `npm run build && node dist/bench/data-url.js`; the figures go in docs/benchmarks.md by hand.
 */
import { CapabilityTable } from '../lib/anthropic/capabilities.js'
import { translateRequest } from '../lib/chat/translate-request.js'
import type { ChatCompletionRequest } from '../schemas/chat-completion.js'

const MB = 1024 * 1024
const options = { capabilities: new CapabilityTable(), unsupportedFields: 'error' as const, autoCache: false, maxHistoryChars: 0 }

/** Line-wrapped URL-safe base64 (the worst case for canonicalisation), `size` bytes of it. */
function payload (size: number): string {
  const line = 'AbC-_9'.repeat(12) + '\n'
  return line.repeat(Math.ceil(size / line.length)).slice(0, size - (size % 4))
}

function requestBody (part: Record<string, unknown>): string {
  return JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, part] }] })
}

function msPerMb (body: string, runs: number): number {
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint()
    try {
      translateRequest(JSON.parse(body) as ChatCompletionRequest, options)
    } catch {
      // an oversized image is refused: that refusal is what is timed
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] / (Buffer.byteLength(body) / MB)
}

const cases: Array<[string, string]> = [
  ['image, 4 MB (accepted)', requestBody({ type: 'image_url', image_url: { url: `data:image/png;base64,${payload(4 * MB)}` } })],
  ['image, 10 MB (refused: over 5 MB)', requestBody({ type: 'image_url', image_url: { url: `data:image/png;base64,${payload(10 * MB)}` } })],
  ['PDF file, 16 MB (accepted)', requestBody({ type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${payload(16 * MB)}` } })],
  ['PDF file, 30 MB (accepted)', requestBody({ type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${payload(30 * MB)}` } })]
]
for (const [name, body] of cases) {
  const before = process.memoryUsage().rss
  const figure = msPerMb(body, 7)
  console.log(`${name.padEnd(36)} ${figure.toFixed(2)} ms/MB  (body ${(Buffer.byteLength(body) / MB).toFixed(1)} MB, RSS +${((process.memoryUsage().rss - before) / MB).toFixed(0)} MB)`)
}
