import type { ReasoningBlock } from '../anthropic/types.js'
import type { StateStore } from '../state/state-store.js'
import type { ResponseObject } from '../../schemas/responses.js'
import { invalidRequest } from '../errors.js'
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

/**
 * Responses kept on the shared state store, per caller: every key holds the caller's identity
 * (a digest of its key), so one tenant can neither read nor continue another's responses.
 * Entries expire after the configured time; the memory store also drops the oldest when full.
 */
export class ResponseStore {
  constructor (private readonly state: StateStore, private readonly ttlSeconds: number) {}

  async save (identity: string, stored: StoredResponse): Promise<void> {
    const id = stored.response.id
    await this.state.set(this.responseKey(identity, id), JSON.stringify(stored), this.ttlSeconds)
    const itemIds = [...stored.input, ...stored.response.output].flatMap((item) => typeof item.id === 'string' ? [item.id] : [])
    await Promise.all(itemIds.map(async (itemId) => await this.state.set(this.itemKey(identity, itemId), id, this.ttlSeconds)))
  }

  async load (identity: string, id: string): Promise<StoredResponse | undefined> {
    const text = await this.state.get(this.responseKey(identity, id))
    return text === undefined ? undefined : JSON.parse(text) as StoredResponse
  }

  async delete (identity: string, id: string): Promise<boolean> {
    const found = await this.load(identity, id)
    if (!found) return false
    await this.state.delete(this.responseKey(identity, id))
    return true
  }

  /** A stored item (input or output of any of the caller's responses) by its id, with its response. */
  async findItem (identity: string, itemId: string): Promise<{ item: InputItem; stored: StoredResponse } | undefined> {
    const responseId = await this.state.get(this.itemKey(identity, itemId))
    const stored = responseId === undefined ? undefined : await this.load(identity, responseId)
    if (!stored) return undefined
    const item = [...stored.input, ...(stored.response.output as InputItem[])].find((candidate) => candidate.id === itemId)
    return item ? { item, stored } : undefined
  }

  /** The whole conversation up to and including `id`: each response's input, then its output, oldest first. */
  async conversation (identity: string, id: string): Promise<Conversation> {
    const chain: StoredResponse[] = []
    for (let next: string | null = id; next !== null; next = chain.at(-1)?.response.previous_response_id ?? null) {
      if (chain.length >= MAX_CHAIN) throw invalidRequest(`previous_response_id chains are limited to ${MAX_CHAIN} responses`, 'previous_response_id')
      const stored = await this.load(identity, next)
      if (!stored) throw invalidRequest(`Previous response with id '${next}' not found (it was never stored, has expired, or belongs to another API key).`, 'previous_response_id', 'previous_response_not_found')
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
