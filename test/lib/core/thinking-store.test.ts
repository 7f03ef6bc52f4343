import { test } from 'tap'
import type { ReasoningBlock } from '../../../lib/anthropic/types.js'
import { ThinkingStore } from '../../../lib/core/thinking-store.js'
import { MemoryStateStore } from '../../../lib/state/state-store.js'

const BLOCKS: ReasoningBlock[] = [{ type: 'thinking', thinking: 'why', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'opaque' }]

function store (): { thinking: ThinkingStore; state: MemoryStateStore } {
  const state = new MemoryStateStore({ maxChars: 1_000_000 })
  return { thinking: new ThinkingStore(state, 600), state }
}

test('a turn\'s blocks are found by any of its tool-call ids, for the same caller only', async (t) => {
  const { thinking } = store()
  await thinking.save('owner-a', ['call_1', 'call_2'], BLOCKS)
  const mine = await thinking.recall('owner-a', [['call_1', 'call_2']])
  t.same(mine.load(['call_1', 'call_2']), BLOCKS)
  const bySecondId = await thinking.recall('owner-a', [['call_2']])
  t.same(bySecondId.load(['call_2']), BLOCKS, 'a later id of the turn points to the blocks')
  const theirs = await thinking.recall('owner-b', [['call_1', 'call_2']])
  t.equal(theirs.load(['call_1', 'call_2']), undefined, 'another caller finds nothing under the same ids')
})

test('blocks are stored once per turn, with a TTL, and nothing is stored without blocks', async (t) => {
  const { thinking, state } = store()
  await thinking.save('o', ['call_1', 'call_2', 'call_3'], BLOCKS)
  t.equal(await state.get('thinking:o:call_1'), JSON.stringify(BLOCKS))
  t.equal(await state.get('thinking:o:call_3'), '@call_1')
  for (const id of ['call_1', 'call_2', 'call_3']) {
    const ttl = state.entry(`thinking:o:${id}`)?.ttlMs ?? 0
    // The cache reads its clock in whole milliseconds, so the time left may read a millisecond over.
    t.ok(ttl > 300_000 && ttl <= 600_001, `${id} expires after THINKING_TTL_SECONDS (600 s), not sooner or later (${ttl} ms)`)
  }
  await thinking.save('o', ['call_9'], [])
  t.equal(await state.get('thinking:o:call_9'), undefined)
})

test('unknown or malformed entries read as nothing', async (t) => {
  const { thinking, state } = store()
  await state.set('thinking:o:bad', 'not json', 60)
  const lookup = await thinking.recall('o', [['bad'], ['missing']])
  t.equal(lookup.load(['bad']), undefined)
  t.equal(lookup.load(['missing']), undefined)
  t.equal(lookup.load([]), undefined)
})

test('stored values that are not a non-empty list of blocks read as nothing', async (t) => {
  const { thinking, state } = store()
  await state.set('thinking:o:object', '{"type":"thinking","thinking":"x","signature":"s"}', 60)
  await state.set('thinking:o:empty', '[]', 60)
  await state.set('thinking:o:number', '5', 60)
  const lookup = await thinking.recall('o', [['object'], ['empty'], ['number']])
  for (const id of ['object', 'empty', 'number']) t.equal(lookup.load([id]), undefined, id)
})

test('a turn is found by any of its ids, even when the first one asked for is unknown', async (t) => {
  const { thinking } = store()
  await thinking.save('o', ['call_1', 'call_2'], BLOCKS)
  const lookup = await thinking.recall('o', [['call_unknown', 'call_2']])
  t.same(lookup.load(['call_unknown', 'call_2']), BLOCKS, 'the recall goes on to the next id')
  const direct = await thinking.recall('o', [['call_1']])
  t.same(direct.load(['call_never_recalled', 'call_1']), BLOCKS, 'the load goes on to the next id')
})

test('a turn without tool-call ids stores nothing', async (t) => {
  const writes: string[] = []
  const state = new MemoryStateStore({ maxChars: 1_000_000 })
  const recording = { kind: state.kind, connected: state.connected, maxValueChars: state.maxValueChars, get: async (key: string) => await state.get(key), getMany: async (keys: readonly string[]) => await state.getMany(keys), set: async (key: string, value: string, ttl: number) => { writes.push(key); await state.set(key, value, ttl) }, delete: async (key: string) => { await state.delete(key) }, close: async () => { await state.close() } }
  await new ThinkingStore(recording, 600).save('o', [], BLOCKS)
  t.same(writes, [])
})
