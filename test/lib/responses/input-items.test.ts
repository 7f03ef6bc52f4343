import t from 'tap'
import { pageOfItems } from '../../../lib/responses/input-items.js'

const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, type: 'message' }))

t.test('pages like OpenAI lists: newest first by default, after and before cursors', async (t) => {
  t.same(pageOfItems(items, { limit: 2 }), { object: 'list', data: [items[4], items[3]], first_id: 'e', last_id: 'd', has_more: true })
  t.same(pageOfItems(items, { limit: 2, after: 'd' }).data.map((item) => item.id), ['c', 'b'])
  t.same(pageOfItems(items, { limit: 2, after: 'b' }), { object: 'list', data: [items[0]], first_id: 'a', last_id: 'a', has_more: false })
  t.same(pageOfItems(items, { limit: 2, order: 'asc', before: 'e' }), { object: 'list', data: [items[2], items[3]], first_id: 'c', last_id: 'd', has_more: true })
  t.same(pageOfItems(items, { limit: 10, order: 'asc', before: 'c' }).data.map((item) => item.id), ['a', 'b'])
  t.same(pageOfItems([], {}), { object: 'list', data: [], first_id: null, last_id: null, has_more: false })
})

t.test('has_more says whether items lie beyond the page, on either side of a cursor', async (t) => {
  t.equal(pageOfItems(items, { limit: 2, order: 'asc', before: 'd' }).has_more, true, 'a lies before b, c')
  t.equal(pageOfItems(items, { limit: 2, order: 'asc', before: 'c' }).has_more, false, 'a, b is everything before c')
  t.same(pageOfItems(items, { limit: 2, order: 'asc', before: 'a' }), { object: 'list', data: [], first_id: null, last_id: null, has_more: false })
  t.same(pageOfItems(items, { limit: 2, before: 'zzz' }).data, [], 'an unknown before cursor: nothing')
  t.equal(pageOfItems(items, { limit: 3, after: 'e' }).has_more, true, 'd, c, b then a')
  t.equal(pageOfItems(items, { limit: 4, after: 'e' }).has_more, false)
  t.same(pageOfItems(items, { order: 'asc', after: 'b', before: 'e' }).data.map((item) => item.id), ['c', 'd'], 'between two cursors')
  t.equal(pageOfItems(items, { order: 'asc', after: 'b', before: 'e' }).has_more, true, 'before: items lie before the page')
  t.equal(pageOfItems(items, {}).data.length, 5, 'twenty by default')
  t.equal(pageOfItems([...items, ...items, ...items, ...items, ...items].map((item, index) => ({ ...item, id: `i${index}` })), {}).data.length, 20)
})
