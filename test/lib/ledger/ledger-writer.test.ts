import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { LedgerWriter, type LedgerWriterOptions } from '../../../lib/ledger/ledger-writer.js'
import type { LedgerRow, TeamsStore } from '../../../lib/store/teams-store.js'

function row (requestId: string): LedgerRow {
  return { at: 1, requestId, upstreamRequestId: null, client: null, group: null, protocol: 'chat', route: '/v1/chat/completions', requestedModel: null, upstreamModel: null, keyLabel: null, status: 200, errorType: null, uncachedInputTokens: 1, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0, outputTokens: 1, webSearchRequests: 0, costNanoUsd: 0, priceVersion: null, durationMs: 1, ttftMs: null, streamed: false, cacheOutcome: null }
}

/** A store that holds rows, and can be made to refuse writes. */
function fakeStore (): { store: TeamsStore, written: string[], batches: number[], down: { value: boolean } } {
  const written: string[] = []
  const batches: number[] = []
  const down = { value: false }
  const store = {
    insertLedgerRows: async (rows: LedgerRow[]) => {
      await sleep(1)
      if (down.value) throw new Error('connection refused')
      batches.push(rows.length)
      written.push(...rows.map((r) => r.requestId))
    }
  } as unknown as TeamsStore
  return { store, written, batches, down }
}

function options (events: string[], overrides: Partial<LedgerWriterOptions> = {}): LedgerWriterOptions {
  return {
    batchSize: 3,
    flushIntervalMs: 10,
    maxPending: 5,
    retryDelayMs: 10,
    onWriteError: (_error, pending) => events.push(`error ${pending}`),
    onDropped: (count) => events.push(`dropped ${count}`),
    onRecovered: (written) => events.push(`recovered ${written}`),
    ...overrides
  }
}

async function until (check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(5)
}

t.test('rows are written in batches without the caller waiting', async (t) => {
  const { store, written, batches } = fakeStore()
  const writer = new LedgerWriter(store, options([], { maxPending: 100 }))
  for (let i = 0; i < 7; i++) writer.add(row(`r${i}`))
  t.equal(written.length, 0, 'add returns before anything is written')
  await until(() => written.length === 7)
  t.same(written, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
  t.ok(batches.every((size) => size <= 3), 'no batch larger than the batch size')
  await writer.close()
})

t.test('while the store is down rows are kept, then written in order when it returns', async (t) => {
  const { store, written, down } = fakeStore()
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events))
  down.value = true
  writer.add(row('a'))
  writer.add(row('b'))
  await until(() => events.length > 0)
  t.match(events[0], /^error /)
  t.equal(writer.degraded, true)
  t.equal(writer.pendingRows, 2)
  down.value = false
  writer.add(row('c'))
  await until(() => written.length === 3)
  t.same(written, ['a', 'b', 'c'])
  t.ok(events.includes('recovered 3'))
  t.equal(writer.degraded, false)
  await writer.close()
})

t.test('a full retry buffer drops the oldest rows not being written and says how many', async (t) => {
  const { store, written, down } = fakeStore()
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events, { flushIntervalMs: 60_000, retryDelayMs: 60_000 }))
  down.value = true
  // The third row fills a batch, whose write (r0–r2) is under way while the rest arrive.
  for (let i = 0; i < 8; i++) writer.add(row(`r${i}`))
  t.same(events.filter((e) => e.startsWith('dropped')), ['dropped 1', 'dropped 1', 'dropped 1'])
  t.equal(writer.pendingRows, 5)
  await until(() => events.some((e) => e.startsWith('error')))
  down.value = false
  await writer.flush()
  t.same(written, ['r0', 'r1', 'r2', 'r6', 'r7'], 'the batch being written was kept; r3–r5 were dropped')
  await writer.close()
})

t.test('flush rejects while the store refuses, keeping the rows', async (t) => {
  const { store, down } = fakeStore()
  const writer = new LedgerWriter(store, options([], { flushIntervalMs: 60_000 }))
  down.value = true
  writer.add(row('x'))
  await t.rejects(writer.flush(), /did not accept/)
  t.equal(writer.pendingRows, 1)
  await writer.close()
})

t.test('a flush and a timed write never take the same rows twice', async (t) => {
  const written: string[] = []
  // A slow store: the timed write starts while the flush's write is still under way.
  const slow = { insertLedgerRows: async (rows: LedgerRow[]) => { await sleep(20); written.push(...rows.map((r) => r.requestId)) } } as unknown as TeamsStore
  const writer = new LedgerWriter(slow, options([], { flushIntervalMs: 1, maxPending: 100 }))
  writer.add(row('only'))
  const flushed = writer.flush()
  await sleep(40)
  await flushed
  await writer.flush()
  t.same(written, ['only'])
  await writer.close()
})
