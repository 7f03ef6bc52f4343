/**
 * Passes the pieces of an SSE body through, and writes `comment` whenever nothing was written for
 * `intervalMs` (a long thinking pause), so proxies that cut idle connections keep the stream open.
 */
export async function * withKeepAlive (source: AsyncGenerator<string>, intervalMs: number, comment: string): AsyncGenerator<string> {
  let pending = source.next()
  try {
    while (true) {
      let timer: NodeJS.Timeout | undefined
      const tick = new Promise<'tick'>((resolve) => { timer = setTimeout(() => resolve('tick'), intervalMs) })
      const result = await Promise.race([pending, tick])
      clearTimeout(timer)
      if (result === 'tick') {
        yield comment
        continue
      }
      if (result.done === true) return
      yield result.value
      pending = source.next()
    }
  } finally {
    await source.return(undefined)
  }
}
