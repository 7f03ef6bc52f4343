import type { ReasoningBlock } from '../anthropic/types.js'
import type { StateStore } from '../state/state-store.js'
import type { ResponseObject } from '../../schemas/responses.js'
import { clientText, invalidRequest } from '../errors.js'
import { newId } from './ids.js'
import type { InputItem } from './translate-input.js'

/** What is kept of one response: the response, its input items (each with an id) and its thinking blocks. */
export interface StoredResponse {
  response: ResponseObject
  input: InputItem[]
  /** Thinking blocks of the response's reasoning items, by item id; never shown to clients. */
  thinking: Record<string, ReasoningBlock[]>
}

export interface Conversation { items: InputItem[]; thinking: Map<string, ReasoningBlock[]> }

/** previous_response_id chains longer than this are refused rather than walked. */
const MAX_CHAIN = 1000
/** Largest stored response (its JSON, input and output together); a larger one is answered but not kept. */
export const MAX_STORED_RESPONSE_CHARS = 16 * 1024 * 1024
/** Stored items are parsed this many characters at a time, the event loop getting a turn between batches. */
const PARSE_BATCH_CHARS = 1024 * 1024

/** One stored item, kept on its own so a reference reads it without the rest of its response. */
export interface StoredItem { item: InputItem; thinking?: ReasoningBlock[] }

/** What one caller's stored responses may hold in all, on any state store (Redis keeps no per-caller bound itself). */
export const CALLER_QUOTA_CHARS = 64 * 1024 * 1024
/** Responses one caller's ledger lists at most; older ones are let go. */
const MAX_LEDGER_ENTRIES = 10_000

export interface ResponseStoreOptions {
  maxResponseChars?: number
  callerQuotaChars?: number
}

/** One stored response in its caller's ledger: id, characters held (response and items), item ids. */
type LedgerEntry = [id: string, chars: number, itemIds: string[]]

/**
 * Responses kept on the shared state store, per caller: every key holds the caller's identity
 * (a digest of its key), so one tenant can neither read nor continue another's responses.
 * Entries expire after the configured time; the memory store also drops the oldest when full.
 */
export class ResponseStore {
  private readonly maxResponseChars: number
  private readonly callerQuotaChars: number

  constructor (private readonly state: StateStore, private readonly ttlSeconds: number, options: ResponseStoreOptions = {}) {
    // A response the state store cannot share (over 4 MiB on Redis) would be found by no instance.
    this.maxResponseChars = Math.min(options.maxResponseChars ?? MAX_STORED_RESPONSE_CHARS, state.maxValueChars)
    this.callerQuotaChars = options.callerQuotaChars ?? CALLER_QUOTA_CHARS
  }

  /**
   * Stores the response and each of its items on its own, under the caller's quota: the caller's
   * own oldest responses make room, nobody else's. False when it is too large to keep at all.
   */
  async save (identity: string, stored: StoredResponse): Promise<boolean> {
    const text = JSON.stringify(stored)
    if (text.length > this.maxResponseChars) return false
    const items = [...stored.input, ...(stored.response.output as InputItem[])].filter((item) => typeof item.id === 'string')
    const entries = items.map((item) => {
      const id = item.id as string
      const entry: StoredItem = stored.thinking[id] ? { item, thinking: stored.thinking[id] } : { item }
      return [id, JSON.stringify(entry)] as const
    })
    const chars = entries.reduce((sum, [, value]) => sum + value.length, text.length)
    if (chars > this.callerQuotaChars) return false
    await this.makeRoom(identity, [stored.response.id, chars, entries.map(([id]) => id)])
    await this.state.set(this.responseKey(identity, stored.response.id), text, this.ttlSeconds, identity)
    await Promise.all(entries.map(async ([id, value]) => { await this.state.set(this.itemKey(identity, id), value, this.ttlSeconds, identity) }))
    return true
  }

  /**
   * The caller's ledger with `added` at its end, after deleting the caller's oldest responses
   * until everything fits its quota. Concurrent saves of one caller may each miss the other's
   * entry; such an entry is then not counted, and still expires with its TTL.
   */
  private async makeRoom (identity: string, added: LedgerEntry): Promise<void> {
    const key = this.ledgerKey(identity)
    const ledger = parseLedger(await this.state.get(key))
    ledger.push(added)
    let total = ledger.reduce((sum, [, chars]) => sum + chars, 0)
    let drop = 0
    while (drop < ledger.length - 1 && (total > this.callerQuotaChars || ledger.length - drop > MAX_LEDGER_ENTRIES)) total -= ledger[drop++][1]
    const gone = ledger.splice(0, drop)
    await Promise.all(gone.flatMap(([id, , itemIds]) => [this.responseKey(identity, id), ...itemIds.map((itemId) => this.itemKey(identity, itemId))]).map(async (stale) => { await this.state.delete(stale) }))
    await this.state.set(key, JSON.stringify(ledger), this.ttlSeconds, identity)
  }

  async load (identity: string, id: string): Promise<StoredResponse | undefined> {
    const text = await this.state.get(this.responseKey(identity, id))
    return text === undefined ? undefined : JSON.parse(text) as StoredResponse
  }

