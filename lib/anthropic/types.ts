// The subset of Anthropic's Messages API wire format that the gateway reads and writes.

export interface CacheControl { type: 'ephemeral'; ttl?: '5m' | '1h' }

export interface TextBlock { type: 'text'; text: string; cache_control?: CacheControl; citations?: unknown[] }
export type ImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
export interface ImageBlock { type: 'image'; source: ImageSource; cache_control?: CacheControl }
export type DocumentSource =
  | { type: 'base64'; media_type: 'application/pdf'; data: string }
  | { type: 'text'; media_type: 'text/plain'; data: string }
  | { type: 'url'; url: string }
export interface DocumentBlock { type: 'document'; source: DocumentSource; title?: string; cache_control?: CacheControl }
export interface ToolUseBlock { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; cache_control?: CacheControl }
export interface ToolResultBlock {
  type: 'tool_result'
  tool_use_id: string
  content: string | Array<TextBlock | ImageBlock | DocumentBlock>
  is_error?: boolean
  cache_control?: CacheControl
}
export interface ThinkingBlock { type: 'thinking'; thinking: string; signature: string }
export interface RedactedThinkingBlock { type: 'redacted_thinking'; data: string }
export type ReasoningBlock = ThinkingBlock | RedactedThinkingBlock

/** Thinking and redacted thinking: blocks that must go back upstream unchanged and never carry cache_control. */
export function isReasoningBlock (block: ContentBlock | undefined): block is ReasoningBlock {
  return block?.type === 'thinking' || block?.type === 'redacted_thinking'
}

export type ContentBlock = TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock

/** Blocks of Anthropic's own server tools (web search and the like), which only answers carry. */
export interface ServerToolUseBlock { type: 'server_tool_use'; id: string; name: string; input?: Record<string, unknown> }
/** A web search's outcome: the pages found, or an error object. */
export interface WebSearchToolResultBlock { type: 'web_search_tool_result'; tool_use_id: string; content: Array<{ type: string; url?: string; title?: string }> | { type: string; error_code?: string } }

export interface AnthropicMessage { role: 'user' | 'assistant'; content: ContentBlock[] }

export interface AnthropicTool {
  name: string
  description?: string
  input_schema: Record<string, unknown>
  strict?: boolean
  cache_control?: CacheControl
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' }

export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: 'summarized' | 'omitted' }
  | { type: 'adaptive'; display?: 'summarized' | 'omitted' }
  | { type: 'disabled' }

export interface OutputConfig {
  effort?: string
  format?: { type: 'json_schema'; schema: Record<string, unknown> }
}

export interface AnthropicRequest {
  model: string
  max_tokens: number
  messages: AnthropicMessage[]
  system?: TextBlock[]
  stop_sequences?: string[]
  temperature?: number
  top_p?: number
  top_k?: number
  tools?: AnthropicTool[]
  tool_choice?: AnthropicToolChoice
  thinking?: ThinkingConfig
  metadata?: { user_id: string }
  output_config?: OutputConfig
  service_tier?: string
  stream?: boolean
}

export interface AnthropicUsage {
  input_tokens?: number
  output_tokens?: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  output_tokens_details?: { thinking_tokens?: number } | null
  /** Cache writes by lifetime; their sum is cache_creation_input_tokens. */
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null
  server_tool_use?: { web_search_requests?: number } | null
}

export interface AnthropicResponse {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: ContentBlock[]
  stop_reason: string | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

/** One parsed server-sent event from the upstream stream. */
export interface UpstreamEvent { event: string; data: string }

export type StreamPayload =
  | { type: 'message_start'; message: AnthropicResponse }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: BlockDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null; stop_sequence?: string | null }; usage?: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: string; message: string } }

export type BlockDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: unknown }
