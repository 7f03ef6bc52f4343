import { Type, type Static } from 'typebox'

// Request shapes are loose on purpose, as for chat: the translation checks items and parts
// one by one, where an error can name the exact input item that is wrong.
const Loose = Type.Record(Type.String(), Type.Unknown())
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

export const ResponsesRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Type.Union([Type.String(), Type.Array(Loose)])),
  instructions: Nullable(Type.String()),
  previous_response_id: Nullable(Type.String({ minLength: 1 })),
  store: Nullable(Type.Boolean()),
  stream: Nullable(Type.Boolean()),
  stream_options: Nullable(Loose),
  background: Nullable(Type.Boolean()),
  conversation: Type.Optional(Type.Unknown()),
  tools: Nullable(Type.Array(Loose)),
  tool_choice: Type.Optional(Type.Union([Type.String(), Loose, Type.Null()])),
  parallel_tool_calls: Nullable(Type.Boolean()),
  max_output_tokens: Nullable(Type.Integer({ minimum: 1 })),
  max_tool_calls: Nullable(Type.Integer({ minimum: 1 })),
  reasoning: Nullable(Type.Object({
    effort: Nullable(Type.String()),
    summary: Nullable(Type.String()),
    generate_summary: Nullable(Type.String())
  })),
  text: Nullable(Type.Object({
    format: Nullable(Loose),
    verbosity: Nullable(Type.String())
  })),
  include: Nullable(Type.Array(Type.String())),
  temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
  top_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  // Claude has no such settings: accepted with no effect, echoed on the response.
  presence_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
  frequency_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
  top_logprobs: Nullable(Type.Integer({ minimum: 0 })),
  metadata: Nullable(Type.Record(Type.String(), Type.String())),
  user: Nullable(Type.String()),
  safety_identifier: Nullable(Type.String()),
  prompt_cache_key: Nullable(Type.String()),
  prompt_cache_retention: Nullable(Type.String()),
  truncation: Nullable(Type.String()),
  service_tier: Nullable(Type.String()),
  client_metadata: Nullable(Loose)
})
export type ResponsesRequest = Static<typeof ResponsesRequestSchema>

export const InputTokensRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Type.Union([Type.String(), Type.Array(Loose)])),
  instructions: Nullable(Type.String()),
  previous_response_id: Nullable(Type.String({ minLength: 1 })),
  tools: Nullable(Type.Array(Loose)),
  tool_choice: Type.Optional(Type.Union([Type.String(), Loose, Type.Null()])),
  parallel_tool_calls: Nullable(Type.Boolean()),
  reasoning: Nullable(Type.Object({ effort: Nullable(Type.String()), summary: Nullable(Type.String()), generate_summary: Nullable(Type.String()) })),
  text: Nullable(Type.Object({ format: Nullable(Loose), verbosity: Nullable(Type.String()) })),
  truncation: Nullable(Type.String()),
  conversation: Type.Optional(Type.Unknown())
})
export type InputTokensRequest = Static<typeof InputTokensRequestSchema>

/** POST /responses/compact: the conversation to compact (input, or a stored chain) and the settings that shaped it. */
export const CompactRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Optional(Type.Union([Type.String(), Type.Array(Loose)])),
  instructions: Nullable(Type.String()),
  previous_response_id: Nullable(Type.String({ minLength: 1 })),
  tools: Nullable(Type.Array(Loose)),
  tool_choice: Type.Optional(Type.Union([Type.String(), Loose, Type.Null()])),
  parallel_tool_calls: Nullable(Type.Boolean()),
  reasoning: Nullable(Loose),
  text: Nullable(Loose),
  prompt_cache_key: Nullable(Type.String()),
  prompt_cache_retention: Nullable(Type.String())
})
export type CompactRequest = Static<typeof CompactRequestSchema>

export const CompactionItemSchema = Type.Object({ type: Type.Literal('compaction'), id: Type.String(), encrypted_content: Type.String() })

export const CompactionSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('response.compaction'),
  created_at: Type.Integer(),
  output: Type.Array(CompactionItemSchema),
  usage: Type.Object({
    input_tokens: Type.Integer(),
    input_tokens_details: Type.Object({ cached_tokens: Type.Integer() }),
    output_tokens: Type.Integer(),
    output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() }),
    total_tokens: Type.Integer()
  })
})

export const InputTokensSchema = Type.Object({
  object: Type.Literal('response.input_tokens'),
  input_tokens: Type.Integer()
})

export const ResponseUsageSchema = Type.Object({
  input_tokens: Type.Integer(),
  input_tokens_details: Type.Object({ cached_tokens: Type.Integer() }),
  output_tokens: Type.Integer(),
  output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() }),
  total_tokens: Type.Integer()
})
export type ResponseUsage = Static<typeof ResponseUsageSchema>

export const OutputTextSchema = Type.Object({ type: Type.Literal('output_text'), text: Type.String(), annotations: Type.Array(Type.Unknown()), logprobs: Type.Optional(Type.Array(Type.Unknown())) })

