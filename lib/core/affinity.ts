import { hash } from 'node:crypto'

/** What a client may say about which conversation a request belongs to. */
export interface AffinityHints {
  /** Claude Code's `x-claude-code-session-id`, Codex's `session-id` / `session_id` header. */
  sessionId?: string
  /** Codex / OpenAI `prompt_cache_key`. */
  promptCacheKey?: string
}

/** The parts of an Anthropic request that stay the same for every turn of one conversation. */
export interface ConversationStart {
  model: string
  system?: unknown
  tools?: unknown
  messages: ReadonlyArray<{ role: string; content: unknown }>
}

/** Session ids are at most this long; a longer header is digested like any other. */
const MAX_HINT_LENGTH = 512

/**
 * A stable name for the conversation a request belongs to, so that every turn goes to the key
 * whose organisation holds its prompt cache. An explicit session id or cache key wins; else a
 * digest of the model, system prompt, tools and first user turn, which every later turn of the
 * same conversation repeats (including a Responses chain rebuilt from previous_response_id).
 * Cache breakpoints move from turn to turn, so they are left out of the digest.
 */
export function conversationAffinity (hints: AffinityHints, start: ConversationStart): string {
  const explicit = hints.sessionId ?? hints.promptCacheKey
  if (explicit !== undefined && explicit !== '') return `s:${digest(`${start.model}\n${explicit.slice(0, MAX_HINT_LENGTH)}`)}`
  const firstUser = start.messages.find((message) => message.role === 'user')
  return `c:${digest(JSON.stringify([start.model, start.system ?? null, start.tools ?? null, firstUser?.content ?? null], withoutCacheControl))}`
}

/** The session hint carried by request headers, if any. */
export function sessionIdFromHeaders (headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of ['x-claude-code-session-id', 'session-id', 'session_id']) {
    const value = headers[name]
    const text = Array.isArray(value) ? value[0] : value
    if (typeof text === 'string' && text.trim() !== '') return text.trim()
  }
  return undefined
}

function withoutCacheControl (key: string, value: unknown): unknown {
  return key === 'cache_control' ? undefined : value
}

function digest (text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 22)
}