  async delete (identity: string, id: string): Promise<boolean> {
    const found = await this.load(identity, id)
    if (!found) return false
    await this.state.delete(this.responseKey(identity, id))
    // Its items go with it: a reference to one of them finds nothing afterwards.
    const itemIds = [...found.input, ...(found.response.output as InputItem[])].flatMap((item) => typeof item.id === 'string' ? [item.id] : [])
    await Promise.all(itemIds.map(async (itemId) => { await this.state.delete(this.itemKey(identity, itemId)) }))
    return true
  }

  /**
   * Stored items (input or output of any of the caller's responses) by id, read in one round
   * trip, each entry on its own. What they add up to is bounded by `maxChars` (a 400 above it),
   * and parsing gives the event loop a turn between batches.
   */
  async findItems (identity: string, itemIds: readonly string[], maxChars = Infinity): Promise<Map<string, StoredItem>> {
    const values = await this.state.getMany(itemIds.map((id) => this.itemKey(identity, id)))
    let total = 0
    for (const value of values) total += value?.length ?? 0
    if (total > maxChars) throw invalidRequest(`The stored items this request references add up to ${total} characters, more than the ${maxChars} a request may carry`, 'input', 'item_references_too_large')
    const found = new Map<string, StoredItem>()
    const pause = new BatchPause()
    for (const [index, value] of values.entries()) {
      if (value === undefined || !value.startsWith('{')) continue
      found.set(itemIds[index], JSON.parse(value) as StoredItem)
      await pause.after(value.length)
    }
    await this.findLegacyItems(identity, itemIds, values, found)
    return found
  }

  /** Item entries written before items were stored on their own hold their response's id: each such response is read and parsed once. */
  private async findLegacyItems (identity: string, itemIds: readonly string[], values: Array<string | undefined>, found: Map<string, StoredItem>): Promise<void> {
    const byResponse = new Map<string, string[]>()
    values.forEach((value, index) => {
      if (value !== undefined && !value.startsWith('{')) byResponse.set(value, [...(byResponse.get(value) ?? []), itemIds[index]])
    })
    for (const [responseId, wanted] of byResponse) {
      const stored = await this.load(identity, responseId)
      if (!stored) continue
      for (const item of [...stored.input, ...(stored.response.output as InputItem[])]) {
        const id = item.id
        if (typeof id === 'string' && wanted.includes(id)) found.set(id, stored.thinking[id] ? { item, thinking: stored.thinking[id] } : { item })
      }
    }
  }

  /** The whole conversation up to and including `id`: each response's input, then its output, oldest first. */
  async conversation (identity: string, id: string): Promise<Conversation> {
    const chain: StoredResponse[] = []
    const pause = new BatchPause()
    for (let next: string | null = id; next !== null; next = chain.at(-1)?.response.previous_response_id ?? null) {
      if (chain.length >= MAX_CHAIN) throw invalidRequest(`previous_response_id chains are limited to ${MAX_CHAIN} responses`, 'previous_response_id')
      const text = await this.state.get(this.responseKey(identity, next))
      const stored = text === undefined ? undefined : JSON.parse(text) as StoredResponse
      await pause.after(text?.length ?? 0)
      if (!stored) throw invalidRequest(`Previous response with id '${clientText(next)}' not found (it was never stored, has expired, or belongs to another API key).`, 'previous_response_id', 'previous_response_not_found')
      chain.push(stored)
    }
    chain.reverse()
    const thinking = new Map<string, ReasoningBlock[]>()
    for (const stored of chain) for (const [itemId, blocks] of Object.entries(stored.thinking)) thinking.set(itemId, blocks)
    return { items: chain.flatMap((stored) => [...stored.input, ...(stored.response.output as InputItem[])]), thinking }
  }

  private responseKey (identity: string, id: string): string {
    return `responses:${identity}:${id}`
  }

  private itemKey (identity: string, itemId: string): string {
    return `responses:item:${identity}:${itemId}`
  }

  private ledgerKey (identity: string): string {
    return `responses:ledger:${identity}`
  }
}

function parseLedger (text: string | undefined): LedgerEntry[] {
  if (text === undefined) return []
  try {
    const ledger: unknown = JSON.parse(text)
    return Array.isArray(ledger) ? ledger as LedgerEntry[] : []
  } catch {
    return []
  }
}

/**
 * Gives the event loop a turn (other requests, /health) once every PARSE_BATCH_CHARS of parsing:
 * an awaited memory read alone only yields to microtasks.
 */
class BatchPause {
  private since = 0

  async after (chars: number): Promise<void> {
    this.since += chars
    if (this.since < PARSE_BATCH_CHARS) return
    this.since = 0
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Input items as listed by input_items: each with an id (messages msg_…, others item_…). */
export function withIds (items: InputItem[]): InputItem[] {
  return items.map((item) => {
    if (typeof item.id === 'string' && item.id !== '') return item
    const type = item.type ?? 'message'
    // After the item's own fields: an empty id the client sent is replaced, not kept.
    return { ...item, id: newId(type === 'message' ? 'msg' : 'item'), type }
  })
}
