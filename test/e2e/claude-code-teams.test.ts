// The real Claude Code CLI with a capped client key: the gateway's usage headers past 75 %, then
// the contract's refusal, whose sentence is what the CLI prints.
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { runClaude, RUN_LIMIT_MS, type ClaudeRun } from '../helpers/claude-code.js'
import { startGateway } from '../helpers/gateway.js'
import { NANO_PER_CENT, spendKey } from '../../lib/clients/limiter.js'

const ALICE = 'c2a-claude-code-capped-key-aaaaaaaaaaaaaaaaaaa'

t.setTimeout(RUN_LIMIT_MS * 3)

async function askClaude (baseUrl: string, home: string, prompt: string): Promise<ClaudeRun> {
  return await runClaude({ baseUrl, apiKey: ALICE, home, args: ['-p', prompt, '--model', 'claude-sonnet-4-6'] })
}

/** A pass-through proxy in front of the gateway that remembers the headers of each Messages answer the CLI received. */
async function recordingProxy (target: string): Promise<{ url: string; seen: Array<{ status: number; headers: http.IncomingHttpHeaders }>; close: () => Promise<void> }> {
  const seen: Array<{ status: number; headers: http.IncomingHttpHeaders }> = []
  const server = http.createServer((request, response) => {
    const upstream = http.request(target + (request.url ?? '/'), { method: request.method, headers: request.headers }, (answer) => {
      if (request.url?.startsWith('/v1/messages') === true && !request.url.startsWith('/v1/messages/count_tokens')) seen.push({ status: answer.statusCode ?? 0, headers: answer.headers })
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => response.destroy())
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, seen, close: async () => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())) } }
}

t.test('Claude Code with a capped key: warning headers, then the refusal it prints', async (t) => {
  const stub = await startAnthropicStub()
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-cc-teams-'))
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dataDir, CLIENTS: JSON.stringify([{ name: 'alice', key: ALICE, spend: { daily: 1000 } }]) } })
  const proxy = await recordingProxy(gateway.url)
  const home = mkdtempSync(join(tmpdir(), 'claude2api-cc-teams-'))
  t.teardown(async () => {
    await proxy.close()
    await gateway.close()
    await stub.close()
    rmSync(home, { recursive: true, force: true })
    rmSync(dataDir, { recursive: true, force: true })
  })
  const spend = async (cents: number): Promise<void> => {
    await gateway.app.teams.limiter.counters.add([{ key: spendKey('c:alice', 'daily', Date.now()), amount: cents * NANO_PER_CENT, ttlSeconds: 3 * 86400 }])
  }

  // $7.60 of $10 spent: past 75 %.
  await spend(760)
  const warned = await askClaude(proxy.url, home, 'Say hello')
  t.equal(warned.code, 0, warned.stderr.slice(0, 500))
  t.match(warned.stdout, /Hello from the stub\./)
  const answered = proxy.seen.filter((answer) => answer.status === 200)
  t.ok(answered.length > 0, 'the CLI was answered')
  for (const answer of answered) {
    t.equal(answer.headers['anthropic-ratelimit-unified-status'], 'allowed_warning')
    t.equal(answer.headers['anthropic-ratelimit-unified-representative-claim'], 'overage')
    t.equal(answer.headers['anthropic-ratelimit-unified-overage-surpassed-threshold'], '0.75')
  }

  // At the cap: refused before anything goes upstream.
  await spend(1000)
  const upstreamBefore = stub.requests.length
  const refused = await askClaude(proxy.url, home, 'Say hello again')
  t.not(refused.code, 0, 'the CLI reports a failure')
  const refusal = proxy.seen.at(-1)
  t.equal(refusal?.status, 429)
  t.equal(refusal?.headers['anthropic-ratelimit-unified-status'], 'rejected')
  t.equal(refusal?.headers['x-should-retry'], 'false')
  t.equal(stub.requests.filter((request) => request.path === '/v1/messages').length, stub.requests.slice(0, upstreamBefore).filter((request) => request.path === '/v1/messages').length, 'nothing went upstream')
  t.match(refused.stdout + refused.stderr, /You have reached the daily spend cap of \$10\.00 for client 'alice'; it resets at \S+Z, so wait until then or ask your gateway administrator to raise the cap\./, 'the CLI prints the gateway\'s sentence')
  t.comment(`CLI printed: ${(refused.stdout + refused.stderr).trim().slice(0, 400)}`)
})
