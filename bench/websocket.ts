/**
 * A three-turn Responses conversation over WebSocket against the same over HTTP (SSE), through the
 * real server and the bench stand-in of Anthropic: time to first token (first output_text.delta)
 * and time to response.completed, per turn. Over HTTP each turn sends the whole conversation with
 * store:false, as Codex does; over the WebSocket each turn continues the previous one on the same
 * socket with previous_response_id and only the new input. `npm run bench:websocket`; prints a
 * markdown table for docs/benchmarks.md.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { percentilesOf } from './stats.js'
import { BENCH_MODEL, CLIENT_KEY, startClaude2api } from './systems.js'
import { startUpstream } from './upstream.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CONVERSATIONS = 30
const PROMPTS = ['First question: what is a gateway?', 'Second: and why use one?', 'Third: summarise both answers.']

interface TurnTiming { firstToken: number; completed: number }
type Item = Record<string, unknown>

/** Reads one turn's events (SSE over HTTP, or frames over the socket) through `next` until it completes. */
async function timeTurn (start: number, next: () => Promise<any>): Promise<{ timing: TurnTiming; response: any }> {
  let firstToken = Number.NaN
  while (true) {
    const event = await next()
    if (event === undefined) throw new Error('the turn ended without response.completed')
    if (event.type === 'error' || event.type === 'response.failed') throw new Error(`the turn failed: ${JSON.stringify(event)}`)
    if (event.type === 'response.output_text.delta' && Number.isNaN(firstToken)) firstToken = performance.now() - start
    if (event.type === 'response.completed') return { timing: { firstToken, completed: performance.now() - start }, response: event.response }
  }
}

async function httpConversation (url: string): Promise<TurnTiming[]> {
  const timings: TurnTiming[] = []
  const history: Item[] = []
  for (const prompt of PROMPTS) {
    history.push({ type: 'message', role: 'user', content: prompt })
    const start = performance.now()
    const answer = await fetch(`${url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: BENCH_MODEL, stream: true, store: false, input: history })
    })
    const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffered = ''
    const pending: any[] = []
    const next = async (): Promise<any> => {
      while (pending.length === 0) {
        const { value, done } = await reader.read()
        if (done) return undefined
        buffered += value
        const blocks = buffered.split('\n\n')
        buffered = blocks.pop() ?? ''
        for (const block of blocks) for (const line of block.split('\n')) if (line.startsWith('data: ')) pending.push(JSON.parse(line.slice(6)))
      }
      return pending.shift()
    }
    const { timing, response } = await timeTurn(start, next)
    await reader.cancel()
    history.push(...(response.output as Item[]))
    timings.push(timing)
  }
  return timings
}

async function socketConversation (url: string): Promise<TurnTiming[]> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })
  const frames: any[] = []
  let wake: (() => void) | undefined
  socket.on('message', (data) => { frames.push(JSON.parse(data.toString())); wake?.() })
  socket.on('close', () => wake?.())
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject) })
  const next = async (): Promise<any> => {
    while (frames.length === 0) {
      if (socket.readyState !== WebSocket.OPEN) return undefined
      await new Promise<void>((resolve) => { wake = resolve })
    }
    return frames.shift()
  }
  const timings: TurnTiming[] = []
  let previous: string | undefined
  try {
    for (const prompt of PROMPTS) {
      const start = performance.now()
      socket.send(JSON.stringify({ type: 'response.create', model: BENCH_MODEL, store: false, previous_response_id: previous, input: prompt }))
      const { timing, response } = await timeTurn(start, next)
      previous = response.id
      timings.push(timing)
    }
  } finally {
    socket.close()
  }
  return timings
}

const upstream = await startUpstream(0, { latencyMs: 0, deltas: 50, eventIntervalMs: 0 })
const gateway = await startClaude2api(join(ROOT, 'dist', 'server.js'), upstream.url)
const rows: string[] = []
try {
  for (const [label, run] of [['HTTP (SSE, whole history each turn)', httpConversation], ['WebSocket (one socket, previous_response_id)', socketConversation]] as const) {
    const byTurn: TurnTiming[][] = PROMPTS.map(() => [])
    await run(gateway.service!.url)
    for (let conversation = 0; conversation < CONVERSATIONS; conversation++) {
      const timings = await run(gateway.service!.url)
      timings.forEach((timing, turn) => byTurn[turn].push(timing))
    }
    byTurn.forEach((samples, turn) => {
      const first = percentilesOf(samples.map((sample) => sample.firstToken))
      const done = percentilesOf(samples.map((sample) => sample.completed))
      rows.push(`| ${label} | ${turn + 1} | ${first.p50.toFixed(2)} | ${first.p90.toFixed(2)} | ${done.p50.toFixed(2)} | ${done.p90.toFixed(2)} |`)
    })
    process.stderr.write(`[websocket] ${label} done\n`)
  }
} finally {
  await gateway.service!.stop()
  await upstream.close()
}
console.log(`| transport | turn | first token p50 ms | p90 ms | turn p50 ms | p90 ms |  (${CONVERSATIONS} three-turn conversations each)`)
console.log('|---|---|---|---|---|---|')
for (const row of rows) console.log(row)
