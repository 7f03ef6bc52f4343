import t from 'tap'
import { withKeepAlive } from '../../../lib/responses/keep-alive.js'

/** Up to `count` pieces of the body, '(end)' where it ended. */
async function take (body: AsyncGenerator<string>, count: number): Promise<Array<string | undefined>> {
  const pieces: Array<string | undefined> = []
  for (let step = 0; step < count; step++) {
    const result = await body.next()
    if (result.done === true) {
      pieces.push('(end)')
      break
    }
    pieces.push(result.value)
  }
  return pieces
}

t.test('the comment goes out while the source is silent, then the source\'s piece', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  async function * silent (): AsyncGenerator<string> {
    await gate
    yield 'late'
  }
  const body = withKeepAlive(silent(), 1, ': keep-alive\n\n')
  t.strictSame(await body.next(), { value: ': keep-alive\n\n', done: false }, 'the source has nothing yet')
  release()
  t.strictSame(await take(body, 3), ['late', '(end)'], 'then its piece, and the end')
})

t.test('every piece of a source that keeps talking passes through unchanged, and the body ends with it', async (t) => {
  async function * talking (): AsyncGenerator<string> {
    yield 'event: a\n\n'
    yield 'event: b\n\n'
  }
  t.strictSame(await take(withKeepAlive(talking(), 60_000, ': keep-alive\n\n'), 5), ['event: a\n\n', 'event: b\n\n', '(end)'])
})

t.test('a reader that stops early stops the source', async (t) => {
  let closed = false
  async function * endless (): AsyncGenerator<string> {
    try {
      yield 'one'
      yield 'two'
    } finally {
      closed = true
    }
  }
  const body = withKeepAlive(endless(), 60_000, ': keep-alive\n\n')
  t.strictSame(await body.next(), { value: 'one', done: false })
  await body.return(undefined)
  t.equal(closed, true, 'the source ran its finally block')
})
