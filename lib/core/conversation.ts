import { isReasoningBlock, type AnthropicMessage, type ContentBlock, type ToolResultBlock } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../json-depth.js'

/** Sent as the first user turn when a conversation opens with the assistant. */
export const CONVERSATION_START = '(start of conversation)'

/** The upstream has refused conversations that open with the assistant; a fixed placeholder turn goes first. */
export function startWithUserTurn (messages: AnthropicMessage[]): void {
  if (messages[0].role === 'assistant') messages.unshift({ role: 'user', content: [{ type: 'text', text: CONVERSATION_START }] })
}

/**
 * Consecutive turns of one role are merged, which is what the upstream does with them too. Tool
 * results must lead a user turn and thinking must lead an assistant turn, so those go first.
 */
export function appendTurn (turns: AnthropicMessage[], turn: AnthropicMessage): void {
  const last = turns.at(-1)
  if (last && last.role === turn.role) {
    const merged = [...last.content, ...turn.content]
    last.content = turn.role === 'user' ? leading(merged, (block) => block.type === 'tool_result') : leading(merged, isReasoningBlock)
  } else {
    turns.push(turn)
  }
}

/** The blocks that match first, each group keeping its order. */
function leading (blocks: ContentBlock[], first: (block: ContentBlock) => boolean): ContentBlock[] {
  const front = blocks.filter(first)
  if (front.length === 0 || front.length === blocks.length) return blocks
  return [...front, ...blocks.filter((block) => !first(block))]
}

/**
 * Every tool call must be answered in the very next user turn, and every tool result must answer
 * a call of the turn just before it (Anthropic refuses anything else, as OpenAI does).
 */
export function checkToolPairing (messages: AnthropicMessage[]): void {
  messages.forEach((turn, position) => {
    if (turn.role === 'assistant') {
      const next = messages[position + 1]
      const answered = new Set(next?.role === 'user' ? next.content.flatMap((block) => block.type === 'tool_result' ? [block.tool_use_id] : []) : [])
      const unanswered = turn.content.find((block) => block.type === 'tool_use' && !answered.has(block.id))
      if (unanswered?.type === 'tool_use') {
        throw invalidRequest(`messages: the tool call '${unanswered.id}' has no tool message answering it right after the assistant message that made it`, 'messages', 'tool_call_unanswered')
      }
      return
    }
    const previous = messages[position - 1]
    const called = new Set(previous?.role === 'assistant' ? previous.content.flatMap((block) => block.type === 'tool_use' ? [block.id] : []) : [])
    const stray = turn.content.find((block) => block.type === 'tool_result' && !called.has(block.tool_use_id))
    if (stray?.type === 'tool_result') {
      throw invalidRequest(`messages: the tool message for '${stray.tool_use_id}' does not answer a tool call of the assistant message right before it`, 'messages', 'tool_result_without_call')
    }
  })
}

/**
 * True when the request continues a tool-use turn (the last assistant turn called tools and
 * the next turn answers them) whose thinking blocks are not there to send back.
 */
export function lastToolTurnLacksThinking (messages: AnthropicMessage[]): boolean {
  const position = messages.findLastIndex((message) => message.role === 'assistant')
  if (position < 0) return false
  const assistant = messages[position]
  const next = messages[position + 1]
  const continuesToolTurn = assistant.content.some((block) => block.type === 'tool_use') &&
    next?.role === 'user' && next.content.some((block) => block.type === 'tool_result')
  return continuesToolTurn && !isReasoningBlock(assistant.content[0])
}

/** Rewrites the last tool call and its results as plain text, for models that cannot skip thinking. */
export function foldLastToolExchange (messages: AnthropicMessage[]): void {
  const position = messages.findLastIndex((message) => message.role === 'assistant')
  const assistant = messages[position]
  const results = messages[position + 1]
  const names = new Map<string, string>()
  assistant.content = assistant.content.map((block) => {
    if (block.type !== 'tool_use') return block
    names.set(block.id, block.name)
    return { type: 'text', text: `[called tool ${block.name} (${block.id}) with ${JSON.stringify(block.input)}]` }
  })
  results.content = results.content.flatMap((block) => block.type === 'tool_result' ? toolResultAsText(block, names.get(block.tool_use_id) ?? 'tool') : [block])
}

function toolResultAsText (block: ToolResultBlock, name: string): ContentBlock[] {
  const head = `[result of tool ${name} (${block.tool_use_id})${block.is_error ? ', an error' : ''}]`
  if (typeof block.content === 'string') return [{ type: 'text', text: block.content.trim() === '' ? head : `${head}\n${block.content}` }]
  return [{ type: 'text', text: head }, ...block.content]
}

/** Claude's tool ids match ^[a-zA-Z0-9_-]+$; other characters some clients use become '_' (the same way on both sides). */
export function toolId (id: string, param: string): string {
  if (id === '') throw invalidRequest(`${param} must not be empty`, param)
  return id.replace(/[^a-zA-Z0-9_-]/g, '_')
}

/** A tool call's JSON arguments as the object the upstream takes; `param` names the arguments field. */
export function parseToolArguments (raw: string, param: string): Record<string, unknown> {
  let input: unknown
  if (exceedsJsonDepth(raw, MAX_JSON_DEPTH)) {
    throw invalidRequest(`${param} nests deeper than ${MAX_JSON_DEPTH} levels`, param, 'invalid_tool_arguments')
  }
  try {
    input = raw.trim() === '' ? {} : JSON.parse(raw)
  } catch {
    throw invalidRequest(`${param} is not valid JSON`, param, 'invalid_tool_arguments')
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidRequest(`${param} must encode a JSON object`, param, 'invalid_tool_arguments')
  }
  return input as Record<string, unknown>
}
