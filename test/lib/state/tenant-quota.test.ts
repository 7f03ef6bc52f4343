import { test } from 'tap'
import { ResponseStore } from '../../../lib/responses/response-store.js'
import { MemoryStateStore } from '../../../lib/state/state-store.js'
import type { ResponseObject } from '../../../schemas/responses.js'

test('memory store: one owner filling its quota evicts only its own oldest entries', async (t) => {
  const state = new MemoryStateStore({ maxChars: 10_000, ownerMaxChars: 2_500 })
  await state.set('a:1', 'x'.repeat(100), 60, 'owner-a')
  for (let index = 0; index < 200; index++) await state.set(`b:${index}`, 'y'.repeat(100), 60, 'owner-b')
  t.equal(await state.get('a:1'), 'x'.repeat(100), 'the other owner\'s entry is still there')
  t.equal(await state.get('b:199'), 'y'.repeat(100), 'the newest entry of the busy owner is kept')
  t.equal(await state.get('b:0'), undefined, 'its oldest went')
  t.ok(state.ownerChars('owner-b') <= 2_500, `the busy owner stays within its quota (${state.ownerChars('owner-b')})`)
  await state.delete('b:199')
  t.ok(state.ownerChars('owner-b') <= 2_500 - 100, 'a delete gives the space back')
})

test('memory store: an entry larger than an owner\'s quota is not kept', async (t) => {
  const state = new MemoryStateStore({ maxChars: 10_000, ownerMaxChars: 1_000 })
  await state.set('a:small', 'x', 60, 'owner-a')
  await state.set('a:big', 'x'.repeat(2_000), 60, 'owner-a')
  t.equal(await state.get('a:big'), undefined)
  t.equal(await state.get('a:small'), 'x', 'and it pushed nothing out')
})

function response (id: string, metadata: Record<string, string> = {}): ResponseObject {
  return { id, object: 'response', created_at: 0, status: 'completed', model: 'm', output: [], metadata, previous_response_id: null } as unknown as ResponseObject
}

test('response store: a stored response larger than the cap is not stored; others of the caller are', async (t) => {
  const state = new MemoryStateStore({ maxChars: 100_000_000 })
  const store = new ResponseStore(state, 600, { maxResponseChars: 10_000 })
  await store.save('caller', { response: response('resp_small'), input: [{ id: 'msg_1', type: 'message', role: 'user', content: 'hi' }], thinking: {} })
  const saved = await store.save('caller', { response: response('resp_big'), input: [{ id: 'msg_2', type: 'message', role: 'user', content: 'x'.repeat(20_000) }], thinking: {} })
  t.equal(saved, false, 'the oversized one is refused')
  t.equal(await store.load('caller', 'resp_big'), undefined)
  t.ok(await store.load('caller', 'resp_small'), 'the small one is there')
})

test('response store: a caller\'s responses count against its own quota, not against another caller\'s', async (t) => {
  const state = new MemoryStateStore({ maxChars: 1_000_000, ownerMaxChars: 100_000 })
  const store = new ResponseStore(state, 600, { maxResponseChars: 50_000 })
  await store.save('victim', { response: response('resp_victim'), input: [{ id: 'msg_v', type: 'message', role: 'user', content: 'keep me' }], thinking: {} })
  const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`, 'm'.repeat(512)]))
  for (let index = 0; index < 100; index++) {
    await store.save('attacker', { response: response(`resp_${index}`, metadata), input: [{ id: `msg_${index}`, type: 'message', role: 'user', content: 'x'.repeat(20_000) }], thinking: {} })
  }
  t.ok(await store.load('victim', 'resp_victim'), 'the victim\'s response survived')
  t.ok((await store.findItems('victim', ['msg_v'])).has('msg_v'), 'and so did its item')
})

test('response store: each caller\'s stored responses are held to its own quota on any state store (Redis too)', async (t) => {
  // No quota in the state store itself, as with Redis: the response store keeps its own per caller.
  const state = new MemoryStateStore({ maxChars: 100_000_000 })
  const store = new ResponseStore(state, 600, { maxResponseChars: 50_000, callerQuotaChars: 100_000 })
  await store.save('victim', { response: response('resp_victim'), input: [{ id: 'msg_v', type: 'message', role: 'user', content: 'keep me' }], thinking: {} })
  for (let index = 0; index < 50; index++) {
    await store.save('attacker', { response: response(`resp_${index}`), input: [{ id: `msg_${index}`, type: 'message', role: 'user', content: 'x'.repeat(20_000) }], thinking: {} })
  }
  t.ok(await store.load('attacker', 'resp_49'), 'the newest is kept')
  t.equal(await store.load('attacker', 'resp_0'), undefined, 'the oldest went')
  t.equal((await store.findItems('attacker', ['msg_0'])).size, 0, 'and its items with it')
  let held = 0
  for (let index = 0; index < 50; index++) held += (await state.get(`responses:attacker:resp_${index}`))?.length ?? 0
  t.ok(held <= 100_000, `the caller holds at most its quota (${held} characters of responses)`)
  t.ok(await store.load('victim', 'resp_victim'), 'another caller is untouched')
})
