/** Every answer says why its prompt cache was or was not read: x-claude2api-cache and claude2api_cache_outcomes_total. */
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { authHeaders, CLIENT_KEY, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'
import { parseMetrics, sample } from '../helpers/metrics.js'

const MODEL = 'claude-sonnet-4-6'
const LONG = 'You are a careful assistant for this project. '.repeat(120)

interface Answer { status: number; cache: string | null; usage: { cache_creation_input_tokens: number; cache_read_input_tokens: number } }

/** One Messages request in a Claude Code session (the session header keeps it on one key). */
async function send (url: string, session: string, body: Record<string, unknown>): Promise<Answer> {
  const answer = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': session },
    body: JSON.stringify({ model: MODEL, max_tokens: 64, ...body })
  })
  const { usage } = await answer.json() as Pick<Answer, 'usage'>
  return { status: answer.status, cache: answer.headers.get('x-claude2api-cache'), usage }
}

const user = (text: string): Record<string, unknown> => ({ role: 'user', content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }] })

test('each cache outcome is named on the answer and counted', async (t) => {
  const stub = await startAnthropicStub({ promptCache: true })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: UPSTREAM_KEYS.join(',') } })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const ask = async (session: string, body: Record<string, unknown>): Promise<string | null> => {
    const answer = await send(gateway.url, session, body)
    t.equal(answer.status, 200)
    return answer.cache
  }
  const system = [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }]
  const turn1 = [user('first question')]
  // Only the messages carry breakpoints here, so an edit leaves nothing earlier to read.
  const plain = [{ type: 'text', text: `Session one. ${LONG}` }]
  t.equal(await ask('s1', { system: plain, messages: turn1 }), 'first_write', 'a new prefix is written')
  const turn2 = [...turn1, { role: 'assistant', content: 'an answer' }, user('second question')]
  t.equal(await ask('s1', { system: plain, messages: turn2 }), 'hit', 'the same prefix on the same key is read')
  const edited = [user('first question, edited'), ...turn2.slice(1)]
  t.equal(await ask('s1', { system: plain, messages: edited }), 'miss_prefix_changed; at=messages[0]', 'an edited earlier message is named')

  t.equal(await ask('s2', { messages: [{ role: 'user', content: 'no breakpoint anywhere' }] }), 'not_cacheable', 'nothing asks for caching')

  const attributed = (cch: string): Record<string, unknown> => ({ system: [{ type: 'text', text: `x-anthropic-billing-header: cc_version=2.1.0; cc_entrypoint=cli; cch=${cch};` }, ...system], messages: turn1 })
  t.equal(await ask('s3', attributed('a1b2c')), 'first_write')
  t.equal(await ask('s3', attributed('d3e4f')), 'miss_prefix_changed; at=system[0] (Claude Code attribution block)', 'Claude Code\'s per-request attribution block is named')

  const own = [{ type: 'text', text: `Session four. ${LONG}`, cache_control: { type: 'ephemeral' } }]
  t.equal(await ask('s4', { system: own, messages: [user('another conversation')] }), 'first_write')
  const used = stub.requests.at(-1)!.key!
  gateway.app.keyPool.coolDown(gateway.app.keyPool.withSecret(used)!, 60)
  t.equal(await ask('s4', { system: own, messages: [user('another conversation'), { role: 'assistant', content: 'ok' }, user('more')] }), 'miss_key_switch', 'its key cooling, the session moved and the cache stayed behind')

  const metrics = parseMetrics(await (await fetch(`${gateway.url}/metrics`, { headers: authHeaders })).text())
  const counted = (outcome: string): number => metrics.get(sample('claude2api_cache_outcomes_total', { outcome })) ?? 0
  t.same({ hit: counted('hit'), first_write: counted('first_write'), miss_prefix_changed: counted('miss_prefix_changed'), not_cacheable: counted('not_cacheable'), miss_key_switch: counted('miss_key_switch') },
    { hit: 1, first_write: 3, miss_prefix_changed: 2, not_cacheable: 1, miss_key_switch: 1 })
})

test('a prompt below the model\'s minimum cacheable length is not_cacheable on every turn; a long one is written, then read', async (t) => {
  const stub = await startAnthropicStub({ promptCache: true })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: UPSTREAM_KEYS.join(',') } })
  t.teardown(async () => { await gateway.close(); await stub.close() })
  const twoTurns = async (session: string, system: string): Promise<Answer[]> => {
    const turn1 = [user('What does this project do?')]
    const turn2 = [...turn1, { role: 'assistant', content: 'It answers questions.' }, user('And how?')]
    const system_ = [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }]
    return [await send(gateway.url, session, { system: system_, messages: turn1 }), await send(gateway.url, session, { system: system_, messages: turn2 })]
  }

  // Well under Sonnet 4.6's 1,024 tokens: Anthropic neither writes nor reads it, and says nothing.
  const short = await twoTurns('short', 'Be brief.')
  t.same(short.map((answer) => answer.status), [200, 200])
  t.same(short.map((answer) => answer.cache), ['not_cacheable', 'not_cacheable'], 'breakpoints on a short prompt cache nothing, turn after turn')
  t.same(short.map((answer) => [answer.usage.cache_creation_input_tokens, answer.usage.cache_read_input_tokens]), [[0, 0], [0, 0]])

  const long = await twoTurns('long', LONG)
  t.same(long.map((answer) => answer.cache), ['first_write', 'hit'], 'the same conversation with a long system prompt')
  t.ok(long[0].usage.cache_creation_input_tokens >= 1024, 'the first turn writes the prefix')
  t.ok(long[1].usage.cache_read_input_tokens >= 1024, 'the second reads it')
})
