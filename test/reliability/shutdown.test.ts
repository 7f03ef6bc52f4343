import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, CLIENT_KEY, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const SERVER_SCRIPT = fileURLToPath(new URL('../../server.js', import.meta.url))
const WORDS = 30

interface RunningServer { url: string; child: ChildProcess; exit: Promise<{ code: number | null; at: number }>; output: () => string }

/** Runs `node dist/server.js` in an empty directory, so only the given environment configures it. */
async function startServer (t: Tap, stub: AnthropicStub, graceMs: number): Promise<RunningServer> {
  const port = await freePort()
  const cwd = mkdtempSync(join(tmpdir(), 'claude2api-shutdown-'))
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    cwd,
    env: { PATH: process.env.PATH, ANTHROPIC_API_KEYS: UPSTREAM_KEYS.join(','), APIKEY: CLIENT_KEY, ANTHROPIC_BASE_URL: stub.url, ADDRESS: `127.0.0.1:${port}`, SHUTDOWN_GRACE_MS: String(graceMs) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(cwd, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 60000 // generous: CI machines can be busy; nothing here measures speed
  while (!(await isUp(url)) && Date.now() < until && child.exitCode === null) await sleep(50)
  if (!(await isUp(url))) throw new Error(`the server did not start:\n${output}`)
  return { url, child, exit, output: () => output }
}

async function isUp (url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok
  } catch {
    return false
  }
}

/** Whether a new TCP connection to the server is refused. */
async function connectionRefused (url: string): Promise<boolean> {
  const { port } = new URL(url)
  return await new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

interface StreamReader { firstChunk: Promise<void>; result: Promise<{ text: string; endedAt: number; error?: string }> }

/** Streams a chat completion over its own connection, keeping what arrived even if the connection breaks. */
function openStream (url: string): StreamReader {
  let markFirst: () => void = () => {}
  const firstChunk = new Promise<void>((resolve) => { markFirst = resolve })
  const result = new Promise<{ text: string; endedAt: number; error?: string }>((resolve) => {
    let text = ''
    const done = (error?: string): void => resolve({ text, endedAt: Date.now(), error })
    const outgoing = request(`${url}/v1/chat/completions`, { method: 'POST', headers: authHeaders, agent: false }, (response: IncomingMessage) => {
      response.setEncoding('utf8')
      response.on('data', (piece: string) => {
        text += piece
        if (text.includes('"content":"word')) markFirst()
      })
      response.on('end', () => done())
      response.on('error', (error) => done(error.message))
      response.on('aborted', () => done('aborted'))
    })
    outgoing.on('error', (error) => done(error.message))
    outgoing.end(JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Talk slowly' }], stream: true }))
  })
  return { firstChunk, result }
}

function contentOf (text: string): string {
  return text.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)).choices?.[0]?.delta?.content ?? '').join('')
}

async function slowStub (t: Tap, eventDelayMs: number): Promise<AnthropicStub> {
  const stub = await startAnthropicStub({ eventDelayMs, chunkSize: 5 })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'word '.repeat(WORDS) }] }))
  t.teardown(() => stub.close())
  return stub
}

test('SIGTERM: new connections are refused, the running stream finishes completely, exit code 0', async (t) => {
  const stub = await slowStub(t, 60)
  const server = await startServer(t, stub, 10000)
  const stream = openStream(server.url)
  await stream.firstChunk
  server.child.kill('SIGTERM')

  let refused = false
  for (let attempt = 0; attempt < 50 && !refused; attempt++) {
    await sleep(20)
    refused = await connectionRefused(server.url)
  }
  const refusedAt = Date.now()
  t.ok(refused, 'a new connection is refused once shutdown began')

  const { text, endedAt, error } = await stream.result
  t.equal(error, undefined, 'the stream was not broken')
  t.ok(refusedAt < endedAt, 'connections were refused while the stream was still running')
  t.equal(contentOf(text), 'word '.repeat(WORDS), 'the whole answer arrived')
  t.ok(text.endsWith('data: [DONE]\n\n'), 'ending with [DONE]')
  const exit = await server.exit
  t.equal(exit.code, 0, 'exit code 0')
  t.ok(exit.at >= endedAt, 'the process waited for the stream')
})

test('SIGTERM with a stream longer than the grace period: the process still exits 0 after the grace', async (t) => {
  const graceMs = 500
  const stub = await slowStub(t, 200)
  const server = await startServer(t, stub, graceMs)
  const stream = openStream(server.url)
  await stream.firstChunk
  const signalledAt = Date.now()
  server.child.kill('SIGTERM')
  const exit = await Promise.race([server.exit, sleep(graceMs + 5000, undefined, { ref: false }).then(() => ({ code: null, at: Infinity }))])
  const { text } = await stream.result
  t.comment(`exited ${exit.at - signalledAt} ms after SIGTERM (grace ${graceMs} ms)`)
  t.equal(exit.code, 0, 'exit code 0')
  t.ok(exit.at - signalledAt >= graceMs, 'the stream had its grace period')
  t.ok(exit.at - signalledAt < graceMs + 3000, 'and not much more')
  t.notOk(text.includes('[DONE]'), 'the cut stream does not look complete')
  t.match(server.output(), /grace period over/)
})

test('a second SIGTERM during the grace period cuts the remaining streams at once; exit code 0', async (t) => {
  const graceMs = 20000
  const stub = await slowStub(t, 200)
  const server = await startServer(t, stub, graceMs)
  const stream = openStream(server.url)
  await stream.firstChunk
  server.child.kill('SIGTERM')
  await sleep(200)
  t.equal(server.child.exitCode, null, 'the first signal let the stream run')
  const secondAt = Date.now()
  server.child.kill('SIGTERM')
  const exit = await Promise.race([server.exit, sleep(5000, undefined, { ref: false }).then(() => ({ code: null, at: Infinity }))])
  const { text } = await stream.result
  t.comment(`exited ${exit.at - secondAt} ms after the second SIGTERM`)
  t.equal(exit.code, 0, 'exit code 0')
  t.ok(exit.at - secondAt < 3000, 'without waiting for the grace period')
  t.notOk(text.includes('[DONE]'), 'the cut stream does not look complete')
})
