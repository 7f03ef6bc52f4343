// With a model alias, the client sees the id it asked for, however the upstream's bytes are cut.
import { test } from 'tap'
import { echoRequestedModel } from '../../../lib/messages/model-echo.js'

async function * chunksOf (pieces: string[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield Buffer.from(piece)
}

async function echoed (pieces: string[], upstream = 'claude-upstream-1', requested = 'my-alias'): Promise<string> {
  const out: Buffer[] = []
  for await (const chunk of echoRequestedModel(chunksOf(pieces), upstream, requested)) out.push(chunk)
  return Buffer.concat(out).toString()
}

const ANSWER = '{"id":"msg_1","type":"message","model":"claude-upstream-1","content":[{"type":"text","text":"model is claude-upstream-1"}]}'
const EXPECTED = '{"id":"msg_1","type":"message","model":"my-alias","content":[{"type":"text","text":"model is claude-upstream-1"}]}'

test('the first model field is swapped for the requested id, wherever the answer is cut into two chunks', async (t) => {
  t.equal(await echoed([ANSWER]), EXPECTED, 'one chunk')
  for (let cut = 1; cut < ANSWER.length; cut++) {
    const got = await echoed([ANSWER.slice(0, cut), ANSWER.slice(cut)])
    if (got !== EXPECTED) {
      t.equal(got, EXPECTED, `cut at ${cut}`)
      return
    }
  }
  t.pass('every cut gives the requested id')
})

test('an answer cut into single bytes still gets the requested id, and later mentions pass untouched', async (t) => {
  const stream = 'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-upstream-1"}}\n\nevent: ping\ndata: {"model":"claude-upstream-1"}\n\n'
  const got = await echoed([...stream])
  t.equal(got, stream.replace('"model":"claude-upstream-1"', '"model":"my-alias"'))
})

test('an answer without the model field passes unchanged, held bytes included', async (t) => {
  t.equal(await echoed(['{"type":"error","error":{"type":"overloaded_error"}}']), '{"type":"error","error":{"type":"overloaded_error"}}')
  t.equal(await echoed(['{"mod', 'el":"other"}']), '{"model":"other"}')
})

test('past the first 64 KiB the model is no longer looked for', async (t) => {
  const filler = 'x'.repeat(70 * 1024)
  const late = `{"pad":"${filler}","model":"claude-upstream-1"}`
  t.equal(await echoed([late.slice(0, 70 * 1024), late.slice(70 * 1024)]), late)
})

async function echoedChunks (pieces: string[]): Promise<string[]> {
  const out: string[] = []
  for await (const chunk of echoRequestedModel(chunksOf(pieces), 'claude-upstream-1', 'my-alias')) out.push(chunk.toString())
  return out
}

test('a model field that begins before 64 KiB and ends after it is still swapped', async (t) => {
  const head = `{"pad":"${'x'.repeat(64 * 1024 - 20)}",`
  const answer = `${head}"model":"claude-upstream-1"}`
  const cut = 64 * 1024
  t.ok(answer.indexOf('"model"') < cut && answer.indexOf('"model"') + 27 > cut, 'the field straddles the 64 KiB mark')
  t.equal(await echoed([answer.slice(0, cut), answer.slice(cut)]), `${head}"model":"my-alias"}`)
})

test('only the bytes that could begin the model field are held back; the rest goes on at once', async (t) => {
  const first = '{"id":"msg_1","type":"message","content":[],'
  const out = await echoedChunks([first, '"model":"claude-upstream-1"}'])
  const wanted = '"model":"claude-upstream-1"'
  t.same(out, [first.slice(0, first.length - (wanted.length - 1)), first.slice(first.length - (wanted.length - 1)) + '"model":"my-alias"}'])
})

test('no empty chunk is passed on, and an empty answer yields nothing', async (t) => {
  t.same(await echoedChunks([]), [])
  t.same(await echoedChunks(['']), [])
  const out = await echoedChunks([...'{"type":"message","model":"claude-upstream-1"}'])
  t.equal(out.join(''), '{"type":"message","model":"my-alias"}')
  t.ok(out.every((chunk) => chunk.length > 0), 'every chunk holds bytes')
})
