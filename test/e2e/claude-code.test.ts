// The real Claude Code CLI (e2e-clients/, pinned) in print mode against the gateway and the
// strict stub: a plain prompt, and a prompt the stub answers with a call of Claude Code's own
// Read tool, so that the tool result goes back through the gateway before the final answer, and one
// answered with a call of its ToolSearch, whose result carries a tool_reference block.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startAnthropicStub, type RecordedRequest, type StubReply } from '../helpers/anthropic-stub.js'
import { runClaude, RUN_LIMIT_MS, type ClaudeRun } from '../helpers/claude-code.js'
import { CLIENT_KEY, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'

const FILE_CONTENT = 'the e2e marker is 7-blue-herons'
const TOOL_PROMPT = 'Read the file notes.txt and tell me the marker'
const SEARCH_PROMPT = 'Load the WebFetch tool'

t.setTimeout(RUN_LIMIT_MS * 3)

/** Claude Code in print mode with JSON output and its Read tool allowed. */
async function askClaude (gatewayUrl: string, home: string, prompt: string): Promise<ClaudeRun> {
  return await runClaude({ baseUrl: gatewayUrl, apiKey: CLIENT_KEY, home, args: ['-p', prompt, '--output-format', 'json', '--model', 'claude-sonnet-4-6', '--allowedTools', 'Read'] })
}

function lastUserText (request: RecordedRequest): string {
  const last = request.body?.messages?.at(-1)
  if (typeof last?.content === 'string') return last.content
  return (last?.content ?? []).map((block: { type: string; text?: string }) => block.type === 'text' ? block.text ?? '' : '').join('')
}

function toolResultOf (request: RecordedRequest): string | undefined {
  const last = request.body?.messages?.at(-1)
  const result = Array.isArray(last?.content) ? last.content.find((block: { type: string }) => block.type === 'tool_result') : undefined
  if (!result) return undefined
  return typeof result.content === 'string' ? result.content : JSON.stringify(result.content)
}

t.test('Claude Code through the gateway', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  const home = mkdtempSync(join(tmpdir(), 'claude2api-cc-'))
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(home, { recursive: true, force: true })
  })
  const notes = join(home, 'notes.txt')
  writeFileSync(notes, FILE_CONTENT + '\n')

  stub.respondWith((request): StubReply | undefined => {
    if (request.path !== '/v1/messages') return undefined
    const result = toolResultOf(request)
    if (result?.includes('"tool_reference"') === true) return { content: [{ type: 'text', text: `Loaded: ${result.includes('"tool_name":"WebFetch"') ? 'WebFetch' : 'nothing'}` }] }
    if (result !== undefined) return { content: [{ type: 'text', text: `Done: ${result.includes('7-blue-herons') ? 'found 7-blue-herons' : 'marker missing'}` }] }
    if (lastUserText(request).includes(SEARCH_PROMPT)) {
      return {
        content: [
          { type: 'thinking', thinking: 'WebFetch is deferred; load it with ToolSearch.', signature: 'sig_cc_e2e_search_1' },
          { type: 'tool_use', id: 'toolu_cc_e2e_search', name: 'ToolSearch', input: { query: 'select:WebFetch' } }
        ]
      }
    }
    if (!lastUserText(request).includes(TOOL_PROMPT)) return undefined
    return {
      content: [
        { type: 'thinking', thinking: 'I should read the file with the Read tool.', signature: 'sig_cc_e2e_read_1' },
        { type: 'tool_use', id: 'toolu_cc_e2e_1', name: 'Read', input: { file_path: notes } }
      ]
    }
  })

  await t.test('a plain prompt', async (t) => {
    const run = await askClaude(gateway.url, home, 'Say hello')
    t.equal(run.code, 0, run.stderr.slice(0, 500))
    const result = JSON.parse(run.stdout) as { is_error: boolean; result: string }
    t.equal(result.is_error, false)
    t.equal(result.result, 'Hello from the stub.')
    const messages = stub.requests.filter((request) => request.path === '/v1/messages')
    t.ok(messages.length > 0)
    for (const request of messages) {
      t.equal(request.headers['anthropic-version'], '2023-06-01')
      t.ok(UPSTREAM_KEYS.includes(request.key ?? ''), 'a pool key upstream, never the client key')
    }
    t.ok(messages.some((request) => request.body?.stream === true), 'Claude Code streams')
    t.ok(messages[0]?.body?.tools?.some((tool: { defer_loading?: boolean }) => tool.defer_loading === true), 'the first request defers some tools (tool search)')
    t.equal(messages.length, 1, 'and it is answered: no refused first try, no retry without deferred tools')
  })

  await t.test('a prompt that makes Claude Code call its Read tool; the result goes back through the gateway', async (t) => {
    stub.requests.length = 0
    const run = await askClaude(gateway.url, home, TOOL_PROMPT)
    t.equal(run.code, 0, run.stderr.slice(0, 500))
    const result = JSON.parse(run.stdout) as { is_error: boolean; result: string; num_turns: number }
    t.equal(result.is_error, false)
    t.equal(result.result, 'Done: found 7-blue-herons')
    const withResult = stub.requests.find((request) => toolResultOf(request) !== undefined)
    t.ok(withResult, 'the tool result reached the upstream')
    t.match(withResult?.rawBody?.toString('utf8'), /"signature":"sig_cc_e2e_read_1"/, 'with the signed thinking sent back unchanged')
  })

  await t.test('a prompt that makes Claude Code load a deferred tool with ToolSearch; the tool_reference goes back through the gateway', async (t) => {
    stub.requests.length = 0
    const run = await askClaude(gateway.url, home, SEARCH_PROMPT)
    t.equal(run.code, 0, run.stderr.slice(0, 500))
    const result = JSON.parse(run.stdout) as { is_error: boolean; result: string }
    t.equal(result.is_error, false)
    t.equal(result.result, 'Loaded: WebFetch')
    const messages = stub.requests.filter((request) => request.path === '/v1/messages')
    t.equal(messages.length, 2, 'the call and its result, each answered on the first try')
    const withResult = messages.find((request) => toolResultOf(request) !== undefined)
    t.match(withResult?.body?.messages?.at(-1)?.content?.[0], { type: 'tool_result', tool_use_id: 'toolu_cc_e2e_search', content: [{ type: 'tool_reference', tool_name: 'WebFetch' }] })
    t.ok(withResult?.body?.tools?.some((tool: { name?: string; defer_loading?: boolean }) => tool.name === 'WebFetch' && tool.defer_loading === true), 'the referenced tool is defined, deferred')
  })
})
