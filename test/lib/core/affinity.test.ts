// Which conversation a request belongs to: an explicit hint, else what every turn repeats.
import { test } from 'tap'
import { conversationAffinity, sessionIdFromHeaders } from '../../../lib/core/affinity.js'

const START = { model: 'claude-sonnet-4-6', system: 'Be brief.', tools: [{ name: 't' }], messages: [{ role: 'user', content: 'hi' }] }

test('the session id is read from Claude Code\'s and Codex\'s headers, in that order', async (t) => {
  t.equal(sessionIdFromHeaders({ 'x-claude-code-session-id': 'cc-1' }), 'cc-1')
  t.equal(sessionIdFromHeaders({ 'session-id': 'codex-dash' }), 'codex-dash')
  t.equal(sessionIdFromHeaders({ session_id: 'codex-underscore' }), 'codex-underscore')
  t.equal(sessionIdFromHeaders({ 'x-claude-code-session-id': 'cc-1', 'session-id': 'b', session_id: 'c' }), 'cc-1')
  t.equal(sessionIdFromHeaders({ 'session-id': 'b', session_id: 'c' }), 'b')
  t.equal(sessionIdFromHeaders({ session_id: ['first', 'second'] }), 'first', 'a repeated header: its first value')
  t.equal(sessionIdFromHeaders({ 'x-claude-code-session-id': '  padded  ' }), 'padded')
  t.equal(sessionIdFromHeaders({ 'x-claude-code-session-id': '   ', session_id: 'next' }), 'next', 'a blank header is skipped')
  t.equal(sessionIdFromHeaders({ 'x-other': 'x' }), undefined)
})

test('an explicit session id or cache key names the conversation, per model', async (t) => {
  const bySession = conversationAffinity({ sessionId: 'abc' }, START)
  t.match(bySession, /^s:[A-Za-z0-9_-]{22}$/)
  t.equal(conversationAffinity({ sessionId: 'abc' }, { model: START.model, messages: [] }), bySession, 'the content does not matter')
  t.not(conversationAffinity({ sessionId: 'abc' }, { ...START, model: 'claude-opus-4-6' }), bySession, 'the model does')
  t.not(conversationAffinity({ sessionId: 'abd' }, START), bySession)
  t.equal(conversationAffinity({ promptCacheKey: 'abc' }, START), bySession, 'a prompt cache key counts like a session id')
  t.equal(conversationAffinity({ sessionId: 'abc', promptCacheKey: 'zzz' }, START), bySession, 'the session id wins')
  t.match(conversationAffinity({ sessionId: '' }, START), /^c:/, 'an empty hint is no hint')
  const long = 'x'.repeat(512)
  t.equal(conversationAffinity({ sessionId: long + 'tail-1' }, START), conversationAffinity({ sessionId: long + 'tail-2' }, START), 'only the first 512 characters count')
  t.not(conversationAffinity({ sessionId: long.slice(1) + 'y' }, START), conversationAffinity({ sessionId: long }, START))
})

test('without a hint: model, system, tools and first user turn name it, cache breakpoints left out', async (t) => {
  const base = conversationAffinity({}, START)
  t.match(base, /^c:[A-Za-z0-9_-]{22}$/)
  t.equal(conversationAffinity({}, { ...START, messages: [...START.messages, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'more' }] }), base, 'later turns do not matter')
  t.equal(conversationAffinity({}, { ...START, messages: [{ role: 'assistant', content: 'prefix' }, ...START.messages] }), base, 'the first user turn is what counts')
  t.equal(conversationAffinity({}, { ...START, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }] }), conversationAffinity({}, { ...START, system: [{ type: 'text', text: 'Be brief.' }] }), 'cache_control is left out')
  for (const change of [{ model: 'other' }, { system: 'Be long.' }, { tools: [] }, { messages: [{ role: 'user', content: 'bye' }] }]) {
    t.not(conversationAffinity({}, { ...START, ...change }), base, `changed ${Object.keys(change)[0]}`)
  }
  t.equal(conversationAffinity({}, { model: 'm', messages: [] }), conversationAffinity({}, { model: 'm', system: null, tools: null, messages: [{ role: 'assistant', content: 'a' }] }), 'absent parts read as null')
})
