import { checkCount, checkMetadata, LIMITS, partsIn } from '../core/request-limits.js'
import { clientText, invalidRequest } from '../errors.js'
import { inputItems, type InputItem } from './translate-input.js'

/** Stored items one request may name (item_reference, or a reasoning item given back by id). */
export const MAX_ITEM_REFERENCES = 256

/** Ids the gateway makes are `<prefix>_<hex>`; a client's own may also use `-`, `.` and `:`. */
const ITEM_ID = /^[A-Za-z0-9_.:-]{1,128}$/

interface BoundedRequest {
  input?: string | InputItem[]
  tools?: Array<Record<string, unknown>> | null
  metadata?: Record<string, string> | null
}

/**
 * Counts, ids and references of a Responses request, checked before anything is looked up or
 * translated. Returns the ids of the stored items it names, each once, in order.
 */
export function checkResponsesBounds (request: BoundedRequest): string[] {
  const items = inputItems(request.input)
  checkCount(items.length, LIMITS.items, 'input items', 'input')
  let parts = 0
  for (const item of items) parts += partsIn(item.content) + (Array.isArray(item.output) ? item.output.length : 0)
  checkCount(parts, LIMITS.contentParts, 'content parts', 'input')
  let tools = 0
  for (const tool of request.tools ?? []) tools += tool.type === 'namespace' && Array.isArray(tool.tools) ? tool.tools.length : 1
  checkCount(tools, LIMITS.tools, 'tools', 'tools')
  checkMetadata(request.metadata)
  return referencedIds(items)
}

function referencedIds (items: InputItem[]): string[] {
  const wanted = new Set<string>()
  items.forEach((item, index) => {
    if (item.id === undefined || item.id === null) return
    const param = `input[${index}].id`
    if (typeof item.id !== 'string' || !ITEM_ID.test(item.id)) throw invalidRequest(`${param} must be 1 to 128 characters of A-Z a-z 0-9 _ . : -`, param, 'invalid_item_id')
    if (item.type !== 'item_reference' && !(item.type === 'reasoning' && !item.encrypted_content)) return
    if (wanted.has(item.id)) throw invalidRequest(`${param}: item '${clientText(item.id)}' is referenced more than once`, param, 'duplicate_item_reference')
    wanted.add(item.id)
    if (wanted.size > MAX_ITEM_REFERENCES) throw invalidRequest(`input names more than ${MAX_ITEM_REFERENCES} stored items (item_reference, or reasoning without encrypted_content), the most accepted per request`, 'input', 'too_many_item_references')
  })
  return [...wanted]
}
