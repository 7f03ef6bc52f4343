import type { ChatCompletion, Choice, Usage } from '../schemas/chat-completion.js'
import type { AnthropicResponse, AnthropicUsage, ReasoningBlock } from './anthropic-types.js'

export type ThinkingFormat = 'reasoning_content' | 'think-tags'
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  // The upstream paused a long turn; the answer is incomplete, which `length` tells the client.
  pause_turn: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter'
}

/** Unknown stop reasons (from newer API versions) read as a normal stop. */
export function mapStopReason (reason: string | null | undefined, jsonTool: string | null): FinishReason {
  const mapped = FINISH_REASONS[reason ?? 'end_turn'] ?? 'stop'
  return mapped === 'tool_calls' && jsonTool ? 'stop' : mapped
}

export function emptyUsage (): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }
}

/** prompt = input + cache read + cache creation, since Anthropic's input_tokens excludes both. */
export function mapUsage (usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0
  const prompt = (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0)
  const completion = usage.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.thinking_tokens ?? 0 }
  }
}

export function addUsage (into: Usage, more: Usage): Usage {
  return {
    prompt_tokens: into.prompt_tokens + more.prompt_tokens,
    completion_tokens: into.completion_tokens + more.completion_tokens,
    total_tokens: into.total_tokens + more.total_tokens,
    prompt_tokens_details: { cached_tokens: into.prompt_tokens_details.cached_tokens + more.prompt_tokens_details.cached_tokens },
    completion_tokens_details: { reasoning_tokens: into.completion_tokens_details.reasoning_tokens + more.completion_tokens_details.reasoning_tokens }
  }
}

export function wrapThinking (reasoning: string): string {
  return `<think>\n${reasoning}\n</think>\n\n`
}

export interface TranslatedChoice {
  choice: Choice
  usage: Usage
  /** Thinking blocks of a turn that made tool calls, to keep for the next request. */
  reasoning: { toolCallIds: string[]; blocks: ReasoningBlock[] } | null
}

export function translateMessage (message: AnthropicResponse, index: number, jsonTool: string | null, thinkingFormat: ThinkingFormat): TranslatedChoice {
  const texts: string[] = []
  const thoughts: string[] = []
  const reasoningBlocks: ReasoningBlock[] = []
  const toolCalls: NonNullable<Choice['message']['tool_calls']> = []
  for (const block of message.content) {
    switch (block.type) {
      case 'text': texts.push(block.text); break
      case 'thinking': thoughts.push(block.thinking); reasoningBlocks.push(block); break
      case 'redacted_thinking': reasoningBlocks.push(block); break
      case 'tool_use':
        if (block.name === jsonTool) texts.push(JSON.stringify(block.input))
        else toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })
        break
    }
  }
  const reasoning = thoughts.join('\n\n')
  let content = texts.join('')
  if (thinkingFormat === 'think-tags' && reasoning) content = wrapThinking(reasoning) + content
  const choice: Choice = {
    index,
    message: { role: 'assistant', content: content === '' && toolCalls.length > 0 ? null : content, refusal: null },
    logprobs: null,
    finish_reason: mapStopReason(message.stop_reason, jsonTool)
  }
  if (thinkingFormat === 'reasoning_content' && reasoning) choice.message.reasoning_content = reasoning
  if (toolCalls.length > 0) choice.message.tool_calls = toolCalls
  return {
    choice,
    usage: mapUsage(message.usage),
    reasoning: toolCalls.length > 0 && reasoningBlocks.length > 0 ? { toolCallIds: toolCalls.map((call) => call.id), blocks: reasoningBlocks } : null
  }
}

export function buildCompletion (id: string, created: number, model: string, choices: TranslatedChoice[]): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: choices.map((item) => item.choice),
    usage: choices.map((item) => item.usage).reduce(addUsage, emptyUsage()),
    system_fingerprint: null
  }
}
