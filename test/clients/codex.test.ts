/**
 * The real Codex CLI (pinned in e2e-clients/) in `codex exec` mode through the gateway, with a
 * provider block in a throw-away CODEX_HOME. A recording proxy between Codex and the gateway
 * shows what Codex sends back (store:false, reasoning replayed as encrypted_content).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test, type Test as Tap } from 'tap'
import { startAnthropicStub, type AnthropicStub, type RecordedRequest } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway } from '../helpers/gateway.js'

const CODEX = resolve('e2e-clients/node_modules/.bin/codex')
const MODEL = 'claude-opus-4-7'

interface Run { code: number | null; output: string; sent: Array<Record<string, any>> }

/** Forwards every request to the gateway unchanged and keeps the JSON bodies Codex sent. */
async function recordingProxy (target: string, sent: Array<Record<string, any>>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (body.length > 0 && req.headers['content-encoding'] === undefined) sent.push(JSON.parse(body.toString('utf8')))
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>
      void fetch(target + (req.url ?? ''), { method: req.method, headers, body: body.length > 0 ? body : undefined }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        for await (const chunk of answer.body ?? []) res.write(chunk)
        res.end()
      }, () => res.destroy())
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function runCodex (t: Tap, stub: AnthropicStub, prompt: string): Promise<Run> {
  const gateway = await startGateway(stub.url, { config: { RETRY_COUNT: 1 } })
  const sent: Array<Record<string, any>> = []
  const proxy = await recordingProxy(gateway.url, sent)
  const home = mkdtempSync(join(tmpdir(), 'claude2api-codex-'))
  t.teardown(async () => {
    proxy.server.closeAllConnections()
    await new Promise((done) => proxy.server.close(done))
    await gateway.close()
    rmSync(home, { recursive: true, force: true })
  })
  writeFileSync(join(home, 'config.toml'), [
    `model = "${MODEL}"`,
    'model_provider = "claude2api"',
    'model_reasoning_effort = "medium"',
    'model_reasoning_summary = "auto"',
    '',
    '[model_providers.claude2api]',
    'name = "claude2api"',
    `base_url = "${proxy.url}/v1"`,
    'env_key = "CLAUDE2API_KEY"',
    'wire_api = "responses"',
    ''
  ].join('\n'))
  const child = spawn(CODEX, ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', prompt], {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, CLAUDE2API_KEY: CLIENT_KEY, RUST_LOG: 'error', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  const killer = setTimeout(() => child.kill('SIGKILL'), 150_000)
  const code = await new Promise<number | null>((done) => child.on('close', done))
  clearTimeout(killer)
  return { code, output, sent: sent.filter((body) => body.input !== undefined) }
}

function messagesTo (stub: AnthropicStub): RecordedRequest[] {
  return stub.requests.filter((request) => request.path === '/v1/messages')
}

test('codex exec: a plain prompt is answered through the gateway', { timeout: 200_000 }, async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'Hello from Claude via the gateway.' }] }))
  const run = await runCodex(t, stub, 'Say hello')
  if (run.code !== 0) t.comment(run.output)
  t.equal(run.code, 0, 'codex exits 0')
  t.match(run.output, /Hello from Claude via the gateway\./)
  t.equal(run.sent[0].stream, true)
  t.equal(run.sent[0].store, false)
  t.ok(run.sent[0].tools.some((tool: { type: string }) => tool.type === 'namespace'), 'Codex offers a namespace tool')
  const upstream = messagesTo(stub)[0].body
  t.equal(upstream.model, MODEL)
  t.same(upstream.thinking, { type: 'adaptive', display: 'summarized' })
  t.equal(upstream.output_config.effort, 'medium')
  t.ok(upstream.tools.some((tool: { name: string }) => tool.name === 'exec_command'), "Codex's shell tool is offered to Claude")
})

test('codex exec: Claude calls the shell tool and a namespaced tool; outputs and sealed reasoning come back and are accepted', { timeout: 200_000 }, async (t) => {
  const stub = await startAnthropicStub()
  t.teardown(async () => { await stub.close() })
  stub.respondWith((request) => {
    if (request.path !== '/v1/messages') return undefined
    const results = request.body.messages.flatMap((message: { content: Array<{ type: string }> }) => message.content).filter((block: { type: string }) => block.type === 'tool_result')
    if (results.length === 0) {
      return { content: [{ type: 'thinking', thinking: 'I should run echo.', signature: 'sig-codex-e2e-1' }, { type: 'tool_use', id: 'toolu_codex_1', name: 'exec_command', input: { cmd: 'echo codex-e2e-marker' } }] }
    }
    if (results.length === 1) {
      return { content: [{ type: 'thinking', thinking: 'Now the agent tool.', signature: 'sig-codex-e2e-2' }, { type: 'tool_use', id: 'toolu_codex_2', name: 'multi_agent_v1__close_agent', input: { target: 'no-such-agent' } }] }
    }
    return { content: [{ type: 'text', text: 'All done.' }] }
  })
  const run = await runCodex(t, stub, 'Run echo')
  if (run.code !== 0) t.comment(run.output)
  t.equal(run.code, 0, 'codex exits 0')
  t.match(run.output, /All done\./)
  t.match(run.output, /I should run echo\./, 'the reasoning summary is shown')

  const upstream = messagesTo(stub)
  t.equal(upstream.length, 3, 'three turns, none refused by the stub')
  const second = upstream[1].body.messages
  t.same(second.at(-2).content[0], { type: 'thinking', thinking: 'I should run echo.', signature: 'sig-codex-e2e-1' }, 'the tool turn goes back with its thinking first')
  t.match(second.at(-1).content[0].content, /codex-e2e-marker/, 'the shell output goes back as the tool result')
  const third = upstream[2].body.messages
  t.equal(third.at(-2).content[1].name, 'multi_agent_v1__close_agent')
  t.match(third.at(-1).content[0].content, /invalid agent id no-such-agent/, "Codex ran the namespaced call with its own agent tool (it parsed the id) rather than calling it unknown")

  const replayed = run.sent[1].input as Array<Record<string, any>>
  const reasoning = replayed.find((item) => item.type === 'reasoning')
  t.match(reasoning?.encrypted_content, /^c2a1\./, 'Codex replays the sealed reasoning')
  const call = run.sent[2].input.find((item: { type: string; name?: string }) => item.type === 'function_call' && item.name === 'close_agent')
  t.equal(call?.namespace, 'multi_agent_v1', 'the namespaced call was handed to Codex as name + namespace, and replayed so')
})
