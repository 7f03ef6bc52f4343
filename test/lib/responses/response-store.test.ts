// Stored responses per caller: replayed oldest first, items found by id, one tenant never
// reaching or disturbing another's.
import { test } from 'tap'
import type { ReasoningBlock } from '../../../lib/anthropic/types.js'
import { ResponseStore, withIds, type StoredResponse } from '../../../lib/responses/response-store.js'
import type { InputItem } from '../../../lib/responses/translate-input.js'
import { MemoryStateStore } from '../../../lib/state/state-store.js'
import type { ResponseObject } from '../../../schemas/responses.js'

function stored (id: string, previous: string | null, input: InputItem[], output: InputItem[], thinking: Record<string, ReasoningBlock[]> = {}): StoredResponse {
  const response = { id, object: 'response', status: 'completed', previous_response_id: previous, output } as unknown as ResponseObject
  return { response, input, thinking }
}

function message (id: string, role: string, text: string): InputItem {
  return { id, type: 'message', role, content: text }
}

function fresh (): { store: ResponseStore; state: MemoryStateStore } {
  const state = new MemoryStateStore({ maxChars: 1_000_000 })
  return { store: new ResponseStore(state, 600), state }
}

test('a previous_response_id chain is replayed oldest first: each response\'s input, then its output', async (t) => {
  const { store } = fresh()
  await store.save('alice', stored('resp_1', null, [message('msg_1', 'user', 'one')], [message('msg_2', 'assistant', 'two')], { rs_1: [{ type: 'thinking', thinking: 'a', signature: 's1' }] }))
  await store.save('alice', stored('resp_2', 'resp_1', [message('msg_3', 'user', 'three')], [message('msg_4', 'assistant', 'four')]))
  await store.save('alice', stored('resp_3', 'resp_2', [message('msg_5', 'user', 'five')], [message('msg_6', 'assistant', 'six')], { rs_3: [{ type: 'redacted_thinking', data: 'x' }] }))
  const conversation = await store.conversation('alice', 'resp_3')
  t.same(conversation.items.map((item) => item.id), ['msg_1', 'msg_2', 'msg_3', 'msg_4', 'msg_5', 'msg_6'])
  t.same([...conversation.thinking.entries()], [['rs_1', [{ type: 'thinking', thinking: 'a', signature: 's1' }]], ['rs_3', [{ type: 'redacted_thinking', data: 'x' }]]], 'thinking of every response in the chain')
  t.same((await store.conversation('alice', 'resp_1')).items.map((item) => item.id), ['msg_1', 'msg_2'], 'a chain of one')
})

test('a chain with a missing or foreign link is refused with previous_response_not_found', async (t) => {
  const { store } = fresh()
  await store.save('alice', stored('resp_1', null, [message('msg_1', 'user', 'one')], []))
  await store.save('alice', stored('resp_2', 'resp_gone', [message('msg_2', 'user', 'two')], []))
  await t.rejects(store.conversation('alice', 'resp_2'), { status: 400, param: 'previous_response_id', code: 'previous_response_not_found', message: /resp_gone/ })
  await t.rejects(store.conversation('bob', 'resp_1'), { status: 400, code: 'previous_response_not_found' }, 'another caller\'s response is not found')
})

test('a chain longer than 1000 responses is refused rather than walked', async (t) => {
  const { store } = fresh()
  for (let index = 0; index <= 1000; index++) await store.save('alice', stored(`resp_${index}`, index === 0 ? null : `resp_${index - 1}`, [], []))
  t.equal((await store.conversation('alice', 'resp_999')).items.length, 0, '1000 responses are walked')
  await t.rejects(store.conversation('alice', 'resp_1000'), { status: 400, param: 'previous_response_id', message: /1000/ })
})

test('an item is found by id among the caller\'s own responses only, whoever saved the same id later', async (t) => {
  const { store } = fresh()
  await store.save('alice', stored('resp_a', null, [message('msg_shared', 'user', 'alice wrote this')], [message('msg_out', 'assistant', 'to alice')]))
  await store.save('bob', stored('resp_b', null, [message('msg_shared', 'user', 'bob wrote this')], []))
  const alice = await store.findItems('alice', ['msg_shared', 'msg_out', 'msg_none'])
  t.equal(alice.get('msg_shared')?.item.content, 'alice wrote this', 'alice still finds her own item')
  t.equal(alice.get('msg_out')?.item.content, 'to alice', 'output items are found too')
  t.notOk(alice.has('msg_none'))
  const bob = await store.findItems('bob', ['msg_shared', 'msg_out'])
  t.equal(bob.get('msg_shared')?.item.content, 'bob wrote this')
  t.notOk(bob.has('msg_out'), 'not by another caller')
})

test('load and delete are per caller; a deleted response is gone', async (t) => {
  const { store } = fresh()
  await store.save('alice', stored('resp_1', null, [message('msg_1', 'user', 'one')], []))
  t.equal((await store.load('alice', 'resp_1'))?.response.id, 'resp_1')
  t.equal(await store.load('bob', 'resp_1'), undefined)
  t.equal(await store.delete('bob', 'resp_1'), false, 'another caller cannot delete it')
  t.equal((await store.load('alice', 'resp_1'))?.response.id, 'resp_1')
  t.equal(await store.delete('alice', 'resp_1'), true)
  t.equal(await store.load('alice', 'resp_1'), undefined)
  t.equal(await store.delete('alice', 'resp_1'), false)
})

test('entries expire after the configured time', async (t) => {
  const state = new MemoryStateStore({ maxChars: 1_000_000 })
  const store = new ResponseStore(state, 0.001)
  await store.save('alice', stored('resp_1', null, [message('msg_1', 'user', 'one')], []))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await store.load('alice', 'resp_1'), undefined)
  t.notOk((await store.findItems('alice', ['msg_1'])).has('msg_1'))
})

test('input items get ids: msg_ for messages, item_ for the rest; given ids are kept', async (t) => {
  const items = withIds([{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'c', output: 'x' }, { id: 'msg_keep', type: 'message', role: 'user', content: 'x' }, { id: '', type: 'reasoning' }])
  t.match(items[0], { type: 'message', role: 'user', content: 'hi', id: /^msg_/ })
  t.match(items[1], { type: 'function_call_output', id: /^item_/ })
  t.same(items[2], { id: 'msg_keep', type: 'message', role: 'user', content: 'x' })
  t.match(items[3], { type: 'reasoning', id: /^item_/ })
  t.not(items[0].id, withIds([{ role: 'user', content: 'hi' }])[0].id, 'fresh ids')
})

test('a response larger than the state store shares between instances is not stored, rather than stored where no instance can read it', async (t) => {
  const state = Object.assign(new MemoryStateStore({ maxChars: 1_000_000 }), { maxValueChars: 2000 })
  const store = new ResponseStore(state, 600)
  t.equal(await store.save('alice', stored('resp_big', null, [message('msg_1', 'user', 'x'.repeat(2500))], [])), false, 'over the shared bound')
  await t.rejects(store.conversation('alice', 'resp_big'), { code: 'previous_response_not_found' })
  t.equal(await store.save('alice', stored('resp_small', null, [message('msg_2', 'user', 'x'.repeat(1000))], [])), true, 'under it')
})
