import { hash } from 'node:crypto'

/** Why a request did or did not read the prompt cache. */
export type CacheOutcomeKind = 'hit' | 'first_write' | 'miss_key_switch' | 'miss_expired' | 'miss_prefix_changed' | 'not_cacheable'

export interface CacheOutcome {
  outcome: CacheOutcomeKind
  /** For miss_prefix_changed: the first block that differs (`tools`, `system[0]`, `messages[3]`), with a known cause when there is one. */
  at?: string
}

/** What the gateway keeps of a conversation's last cacheable request: digests only, never text. */
export interface PrefixRecord {
  keyId: string
  at: number
  ttlMs: number
  blocks: Array<{ where: string; digest: string }>
}

const FIVE_MINUTES_MS = 5 * 60_000
const ONE_HOUR_MS = 60 * 60_000
/** Claude Code's attribution block: its `cc_version` suffix follows the first prompt, and a `cch` value, where sent, changes every request. */
const ATTRIBUTION = 'x-anthropic-billing-header'

interface Body { tools?: unknown; system?: unknown; messages?: unknown; cache_control?: unknown }

/**
 * The request's prefix as digests of its blocks in Anthropic's cache order (tools, system
 * blocks, messages), and whether any breakpoint asks for caching, with the longest TTL asked.
 */
export function prefixOf (body: Body, keyId: string, now: number): PrefixRecord & { cacheable: boolean; attribution: number | undefined } {
  const blocks: Array<{ where: string; digest: string }> = []
  let cacheable = body.cache_control != null
  let ttlMs = FIVE_MINUTES_MS
  const note = (value: unknown): void => {
    const control = typeof value === 'object' && value !== null ? (value as { cache_control?: { ttl?: unknown } }).cache_control : undefined
    if (control == null) return
    cacheable = true
    if (control.ttl === '1h') ttlMs = ONE_HOUR_MS
  }
  const tools = Array.isArray(body.tools) ? body.tools : []
  tools.forEach(note)
  if (tools.length > 0) blocks.push({ where: 'tools', digest: digest(tools) })
  const system = typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : Array.isArray(body.system) ? body.system : []
  let attribution: number | undefined
  system.forEach((block: unknown, index: number) => {
    note(block)
    const text = (block as { text?: unknown }).text
    if (typeof text === 'string' && text.startsWith(ATTRIBUTION)) attribution = index
    blocks.push({ where: `system[${index}]`, digest: digest(block) })
  })
  const messages = Array.isArray(body.messages) ? body.messages : []
  messages.forEach((message: unknown, index: number) => {
    const content = (message as { content?: unknown }).content
    if (Array.isArray(content)) content.forEach(note)
    blocks.push({ where: `messages[${index}]`, digest: digest(message) })
  })
  return { keyId, at: now, ttlMs, blocks, cacheable, attribution }
}

/**
 * Classifies one answered request from its usage and the conversation's previous prefix
 * (same affinity), in the order that explains a miss best: a cache read is a hit; nothing to
 * cache is not_cacheable; with no earlier request it is a first write; then another key, an
 * expired entry, or the first block that changed.
 */
export function classify (current: ReturnType<typeof prefixOf>, previous: PrefixRecord | undefined, usage: { cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null }, now: number): CacheOutcome {
  if ((usage.cache_read_input_tokens ?? 0) > 0) return { outcome: 'hit' }
  if (!current.cacheable) return { outcome: 'not_cacheable' }
  const written = (usage.cache_creation_input_tokens ?? 0) > 0
  if (previous === undefined) return { outcome: written ? 'first_write' : 'not_cacheable' }
  if (previous.keyId !== current.keyId) return { outcome: 'miss_key_switch' }
  if (now - previous.at > previous.ttlMs) return { outcome: 'miss_expired' }
  const changed = current.blocks.findIndex((block, index) => previous.blocks[index] !== undefined && previous.blocks[index].digest !== block.digest)
  if (changed >= 0) {
    const where = current.blocks[changed].where
    return { outcome: 'miss_prefix_changed', at: current.attribution !== undefined && where === `system[${current.attribution}]` ? `${where} (Claude Code attribution block)` : where }
  }
  // Same key, same prefix, in time and still no read: the prefix is below the model's minimum.
  return { outcome: written ? 'first_write' : 'not_cacheable' }
}

/** The response header's value: `miss_prefix_changed; at=system[0]`. */
export function cacheHeader (outcome: CacheOutcome): string {
  return outcome.at === undefined ? outcome.outcome : `${outcome.outcome}; at=${outcome.at}`
}

export function parsePrefixRecord (text: string | undefined): PrefixRecord | undefined {
  try {
    const value = JSON.parse(text as string) as Partial<PrefixRecord>
    if (typeof value.keyId !== 'string' || typeof value.at !== 'number' || typeof value.ttlMs !== 'number' || !Array.isArray(value.blocks)) return undefined
    return { keyId: value.keyId, at: value.at, ttlMs: value.ttlMs, blocks: value.blocks.filter((block) => typeof block?.where === 'string' && typeof block?.digest === 'string') }
  } catch {
    return undefined
  }
}

function digest (value: unknown): string {
  return hash('sha256', JSON.stringify(value, (name, item: unknown) => name === 'cache_control' ? undefined : item), 'base64url').slice(0, 16)
}
