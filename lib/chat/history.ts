import type { ChatMessage } from '../../schemas/chat-completion.js'

export interface FoldedHistory { messages: ChatMessage[]; transcript: string | null }

/**
 * Keeps the newest turns whose text fits in `maxChars` as messages and renders the older ones as
 * a plain transcript. The cut is only made before a user message, so a tool call is never
 * separated from its result. System messages are always kept.
 */
export function foldOldHistory (messages: ChatMessage[], maxChars: number): FoldedHistory {
  if (maxChars <= 0) return { messages, transcript: null }
  const cut = findCut(messages, maxChars)
  const older = messages.slice(0, cut).filter((message) => !isSystem(message))
  if (older.length === 0) return { messages, transcript: null }
  const kept = [...messages.slice(0, cut).filter(isSystem), ...messages.slice(cut)]
  return { messages: kept, transcript: older.map(renderTurn).join('\n\n') }
}

function isSystem (message: ChatMessage): boolean {
  return message.role === 'system' || message.role === 'developer'
}

/** The earliest user message from which the rest fits; never later than the newest user message. */
function findCut (messages: ChatMessage[], maxChars: number): number {
  const newestUser = messages.findLastIndex((message) => message.role === 'user')
  if (newestUser <= 0) return 0
  let total = 0
  let cut = newestUser
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]
    if (isSystem(message)) continue
    total += textLength(message)
    if (total > maxChars) break
    if (message.role === 'user' && index < cut) cut = index
  }
  return cut
}

function textLength (message: ChatMessage): number {
  return renderContent(message).length + (message.tool_calls ?? []).reduce((sum, call) => sum + call.function.arguments.length, 0)
}

function renderContent (message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content
  return (message.content ?? []).map((part) => part.type === 'text' ? part.text ?? '' : `[${part.type}]`).join('\n')
}

function renderTurn (message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => `[called ${call.function.name}(${call.function.arguments})]`)
  const label = message.role === 'tool' ? `tool result (${message.tool_call_id ?? ''})` : message.role
  return `${label}: ${[renderContent(message), ...calls].filter(Boolean).join('\n')}`
}
