import { test } from 'tap'
import { conversationAffinity, sessionIdFromHeaders } from '../../lib/core/affinity.js'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { cacheReadShare, LONG_SYSTEM, playConversation } from '../helpers/conversation.js'
import { authHeaders, CLIENT_KEY, postChat, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEYS = ['sk-ant-api03-affinity-a-1111111111111111', 'sk-ant-api03-affinity-b-2222222222222222', 'sk-ant-api03-affinity-c-3333333333333333', 'sk-ant-api03-affinity-d-4444444444444444']

async function setup (t: Tap, config: Record<string, unknown> = {}): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ promptCache: true })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: KEYS.join(','), ...config } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

test('the stub keeps prompt caches per key', async (t) => {
  const stub = await startAnthropicStub({ promptCache: true })
  t.teardown(() => stub.close())
  // About 1,500 tokens (the stub counts characters / 4): above Sonnet 4.6's minimum cacheable length of 1,024.
  const body = { model: 'claude-sonnet-4-6', max_tokens: 100, system: [{ type: 'text', text: 'x'.repeat(6000), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hi' }] }
  const ask = async (key: string): Promise<any> => await (await fetch(`${stub.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()
  const first = await ask(KEYS[0])
  t.equal(first.usage.cache_read_input_tokens, 0, 'first time: nothing to read')
  t.ok(first.usage.cache_creation_input_tokens > 1000, 'the prefix is written')
  t.equal((await ask(KEYS[0])).usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens, 'same key again: read back')
  t.equal((await ask(KEYS[1])).usage.cache_read_input_tokens, 0, 'another key has its own cache')
})

test('a four-turn conversation stays on one key and reads the cache from turn two on; round-robin reads nothing', async (t) => {
  const sticky = await setup(t)
  const withAffinity = await playConversation(sticky.gateway.url, sticky.stub, { turns: 4, topic: 'affinity' })
  t.same(withAffinity.map((turn) => turn.status), [200, 200, 200, 200])
  t.equal(new Set(withAffinity.map((turn) => turn.key)).size, 1, 'one key for the whole conversation')
  t.equal(withAffinity[0].cachedTokens, 0, 'turn 1 writes the cache')
  t.ok(withAffinity.slice(1).every((turn) => turn.cachedTokens > 0), 'turns 2 to 4 read it')

  const plain = await setup(t, { AFFINITY_TTL_SECONDS: 0 })
  const roundRobin = await playConversation(plain.gateway.url, plain.stub, { turns: 4, topic: 'affinity' })
  t.same(roundRobin.map((turn) => KEYS.indexOf(turn.key ?? '')), [0, 1, 2, 3], 'round-robin: a new key every turn')
  t.same(roundRobin.map((turn) => turn.cachedTokens), [0, 0, 0, 0], 'so no turn finds its prefix cached')
  t.ok(cacheReadShare(withAffinity) > cacheReadShare(roundRobin))
})

test('when the conversation\'s key cools down it moves to the next key and stays there', async (t) => {
  const { stub, gateway } = await setup(t)
  const first = await playConversation(gateway.url, stub, { turns: 1, topic: 'moving' })
  const original = first[0].key ?? ''
  stub.keyBehaviour.set(original, { kind: 'error', status: 429, type: 'rate_limit_error', message: 'rate limited', headers: { 'retry-after': '600' } })
  const rest = await playConversation(gateway.url, stub, { turns: 3, topic: 'moving' })
  const keys = rest.map((turn) => turn.key)
  t.same(rest.map((turn) => turn.status), [200, 200, 200])
  t.not(keys[0], original, 'turn 2 went to another key')
  t.same(keys, [keys[0], keys[0], keys[0]], 'and the conversation stayed on it')
})

test('new conversations are spread evenly over the keys', async (t) => {
  const { stub, gateway } = await setup(t)
  const counts = new Map<string, number>()
  for (let conversation = 0; conversation < 8; conversation++) {
    const [turn] = await playConversation(gateway.url, stub, { turns: 1, topic: `conversation ${conversation}` })
    counts.set(turn.key ?? '', (counts.get(turn.key ?? '') ?? 0) + 1)
  }
  t.same(KEYS.map((key) => counts.get(key)), [2, 2, 2, 2])
})

test('a session header or prompt_cache_key names the conversation even when the first turn differs', async (t) => {
  const { stub, gateway } = await setup(t)
  const keyFor = async (body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string | undefined> => {
    stub.reset()
    t.equal((await postChat(gateway.url, body, { ...authHeaders, ...headers })).status, 200)
    return stub.requests[0].key
  }
  const session = { 'x-claude-code-session-id': 'cc-session-42' }
  const one = await keyFor({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'first' }] }, session)
  const two = await keyFor({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'second' }] }, session)
  t.equal(one, two, 'x-claude-code-session-id')
  const three = await keyFor({ model: 'claude-sonnet-4-6', prompt_cache_key: 'codex-thread-7', messages: [{ role: 'user', content: 'third' }] })
  const four = await keyFor({ model: 'claude-sonnet-4-6', prompt_cache_key: 'codex-thread-7', messages: [{ role: 'user', content: 'fourth' }] })
  t.equal(three, four, 'prompt_cache_key')
  t.notOk(stub.requests[0].body.prompt_cache_key, 'prompt_cache_key is not sent upstream')
})

test('conversation names: explicit hints win; otherwise model, system, tools and first user turn, without cache breakpoints', async (t) => {
  const start = { model: 'm', system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }
  const later = { ...start, system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }], messages: [...start.messages, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'more' }] }
  t.equal(conversationAffinity({}, start), conversationAffinity({}, later), 'later turns of the conversation get the same name')
  t.not(conversationAffinity({}, start), conversationAffinity({}, { ...start, model: 'other' }), 'another model is another conversation')
  t.not(conversationAffinity({}, start), conversationAffinity({}, { ...start, messages: [{ role: 'user', content: 'bye' }] }))
  t.equal(conversationAffinity({ sessionId: 's1' }, start), conversationAffinity({ sessionId: 's1' }, { ...start, messages: [{ role: 'user', content: 'bye' }] }))
  t.match(conversationAffinity({ promptCacheKey: 'k' }, start), /^s:/)
  t.equal(sessionIdFromHeaders({ 'x-claude-code-session-id': ' abc ' }), 'abc')
  t.equal(sessionIdFromHeaders({ 'session-id': 'codex-1' }), 'codex-1')
  t.equal(sessionIdFromHeaders({}), undefined)
})

/** Four Messages turns sent as the Anthropic SDK sends them: no session header, the breakpoint on the newest message. */
async function playMessagesConversation (url: string, stub: AnthropicStub, topic: string): Promise<Array<{ key: string | undefined; cacheRead: number }>> {
  const history: Array<{ role: string; content: Array<Record<string, unknown>> }> = []
  const turns: Array<{ key: string | undefined; cacheRead: number }> = []
  for (let turn = 1; turn <= 4; turn++) {
    history.push({ role: 'user', content: [{ type: 'text', text: `${topic}: question ${turn}` }] })
    const messages = history.map((message, index) => index === history.length - 1 ? { ...message, content: [{ ...message.content[0], cache_control: { type: 'ephemeral' } }] } : message)
    const before = stub.requests.length
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 100, system: [{ type: 'text', text: LONG_SYSTEM }], messages })
    })
    const body = await response.json() as { content: Array<{ text: string }>; usage: { cache_read_input_tokens: number } }
    turns.push({ key: stub.requests.slice(before).at(-1)?.key, cacheRead: body.usage.cache_read_input_tokens })
    history.push({ role: 'assistant', content: [{ type: 'text', text: body.content[0].text }] })
  }
  return turns
}

test('a Messages conversation without a session header stays on one key, named by its start', async (t) => {
  const sticky = await setup(t)
  const withAffinity = await playMessagesConversation(sticky.gateway.url, sticky.stub, 'pass-through')
  t.equal(new Set(withAffinity.map((turn) => turn.key)).size, 1, 'one key for the four turns, though the breakpoint moves')
  t.ok(withAffinity.slice(1).every((turn) => turn.cacheRead > 0), 'turns 2 to 4 read the cache')
  t.equal(sticky.stub.requests.filter((request) => request.path === '/v1/messages').length, 4)

  const plain = await setup(t, { AFFINITY_TTL_SECONDS: 0 })
  const roundRobin = await playMessagesConversation(plain.gateway.url, plain.stub, 'pass-through')
  t.same(roundRobin.map((turn) => KEYS.indexOf(turn.key ?? '')), [0, 1, 2, 3], 'without affinity: a new key every turn')
})
