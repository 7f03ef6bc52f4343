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
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events, { maxPending: 100 }))
  for (let i = 0; i < 7; i++) writer.add(row(`r${i}`))
  t.equal(written.length, 0, 'add returns before anything is written')
  await until(() => written.length === 7)
  t.same(written, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
  t.ok(batches.every((size) => size <= 3), 'no batch larger than the batch size')
  t.same(events, [], 'a store that never failed is never reported as recovered')
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

/** A store whose writes finish (or fail) only when the test says so, to see exactly what the writer does meanwhile. */
function heldStore (): { store: TeamsStore, calls: string[][], finish: (error?: Error) => Promise<void> } {
  const calls: string[][] = []
  const waiting: Array<{ resolve: () => void, reject: (error: Error) => void }> = []
  const store = {
    insertLedgerRows: async (rows: LedgerRow[]) => {
      calls.push(rows.map((r) => r.requestId))
      await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }))
    }
  } as unknown as TeamsStore
  const finish = async (error?: Error): Promise<void> => {
    const next = waiting.shift()
    if (!next) throw new Error('no write is waiting')
    if (error) next.reject(error)
    else next.resolve()
    // Let the writer's continuation run.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  }
  return { store, calls, finish }
}

const quiet = { flushIntervalMs: 60_000, retryDelayMs: 60_000 }

t.test('a full batch is written at once; a partial one waits', async (t) => {
  const { store, calls, finish } = heldStore()
  const writer = new LedgerWriter(store, options([], { ...quiet, maxPending: 100 }))
  writer.add(row('a'))
  writer.add(row('b'))
  t.same(calls, [], 'two of three: no write yet')
  writer.add(row('c'))
  t.same(calls, [['a', 'b', 'c']], 'the third row starts the write')
  await finish()
  t.equal(writer.pendingRows, 0)
  await writer.close()
})

t.test('rows that fill a batch during a write follow it without waiting for the timer', async (t) => {
  const { store, calls, finish } = heldStore()
  const writer = new LedgerWriter(store, options([], { ...quiet, batchSize: 2, maxPending: 100 }))
  for (const id of ['a', 'b', 'c', 'd']) writer.add(row(id))
  t.same(calls, [['a', 'b']])
  await finish()
  t.same(calls, [['a', 'b'], ['c', 'd']], 'exactly a batch was left: written straight away')
  writer.add(row('e'))
  await finish()
  t.same(calls, [['a', 'b'], ['c', 'd']], 'a partial batch left after it waits')
  t.equal(writer.pendingRows, 1)
  const flushed = writer.flush()
  await finish()
  await flushed
  t.same(calls, [['a', 'b'], ['c', 'd'], ['e']])
  await writer.close()
})

t.test('a partial batch goes in after the flush interval', async (t) => {
  const { store, written } = fakeStore()
  const writer = new LedgerWriter(store, options([], { flushIntervalMs: 1, retryDelayMs: 60_000 }))
  writer.add(row('lonely'))
  await until(() => written.length === 1)
  t.same(written, ['lonely'])
  await writer.close()
})

t.test('a failed write is reported with its error and what is pending, and retried after the retry delay by itself', async (t) => {
  const { store, written, down } = fakeStore()
  const errors: string[] = []
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events, { batchSize: 1, flushIntervalMs: 60_000, retryDelayMs: 5, onWriteError: (error, pending) => errors.push(`${(error as Error).message} ${pending}`) }))
  down.value = true
  writer.add(row('a'))
  await until(() => errors.length > 0)
  t.same(errors[0], 'connection refused 1')
  t.equal(writer.degraded, true)
  down.value = false
  await until(() => written.length === 1)
  t.same(written, ['a'], 'no new row was needed to retry')
  t.same(events, ['recovered 1'], 'recovery is reported once, with the rows of the batch that went in')
  t.equal(writer.degraded, false)
  await writer.close()
})

t.test('while the store is down, a full batch waits for the retry delay instead of retrying at once', async (t) => {
  let attempts = 0
  const failing = { insertLedgerRows: async () => { attempts++; throw new Error('down') } } as unknown as TeamsStore
  const writer = new LedgerWriter(failing, options([], { batchSize: 2, flushIntervalMs: 1, retryDelayMs: 60_000, maxPending: 100 }))
  writer.add(row('a'))
  await until(() => attempts === 1)
  await sleep(5)
  t.equal(writer.degraded, true)
  writer.add(row('b'))
  writer.add(row('c'))
  await sleep(30)
  t.equal(attempts, 1, 'neither the full batch nor the flush interval brought the next attempt forward')
  t.equal(writer.pendingRows, 3)
  await writer.close()
})

