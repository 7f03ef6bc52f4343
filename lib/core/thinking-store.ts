import type { ReasoningBlock } from '../anthropic/types.js'
import type { StateStore } from '../state/state-store.js'

/**
 * The thinking blocks a request's history needs back, found before translation so that the
 * translation itself stays synchronous.
 */
export interface ThinkingLookup {
  load (toolCallIds: string[]): ReasoningBlock[] | undefined
}

/** Points from a turn's later tool-call ids to the first, so the blocks are stored once. */
const REFERENCE = '@'

/**
 * Keeps the thinking blocks of assistant turns that made tool calls, because OpenAI clients
 * never send reasoning or signatures back, yet the upstream needs them unchanged to continue
 * a tool-use turn with thinking on. Entries live in the shared state (so another instance can
 * continue the turn) under the caller's identity and the tool-call id: a caller who replays
 * someone else's tool-call id finds nothing.
 */
export class ThinkingStore {
  constructor (private readonly state: StateStore, private readonly ttlSeconds: number) {}

  async save (owner: string, toolCallIds: string[], blocks: ReasoningBlock[]): Promise<void> {
    const [first, ...others] = toolCallIds
    if (blocks.length === 0 || first === undefined) return
    await this.state.set(this.key(owner, first), JSON.stringify(blocks), this.ttlSeconds)
    await Promise.all(others.map(async (id) => { await this.state.set(this.key(owner, id), REFERENCE + first, this.ttlSeconds) }))
  }

  /** Looks up every assistant turn's tool-call ids (one list per turn) at once. */
  async recall (owner: string, turns: string[][]): Promise<ThinkingLookup> {
    const found = new Map<string, ReasoningBlock[]>()
    await Promise.all(turns.map(async (ids) => {
      const blocks = await this.loadTurn(owner, ids)
      if (blocks) for (const id of ids) found.set(id, blocks)
    }))
    return {
      load: (ids) => {
        for (const id of ids) {
          const blocks = found.get(id)
          if (blocks) return blocks
        }
        return undefined
      }
    }
  }

  private async loadTurn (owner: string, ids: string[]): Promise<ReasoningBlock[] | undefined> {
    for (const id of ids) {
      let value = await this.state.get(this.key(owner, id))
      if (value?.startsWith(REFERENCE) === true) value = await this.state.get(this.key(owner, value.slice(REFERENCE.length)))
      const blocks = parseBlocks(value)
      if (blocks) return blocks
    }
    return undefined
  }

  private key (owner: string, toolCallId: string): string {
    return `thinking:${owner}:${toolCallId}`
  }
}

function parseBlocks (value: string | undefined): ReasoningBlock[] | undefined {
  if (value === undefined || value.startsWith(REFERENCE)) return undefined
  try {
    const blocks: unknown = JSON.parse(value)
    return Array.isArray(blocks) && blocks.length > 0 ? blocks as ReasoningBlock[] : undefined
  } catch {
    return undefined
  }
}
