import type { Usage } from '../../schemas/chat-completion.js'
import type { AnthropicUsage } from '../anthropic/types.js'

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
export function mapStopReason (reason: string | null | undefined): FinishReason {
  return FINISH_REASONS[reason ?? 'end_turn'] ?? 'stop'
}

/** A turn that stopped for tool use but called none of the client's tools (only the answer tool) simply stopped. */
export function finishReasonOf (reason: string | null | undefined, clientToolCalls: number): FinishReason {
  const mapped = mapStopReason(reason)
  return mapped === 'tool_calls' && clientToolCalls === 0 ? 'stop' : mapped
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

/** Cumulative usage from `message_delta`: later values replace earlier ones, absent ones are kept. */
export function mergeUsage (into: AnthropicUsage, more: AnthropicUsage): AnthropicUsage {
  const defined = Object.fromEntries(Object.entries(more).filter(([, value]) => value !== null && value !== undefined))
  return { ...into, ...defined }
}
