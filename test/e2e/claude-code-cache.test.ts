// The real Claude Code CLI run twice in one session (--session-id, nothing saved in between, a
// different prompt each time) against the gateway with one upstream key and the stub's prompt
// cache. Claude Code 2.1.332 with an API key opens its system prompt with an attribution block,
// `x-anthropic-billing-header: cc_version=2.1.332.<suffix>; cc_entrypoint=sdk-cli;`, with no
// breakpoint of its own and no `cch=` in this mode; the suffix follows the conversation's first
// prompt. Another first prompt in the same session changes system[0], ahead of every breakpoint:
// the upstream reads nothing and the gateway says so at the block. CLAUDE_CODE_ATTRIBUTION_HEADER=0
// leaves the block out, and the second run reads the tools and system prompt the first one wrote.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { LedgerRow } from '../../lib/store/teams-store.js'
import { startAnthropicStub, type RecordedRequest } from '../helpers/anthropic-stub.js'
import { RUN_LIMIT_MS, runClaude } from '../helpers/claude-code.js'
import { authHeaders, CLIENT_KEY, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { sample, scrape } from '../helpers/metrics.js'
import { eventually } from '../helpers/redis.js'

const SESSION = '3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f'
const ATTRIBUTION = 'x-anthropic-billing-header'
const ATTRIBUTION_MISS = 'miss_prefix_changed; at=system[0] (Claude Code attribution block)'

t.setTimeout(RUN_LIMIT_MS * 5)

interface SystemBlock { type: string; text: string; cache_control?: unknown }

interface TwoRuns {
  /** The request of each run that the upstream answered (each run's last; the CLI retries a refused one first). */
  first: RecordedRequest
  second: RecordedRequest
  /** The ledger rows of the answered requests, in order. */
  answered: LedgerRow[]
  outcomes: (outcome: string) => number
}

/** Two Claude Code runs of one session with different prompts, through a gateway with one upstream key. */
async function twoRunsOfOneSession (t: Test, env: Record<string, string>): Promise<TwoRuns> {
  const stub = await startAnthropicStub({ promptCache: true })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: UPSTREAM_KEYS[0] } })
  const home = mkdtempSync(join(tmpdir(), 'claude2api-cc-cache-'))
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(home, { recursive: true, force: true })
  })
  const rows: LedgerRow[] = []
  gateway.app.ledger.onRecorded((row) => { rows.push(row) })
  const lastMessagesRequest = (): RecordedRequest | undefined => stub.requests.filter((request) => request.path === '/v1/messages').at(-1)

  const answeredRequests: RecordedRequest[] = []
  for (const prompt of ['Say hello', 'Say goodbye']) {
    const run = await runClaude({ baseUrl: gateway.url, apiKey: CLIENT_KEY, home, env, args: ['-p', prompt, '--output-format', 'json', '--model', 'claude-sonnet-4-6', '--session-id', SESSION, '--no-session-persistence'] })
    t.equal(run.code, 0, run.stderr.slice(0, 500))
    const result = JSON.parse(run.stdout) as { is_error: boolean; result: string; session_id: string }
    t.same({ is_error: result.is_error, result: result.result, session_id: result.session_id }, { is_error: false, result: 'Hello from the stub.', session_id: SESSION })
    const last = lastMessagesRequest()
    if (last === undefined) throw new Error('no Messages request reached the upstream')
    answeredRequests.push(last)
  }
  await eventually(() => rows.filter((row) => row.status === 200).length === 2, 'both answered requests are in the ledger')
  const metrics = await scrape(gateway.app, authHeaders)
  return {
    first: answeredRequests[0],
    second: answeredRequests[1],
    answered: rows.filter((row) => row.status === 200),
    outcomes: (outcome) => metrics.get(sample('claude2api_cache_outcomes_total', { outcome })) ?? 0
  }
}

function systemOf (request: RecordedRequest): SystemBlock[] {
  return request.body.system as SystemBlock[]
}

t.test('Claude Code\'s attribution block changes with the first prompt: the second run misses at system[0]', async (t) => {
  const { first, second, answered, outcomes } = await twoRunsOfOneSession(t, {})
  const [before, after] = [systemOf(first), systemOf(second)]
  t.ok(before[0].text.startsWith(ATTRIBUTION) && after[0].text.startsWith(ATTRIBUTION), 'both runs open the system prompt with the attribution block')
  t.not(after[0].text, before[0].text, 'whose text differs between the runs')
  t.equal(before[0].cache_control, undefined, 'it carries no breakpoint itself')
  t.ok(before.slice(1).some((block) => block.cache_control !== undefined), 'the system blocks after it do')
  t.same(after.slice(1), before.slice(1), 'the rest of the system prompt is the same')
  t.same(second.body.tools, first.body.tools, 'and so are the tools')

  t.same(answered.map((row) => row.cacheOutcome), ['first_write', ATTRIBUTION_MISS])
  t.equal(answered[1].cacheReadTokens, 0, 'the upstream read nothing of the first run\'s cache')
  t.ok(answered[1].cacheWrite5mTokens > 0, 'and wrote the whole prefix again')
  t.same({ first_write: outcomes('first_write'), miss_prefix_changed: outcomes('miss_prefix_changed'), hit: outcomes('hit') }, { first_write: 1, miss_prefix_changed: 1, hit: 0 })
})

t.test('with CLAUDE_CODE_ATTRIBUTION_HEADER=0 the block is gone and the second run reads the cache', async (t) => {
  const { first, second, answered, outcomes } = await twoRunsOfOneSession(t, { CLAUDE_CODE_ATTRIBUTION_HEADER: '0' })
  for (const request of [first, second]) t.notOk(systemOf(request).some((block) => block.text.startsWith(ATTRIBUTION)), 'no attribution block')
  t.same(systemOf(second), systemOf(first), 'the system prompt is the same in both runs')
  t.same(second.body.tools, first.body.tools)

  t.same(answered.map((row) => row.cacheOutcome), ['first_write', 'hit'])
  t.ok(answered[1].cacheReadTokens > 0, 'the upstream read the first run\'s tools and system prompt')
  t.same({ first_write: outcomes('first_write'), miss_prefix_changed: outcomes('miss_prefix_changed'), hit: outcomes('hit') }, { first_write: 1, miss_prefix_changed: 0, hit: 1 })
})