t.test('the buffer holds exactly its bound; past it the oldest go first', async (t) => {
  const { store, written } = fakeStore()
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events, { ...quiet, batchSize: 10, maxPending: 3 }))
  for (const id of ['a', 'b', 'c']) writer.add(row(id))
  t.same(events, [], 'full, nothing dropped')
  writer.add(row('d'))
  t.same(events, ['dropped 1'])
  await writer.flush()
  t.same(written, ['b', 'c', 'd'])
  await writer.close()
})

t.test('after a failed write no row counts as in flight: the oldest is the one dropped', async (t) => {
  const { store, written, down } = fakeStore()
  const events: string[] = []
  const writer = new LedgerWriter(store, options(events, { ...quiet, batchSize: 2, maxPending: 3 }))
  down.value = true
  writer.add(row('a'))
  writer.add(row('b'))
  await until(() => events.length > 0)
  writer.add(row('c'))
  writer.add(row('d'))
  t.same(events, ['error 2', 'dropped 1'])
  down.value = false
  await writer.flush()
  t.same(written, ['b', 'c', 'd'])
  await writer.close()
})

t.test('rows added while a flush writes are written by it too, and do not make it fail', async (t) => {
  const { store, calls, finish } = heldStore()
  const writer = new LedgerWriter(store, options([], { ...quiet, batchSize: 5, maxPending: 100 }))
  writer.add(row('a'))
  let done = false
  const flushed = writer.flush().then(() => { done = true })
  t.same(calls, [['a']])
  writer.add(row('b'))
  writer.add(row('c'))
  await finish()
  t.same(calls, [['a'], ['b', 'c']])
  t.equal(done, false, 'still writing the later rows')
  await finish()
  await flushed
  t.equal(writer.pendingRows, 0)
  await writer.close()
})

t.test('a flush that starts during a write waits for it, then writes what is left', async (t) => {
  const { store, calls, finish } = heldStore()
  const writer = new LedgerWriter(store, options([], { ...quiet, batchSize: 2, maxPending: 100 }))
  writer.add(row('a'))
  writer.add(row('b'))
  writer.add(row('c'))
  const flushed = writer.flush()
  t.same(calls, [['a', 'b']], 'no second write overlaps the first')
  await finish()
  t.same(calls, [['a', 'b'], ['c']])
  await finish()
  await flushed
  await writer.close()
})

t.test('close waits for the write under way and cancels the timer; later rows wait for a flush', async (t) => {
  const { store, calls, finish } = heldStore()
  const writer = new LedgerWriter(store, options([], { batchSize: 1, flushIntervalMs: 1, retryDelayMs: 1, maxPending: 100 }))
  writer.add(row('a'))
  let closed = false
  const closing = writer.close().then(() => { closed = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(closed, false, 'the write of a is still under way')
  await finish()
  await closing
  writer.add(row('b'))
  await sleep(30)
  t.same(calls, [['a']], 'nothing is written on a timer once closed')
  t.equal(writer.pendingRows, 1)
  const flushed = writer.flush()
  await finish()
  await flushed
  t.same(calls, [['a'], ['b']], 'the shutdown flush writes it')
})

t.test('close cancels the timed write already scheduled, however many rows asked for it', async (t) => {
  const { store, written } = fakeStore()
  const writer = new LedgerWriter(store, options([], { flushIntervalMs: 10, retryDelayMs: 10 }))
  writer.add(row('a'))
  writer.add(row('b'))
  await writer.close()
  await sleep(40)
  t.same(written, [])
  t.equal(writer.pendingRows, 2)
  await writer.flush()
  t.same(written, ['a', 'b'])
})

t.test('once closed, a failed flush does not schedule retries', async (t) => {
  let attempts = 0
  const failing = { insertLedgerRows: async () => { attempts++; throw new Error('down') } } as unknown as TeamsStore
  const writer = new LedgerWriter(failing, options([], { flushIntervalMs: 1, retryDelayMs: 1 }))
  await writer.close()
  writer.add(row('a'))
  await t.rejects(writer.flush(), /did not accept/)
  await sleep(30)
  t.equal(attempts, 1)
})
