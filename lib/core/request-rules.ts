import type { ModelCapabilities } from '../anthropic/capabilities.js'
import type { AnthropicRequest } from '../anthropic/types.js'
import { clientText, invalidRequest } from '../errors.js'
import { applyAutomaticCaching, countCacheBreakpoints, MAX_CACHE_BREAKPOINTS } from './caching.js'
import type { ThinkingDecision } from './thinking.js'
import { refuseOrDrop, type UnsupportedFieldPolicy } from './unsupported-fields.js'

const MAX_USER_ID_LENGTH = 256

/** The end user's id (OpenAI `user` and the like) as the upstream's `metadata.user_id`. */
export function applyUserId (body: AnthropicRequest, userId: string | null | undefined, param: string): void {
  if (!userId) return
  if (userId.length > MAX_USER_ID_LENGTH) throw invalidRequest(`${param} must be at most ${MAX_USER_ID_LENGTH} characters`, param)
  body.metadata = { user_id: userId }
}

export function applyServiceTier (body: AnthropicRequest, tier: string, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  if (tier === 'auto') body.service_tier = 'auto'
  else if (tier === 'default') body.service_tier = 'standard_only'
  else refuseOrDrop('service_tier', `service_tier '${clientText(tier)}' has no Claude equivalent; use 'auto' or 'default'`, 'service_tier', policy, dropped)
}

/** A trailing assistant message is a prefill: refused where the upstream refuses it, else trimmed as it requires. */
export function preparePrefill (body: AnthropicRequest, caps: ModelCapabilities, thinking: ThinkingDecision, param: string): void {
  const last = body.messages.at(-1)
  if (!last || last.role !== 'assistant' || last.content.some((block) => block.type === 'tool_use')) return
  const reason = thinking.on ? 'cannot be combined with thinking' : body.output_config?.format ? 'cannot be combined with structured output' : caps.prefill ? null : `model ${body.model} does not accept`
  if (reason) throw invalidRequest(`The conversation ends with an assistant message (prefill), which ${reason}`, param, 'prefill_not_supported')
  const tail = last.content.at(-1)
  if (tail?.type === 'text') tail.text = tail.text.trimEnd()
}

export function applyCaching (body: AnthropicRequest, autoCache: boolean): void {
  const found = countCacheBreakpoints(body)
  if (found > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(`At most ${MAX_CACHE_BREAKPOINTS} cache_control breakpoints may be given; found ${found}`, 'messages', 'too_many_cache_breakpoints')
  }
  if (autoCache) applyAutomaticCaching(body)
}
