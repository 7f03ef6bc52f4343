/**
 * The real Codex CLI (pinned in e2e-clients/) with its built-in OpenAI provider pointed at the
 * gateway (`openai_base_url`, a key saved by `codex login --with-api-key`): Codex then speaks
 * Responses WebSocket mode. A multi-turn `codex exec` with a tool call runs over one socket, with
 * no WebSocket errors and no fallback to HTTP.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { test, type Test as Tap } from 'tap'
import type { WebSocket } from 'ws'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'

const CODEX = resolve('e2e-clients/node_modules/.bin/codex')
const MODEL = 'claude-opus-4-7'

interface Run { code: number | null; output: string }

async function codex (home: string, args: string[], stdin?: string): Promise<Run> {
  const child = spawn(CODEX, args, {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, RUST_LOG: 'error', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  child.stdin.end(stdin ?? '')
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  const killer = setTimeout(() => child.kill('SIGKILL'), 150_000)
  const code = await new Promise<number | null>((done) => child.on('close', done))
  clearTimeout(killer)
  return { code, output }
}

/** The frames each socket carried, and the POSTs to /v1/responses (an HTTP fallback). */
interface Counted { sockets: Array<Array<Record<string, any>>>; posts: number }

async function builtInProvider (t: Tap, stub: AnthropicStub): Promise<{ home: string; counted: Counted }> {
  const counted: Counted = { sockets: [], posts: 0 }
  const countPosts = fp(async (fastify: FastifyInstance) => {
    fastify.addHook('onResponse', async (request) => { if (request.method === 'POST' && request.url.startsWith('/v1/responses')) counted.posts++ })
  })
  const gateway = await startGateway(stub.url, { config: { RETRY_COUNT: 1 }, extraPlugins: [countPosts] })
  gateway.app.websocketServer.on('connection', (socket: WebSocket) => {
    const frames: Array<Record<string, any>> = []
    counted.sockets.push(frames)
    socket.on('message', (data: Buffer) => { frames.push(JSON.parse(data.toString('utf8'))) })
  })
  const home = mkdtempSync(join(tmpdir(), 'claude2api-codex-ws-'))
  t.teardown(async () => {
    await gateway.close()
    rmSync(home, { recursive: true, force: true })
  })
  writeFileSync(join(home, 'config.toml'), [`model = "${MODEL}"`, `openai_base_url = "${gateway.url}/v1"`, 'model_reasoning_effort = "medium"', ''].join('\n'))
  const login = await codex(home, ['login', '--with-api-key'], `${CLIENT_KEY}\n`)
  t.equal(login.code, 0, `codex login --with-api-key exits 0 ${login.code === 0 ? '' : login.output}`)
  return { home, counted }
}

test('codex exec through the built-in provider: a tool call and the answer over one WebSocket', { timeout: 200_000 }, async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  stub.respondWith((request) => {
    if (request.path !== '/v1/messages') return undefined
    const results = request.body.messages.flatMap((message: { content: Array<{ type: string }> }) => message.content).filter((block: { type: string }) => block.type === 'tool_result')
    if (results.length === 0) return { content: [{ type: 'tool_use', id: 'toolu_ws_1', name: 'exec_command', input: { cmd: 'echo codex-ws-marker' } }] }
    return { content: [{ type: 'text', text: 'Done over the socket.' }] }
  })
  const { home, counted } = await builtInProvider(t, stub)
  const run = await codex(home, ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', 'Run echo'])
  if (run.code !== 0) t.comment(run.output)
  t.equal(run.code, 0, 'codex exits 0')
  t.match(run.output, /Done over the socket\./)
  t.notMatch(run.output, /websocket/i, 'no WebSocket error or reconnect line')
  t.notMatch(run.output, /reconnect/i)
  const upstream = stub.requests.filter((request) => request.path === '/v1/messages')
  t.equal(upstream.length, 2, 'two model turns')
  t.match(JSON.stringify(upstream[1].body.messages.at(-1)), /codex-ws-marker/, 'the shell output went back as the tool result')
  // Codex warms a socket up at start (generate:false) and drops it; the turn runs on its own socket.
  const turns = counted.sockets.filter((frames) => frames.some((frame) => frame.generate !== false))
  t.equal(turns.length, 1, 'one WebSocket carries every model turn')
  const [first, second] = turns[0]
  t.equal(turns[0].length, 2, 'two response.create frames on it')
  t.equal(second.previous_response_id !== undefined && second.previous_response_id !== null, true, 'the second continues the first by previous_response_id')
  t.same(second.input.map((item: { type: string }) => item.type), ['function_call_output'], 'and sends only the new item')
  t.equal(first.type, 'response.create')
  t.equal(counted.posts, 0, 'no fallback to HTTP')
})

test('with RESPONSES_WEBSOCKET=false Codex falls back to HTTP at once (426): no retries, no reconnects', { timeout: 200_000 }, async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'Hello over HTTP.' }] }))
  const gateway = await startGateway(stub.url, { config: { RETRY_COUNT: 1, RESPONSES_WEBSOCKET: false } })
  const home = mkdtempSync(join(tmpdir(), 'claude2api-codex-http-'))
  t.teardown(async () => {
    await gateway.close()
    rmSync(home, { recursive: true, force: true })
  })
  writeFileSync(join(home, 'config.toml'), [`model = "${MODEL}"`, `openai_base_url = "${gateway.url}/v1"`, ''].join('\n'))
  t.equal((await codex(home, ['login', '--with-api-key'], `${CLIENT_KEY}\n`)).code, 0)
  const run = await codex(home, ['exec', '--skip-git-repo-check', 'Say hello'])
  if (run.code !== 0) t.comment(run.output)
  t.equal(run.code, 0)
  t.match(run.output, /Hello over HTTP\./)
  // Codex notes the refused upgrade once, then uses HTTP straight away: no retries, no reconnects.
  t.ok((run.output.match(/failed to connect to Responses WebSocket/gi) ?? []).length <= 1, 'one refused upgrade at most')
  t.notMatch(run.output, /reconnect/i)
})
