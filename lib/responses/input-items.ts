import type { InputItemsPage, InputItemsQuery } from '../../schemas/responses.js'
import type { InputItem } from './translate-input.js'

/** One page of a stored response's input items, the way OpenAI pages its lists. */
export function pageOfItems (items: InputItem[], query: InputItemsQuery): InputItemsPage {
  const ordered = query.order === 'asc' ? items : [...items].reverse()
  const limit = query.limit ?? 20
  let start = 0
  let end = ordered.length
  if (query.after !== undefined) start = ordered.findIndex((item) => item.id === query.after) + 1
  if (query.before !== undefined) {
    const position = ordered.findIndex((item) => item.id === query.before)
    end = position < 0 ? 0 : position
    start = Math.max(start, end - limit)
  }
  const data = ordered.slice(start, Math.min(end, start + limit))
  const hasMore = query.before !== undefined ? start > 0 : start + data.length < end
  return { object: 'list', data, first_id: (data[0]?.id as string | undefined) ?? null, last_id: (data.at(-1)?.id as string | undefined) ?? null, has_more: hasMore }
}
