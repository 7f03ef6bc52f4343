import { isReasoningBlock, type AnthropicRequest, type CacheControl, type ContentBlock, type ReasoningBlock } from '../anthropic/types.js'

export const MAX_CACHE_BREAKPOINTS = 4

type Cacheable = { cache_control?: CacheControl }

function blocksOf (request: AnthropicRequest): Cacheable[] {
  const blocks: Cacheable[] = [...(request.tools ?? []), ...(request.system ?? [])]
  for (const message of request.messages) {
    for (const block of message.content) {
      blocks.push(block as Cacheable)
      if (block.type === 'tool_result' && Array.isArray(block.content)) blocks.push(...block.content)
    }
  }
  return blocks
}

export function countCacheBreakpoints (request: AnthropicRequest): number {
  return blocksOf(request).filter((block) => block.cache_control !== undefined).length
}

function isMarkable (block: ContentBlock | undefined): block is Exclude<ContentBlock, ReasoningBlock> {
  return block !== undefined && !isReasoningBlock(block)
}

/**
 * Adds breakpoints where they pay most, within the upstream's limit of four (counting the
 * client's own): end of tools, end of system, end of the newest turn, end of the previous
 * user turn (where the last request wrote its cache, so this one can read it).
 */
export function applyAutomaticCaching (request: AnthropicRequest): void {
  let free = MAX_CACHE_BREAKPOINTS - countCacheBreakpoints(request)
  const ordered = blocksOf(request)
  const mark = (block: Cacheable | undefined, group: Cacheable[]): void => {
    if (free <= 0 || !block || group.some((item) => item.cache_control)) return
    block.cache_control = oneHourLater(ordered, block) ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' }
    free--
  }
  mark(request.tools?.at(-1), request.tools ?? [])
  mark(request.system?.at(-1), request.system ?? [])
  const userTurns = request.messages.filter((message) => message.role === 'user')
  const turns = [request.messages.at(-1), userTurns.at(-2)]
  for (const turn of turns) {
    const last = turn?.content.at(-1)
    if (isMarkable(last)) mark(last, [last])
  }
}

/** Longer-lived breakpoints must come before shorter ones, so a breakpoint ahead of a client's 1h one is 1h too. */
function oneHourLater (ordered: Cacheable[], block: Cacheable): boolean {
  return ordered.slice(ordered.indexOf(block) + 1).some((later) => later.cache_control?.ttl === '1h')
}
