import { LRUCache } from 'lru-cache'
import type { ReasoningBlock } from '../anthropic/types.js'

/**
 * Keeps the thinking blocks of assistant turns that made tool calls, keyed by tool-call id,
 * because OpenAI clients never send reasoning or signatures back, yet the upstream needs
 * them unchanged to continue a tool-use turn with thinking on.
 */
export interface ThinkingStore {
  save (toolCallIds: string[], blocks: ReasoningBlock[]): void
  load (toolCallIds: string[]): ReasoningBlock[] | undefined
}

export class MemoryThinkingStore implements ThinkingStore {
  private readonly entries: LRUCache<string, ReasoningBlock[]>

  constructor (maxTurns: number) {
    this.entries = new LRUCache({ max: Math.max(1, maxTurns) })
  }

  save (toolCallIds: string[], blocks: ReasoningBlock[]): void {
    if (blocks.length === 0) return
    for (const id of toolCallIds) this.entries.set(id, blocks)
  }

  load (toolCallIds: string[]): ReasoningBlock[] | undefined {
    for (const id of toolCallIds) {
      const blocks = this.entries.get(id)
      if (blocks) return blocks
    }
    return undefined
  }
}