export const MessageItemSchema = Type.Object({
  type: Type.Literal('message'),
  id: Type.String(),
  role: Type.Literal('assistant'),
  status: Type.Enum(['in_progress', 'completed', 'incomplete']),
  content: Type.Array(OutputTextSchema)
})
export const FunctionCallItemSchema = Type.Object({
  type: Type.Literal('function_call'),
  id: Type.String(),
  call_id: Type.String(),
  name: Type.String(),
  namespace: Type.Optional(Type.String()),
  arguments: Type.String(),
  status: Type.Enum(['in_progress', 'completed', 'incomplete'])
})
export const CustomToolCallItemSchema = Type.Object({
  type: Type.Literal('custom_tool_call'),
  id: Type.String(),
  call_id: Type.String(),
  name: Type.String(),
  namespace: Type.Optional(Type.String()),
  input: Type.String(),
  status: Type.Optional(Type.Enum(['in_progress', 'completed', 'incomplete']))
})
export const ReasoningItemSchema = Type.Object({
  type: Type.Literal('reasoning'),
  id: Type.String(),
  summary: Type.Array(Type.Object({ type: Type.Literal('summary_text'), text: Type.String() })),
  encrypted_content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  status: Type.Optional(Type.Enum(['in_progress', 'completed', 'incomplete']))
})
/** A search Claude ran with Anthropic's web search tool; sources only when include asks for them. */
export const WebSearchCallItemSchema = Type.Object({
  type: Type.Literal('web_search_call'),
  id: Type.String(),
  status: Type.Enum(['in_progress', 'searching', 'completed', 'failed']),
  action: Type.Object({
    type: Type.Literal('search'),
    query: Type.String(),
    sources: Type.Optional(Type.Array(Type.Object({ type: Type.Literal('url'), url: Type.String() })))
  })
})
export const OutputItemSchema = Type.Union([MessageItemSchema, FunctionCallItemSchema, CustomToolCallItemSchema, ReasoningItemSchema, WebSearchCallItemSchema])
export type MessageItem = Static<typeof MessageItemSchema>
export type FunctionCallItem = Static<typeof FunctionCallItemSchema>
export type CustomToolCallItem = Static<typeof CustomToolCallItemSchema>
export type ReasoningItem = Static<typeof ReasoningItemSchema>
export type WebSearchCallItem = Static<typeof WebSearchCallItemSchema>
export type OutputItem = Static<typeof OutputItemSchema>

export const ResponseErrorSchema = Type.Object({ code: Type.String(), message: Type.String() })

/** OpenAI's response object, every field; settings the client sent are echoed (tools, text, reasoning as given). */
export const ResponseObjectSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('response'),
  created_at: Type.Integer(),
  completed_at: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Enum(['completed', 'incomplete', 'failed', 'in_progress']),
  background: Type.Boolean(),
  error: Type.Union([ResponseErrorSchema, Type.Null()]),
  incomplete_details: Type.Union([Type.Object({ reason: Type.Enum(['max_output_tokens', 'content_filter']) }), Type.Null()]),
  instructions: Type.Union([Type.String(), Type.Null()]),
  max_output_tokens: Type.Union([Type.Integer(), Type.Null()]),
  max_tool_calls: Type.Union([Type.Integer(), Type.Null()]),
  model: Type.String(),
  output: Type.Array(OutputItemSchema),
  parallel_tool_calls: Type.Boolean(),
  previous_response_id: Type.Union([Type.String(), Type.Null()]),
  prompt_cache_key: Type.Union([Type.String(), Type.Null()]),
  prompt_cache_retention: Type.Union([Type.String(), Type.Null()]),
  reasoning: Type.Object({ effort: Type.Union([Type.String(), Type.Null()]), summary: Type.Union([Type.String(), Type.Null()]) }),
  safety_identifier: Type.Union([Type.String(), Type.Null()]),
  service_tier: Type.String(),
  store: Type.Boolean(),
  temperature: Type.Union([Type.Number(), Type.Null()]),
  text: Type.Object({ format: Loose, verbosity: Type.String() }),
  tool_choice: Type.Union([Type.String(), Loose]),
  tools: Type.Array(Loose),
  top_logprobs: Type.Integer(),
  top_p: Type.Union([Type.Number(), Type.Null()]),
  presence_penalty: Type.Number(),
  frequency_penalty: Type.Number(),
  truncation: Type.String(),
  usage: Type.Union([ResponseUsageSchema, Type.Null()]),
  user: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.String())
})
export type ResponseObject = Static<typeof ResponseObjectSchema>

export const ResponseIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })

export const DeletedResponseSchema = Type.Object({ id: Type.String(), object: Type.Literal('response'), deleted: Type.Literal(true) })

export const InputItemsQuerySchema = Type.Object({
  after: Type.Optional(Type.String()),
  before: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  order: Type.Optional(Type.Enum(['asc', 'desc'], { default: 'desc' })),
  include: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]))
})
export type InputItemsQuery = Static<typeof InputItemsQuerySchema>

export const InputItemsPageSchema = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Loose),
  first_id: Type.Union([Type.String(), Type.Null()]),
  last_id: Type.Union([Type.String(), Type.Null()]),
  has_more: Type.Boolean()
})
export type InputItemsPage = Static<typeof InputItemsPageSchema>
