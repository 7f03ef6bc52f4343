import type { AnthropicRequest, AnthropicResponse } from '../anthropic/types.js'
import { appendTurn } from '../core/conversation.js'
import { GatewayError } from '../errors.js'

/** The most a summary may take; a compacted conversation is meant to be small. */
const SUMMARY_MAX_TOKENS = 4096

const SUMMARY_INSTRUCTION = [
  'Write a summary of the conversation above that will replace it: the conversation will continue from your summary alone.',
  'Keep every fact, name, number, code word, decision, constraint, file path, tool result and open task that matters, and what the user asked for last.',
  'Write only the summary, in plain prose or short lists, with no preamble.'
].join(' ')

/**
 * The request that asks Claude to summarise a translated conversation: the same turns, a closing
 * instruction, no thinking, tools declared (history may hold calls) but not to be called.
 */
export function summaryRequest (conversation: AnthropicRequest): AnthropicRequest {
  const { model, system, messages, tools } = conversation
  const turns = messages.map((message) => ({ ...message, content: [...message.content] }))
  appendTurn(turns, { role: 'user', content: [{ type: 'text', text: SUMMARY_INSTRUCTION }] })
  const body: AnthropicRequest = { model, max_tokens: Math.min(conversation.max_tokens, SUMMARY_MAX_TOKENS), messages: turns }
  if (system) body.system = system
  if (tools && tools.length > 0) {
    body.tools = tools
    body.tool_choice = { type: 'none' }
  }
  return body
}

/** The summary's text; an empty one would lose the conversation, so it is an upstream failure. */
export function summaryText (message: AnthropicResponse): string {
  const text = message.content.flatMap((block) => block.type === 'text' ? [block.text] : []).join('\n').trim()
  if (text === '') throw new GatewayError(502, 'upstream_error', 'The model returned an empty summary; the conversation was not compacted', { code: 'compaction_failed' })
  return text
}
