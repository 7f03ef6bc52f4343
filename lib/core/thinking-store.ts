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
    await this.state.set(this.key(owner, first), JSON.stringify(blocks), this.ttlSeconds, owner)
    await Promise.all(others.map(async (id) => { await this.state.set(this.key(owner, id), REFERENCE + first, this.ttlSeconds, owner) }))
  }

  /**
   * Looks up every assistant turn's tool-call ids (one list per turn) at once: one state round
   * trip for all the ids, and one more for the turns whose blocks are stored under another id.
   */
  async recall (owner: string, turns: string[][]): Promise<ThinkingLookup> {
    const ids = [...new Set(turns.flat())]
    const values = new Map<string, string>()
    const read = async (wanted: string[]): Promise<void> => {
      const answers = await this.state.getMany(wanted.map((id) => this.key(owner, id)))
      answers.forEach((value, index) => { if (value !== undefined) values.set(wanted[index], value) })
    }
    await read(ids)
    const pointedTo = [...new Set([...values.values()].filter((value) => value.startsWith(REFERENCE)).map((value) => value.slice(REFERENCE.length)))].filter((id) => !values.has(id))
    if (pointedTo.length > 0) await read(pointedTo)
    const parsed = new Map<string, ReasoningBlock[] | undefined>()
    const blocksOf = (id: string): ReasoningBlock[] | undefined => {
      let value = values.get(id)
      let first = id
      if (value?.startsWith(REFERENCE) === true) {
        first = value.slice(REFERENCE.length)
        value = values.get(first)
      }
      if (!parsed.has(first)) parsed.set(first, parseBlocks(value))
      return parsed.get(first)
    }
    const found = new Map<string, ReasoningBlock[]>()
    for (const turn of turns) {
      const blocks = firstDefined(turn, blocksOf)
      if (blocks) for (const id of turn) found.set(id, blocks)
    }
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

  private key (owner: string, toolCallId: string): string {
    return `thinking:${owner}:${toolCallId}`
  }
}

function firstDefined (ids: string[], blocksOf: (id: string) => ReasoningBlock[] | undefined): ReasoningBlock[] | undefined {
  for (const id of ids) {
    const blocks = blocksOf(id)
    if (blocks) return blocks
  }
  return undefined
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
