// A request keeps the caller's well-formed x-request-id; anything else gets a fresh random id.
import { test } from 'tap'
import { requestIdFor } from '../../../lib/ops/request-id.js'

test('a well-formed incoming id is kept', async (t) => {
  for (const id of ['abcdefgh', 'req_01HX.trace-1:2', 'A'.repeat(64)]) t.equal(requestIdFor(id), id, id)
})

test('a missing, repeated, short, long or odd id is replaced by 96 random bits', async (t) => {
  for (const incoming of [undefined, ['abcdefgh', 'ijklmnop'], 'short', 'A'.repeat(65), 'has space1', 'bad\nline', 'x"quote"y']) {
    const id = requestIdFor(incoming)
    t.match(id, /^[0-9a-f]{24}$/, `replaced: ${JSON.stringify(incoming)}`)
  }
  t.not(requestIdFor(undefined), requestIdFor(undefined), 'fresh each time')
})
