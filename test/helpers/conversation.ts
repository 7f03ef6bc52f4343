import { postChat, authHeaders } from './gateway.js'
import type { AnthropicStub } from './anthropic-stub.js'

/** A system prompt long enough to be worth caching, like a coding agent's. */
export const LONG_SYSTEM = `You are a careful assistant. ${'Follow the project conventions exactly. '.repeat(400)}`

export interface TurnResult { status: number; key: string | undefined; cachedTokens: number; promptTokens: number; ms: number }

/**
 * Plays one multi-turn chat conversation against a gateway: each turn sends the whole history
 * so far plus a new user message, as chat clients do. Reports, per turn, the key the stub saw,
 * the cache reads the client was told about and how long the answer took. A turn that is not
 * answered ends the conversation, as there is no reply to carry on from.
 */
export async function playConversation (url: string, stub: AnthropicStub, options: { turns: number; topic: string; headers?: Record<string, string>; system?: string }): Promise<TurnResult[]> {
  const messages: Array<{ role: string; content: string }> = [{ role: 'system', content: options.system ?? LONG_SYSTEM }]
  const results: TurnResult[] = []
  for (let turn = 0; turn < options.turns; turn++) {
    messages.push({ role: 'user', content: `${options.topic}: question ${turn + 1}` })
    const before = stub.requests.length
    const started = performance.now()
    const response = await postChat(url, { model: 'claude-sonnet-4-6', messages }, { ...authHeaders, ...options.headers })
    const body = await response.json() as { choices?: Array<{ message: { content: string } }>; usage?: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }
    const upstream = stub.requests.slice(before).filter((request) => request.path === '/v1/messages').at(-1)
    results.push({ status: response.status, key: upstream?.key, cachedTokens: body.usage?.prompt_tokens_details?.cached_tokens ?? 0, promptTokens: body.usage?.prompt_tokens ?? 0, ms: performance.now() - started })
    if (response.status !== 200) break
    messages.push({ role: 'assistant', content: body.choices?.[0]?.message.content ?? '' })
  }
  return results
}

/** Cached prompt tokens as a share of all prompt tokens, over every turn given. */
export function cacheReadShare (turns: TurnResult[]): number {
  const prompt = turns.reduce((sum, turn) => sum + turn.promptTokens, 0)
  return prompt === 0 ? 0 : turns.reduce((sum, turn) => sum + turn.cachedTokens, 0) / prompt
}
