import { Type, type Static } from 'typebox'

// Request shapes are kept loose on purpose: fine-grained checks happen during translation,
// where the error can name the exact message and part that is wrong.
const CacheControlSchema = Type.Object({
  type: Type.Literal('ephemeral'),
  ttl: Type.Optional(Type.Union([Type.Literal('5m'), Type.Literal('1h')]))
}, { additionalProperties: false })

export const ContentPartSchema = Type.Object({
  type: Type.String(),
  text: Type.Optional(Type.String()),
  image_url: Type.Optional(Type.Union([
    Type.Object({ url: Type.String(), detail: Type.Optional(Type.String()) }),
    Type.String()
  ])),
  file: Type.Optional(Type.Object({
    file_data: Type.Optional(Type.String()),
    file_id: Type.Optional(Type.String()),
    filename: Type.Optional(Type.String())
  })),
  input_audio: Type.Optional(Type.Unknown()),
  refusal: Type.Optional(Type.String()),
  cache_control: Type.Optional(CacheControlSchema)
})
export type ContentPart = Static<typeof ContentPartSchema>

export const ToolCallSchema = Type.Object({
  id: Type.String(),
  type: Type.Optional(Type.Literal('function')),
  function: Type.Object({ name: Type.String(), arguments: Type.String() })
})
export type ToolCall = Static<typeof ToolCallSchema>

export const ChatMessageSchema = Type.Object({
  role: Type.Enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: Type.Optional(Type.Union([Type.String(), Type.Null(), Type.Array(ContentPartSchema)])),
  name: Type.Optional(Type.String()),
  tool_calls: Type.Optional(Type.Union([Type.Array(ToolCallSchema), Type.Null()])),
  tool_call_id: Type.Optional(Type.String()),
  function_call: Type.Optional(Type.Unknown()),
  refusal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  reasoning_content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  cache_control: Type.Optional(CacheControlSchema)
})
export type ChatMessage = Static<typeof ChatMessageSchema>

export const FunctionToolSchema = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String(),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
  }),
  cache_control: Type.Optional(CacheControlSchema)
})
export type FunctionTool = Static<typeof FunctionToolSchema>

export const ToolChoiceSchema = Type.Union([
  Type.Literal('none'), Type.Literal('auto'), Type.Literal('required'),
  Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: Type.String() }) })
])
export type ToolChoice = Static<typeof ToolChoiceSchema>

export const ResponseFormatSchema = Type.Object({
  type: Type.Enum(['text', 'json_object', 'json_schema']),
  json_schema: Type.Optional(Type.Object({
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
  }))
})
export type ResponseFormat = Static<typeof ResponseFormatSchema>

export const ChatCompletionRequestSchema = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
  stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  stream_options: Type.Optional(Type.Union([Type.Null(), Type.Object({
    include_usage: Type.Optional(Type.Boolean()),
    include_obfuscation: Type.Optional(Type.Boolean())
  })])),
  max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  top_k: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 8 }), Type.Null()])),
  stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 8 }), Type.Null()])),
  tools: Type.Optional(Type.Union([Type.Array(FunctionToolSchema), Type.Null()])),
  tool_choice: Type.Optional(Type.Union([ToolChoiceSchema, Type.Null()])),
  parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  response_format: Type.Optional(Type.Union([ResponseFormatSchema, Type.Null()])),
  reasoning_effort: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  user: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
  seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  top_logprobs: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  logit_bias: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
  presence_penalty: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  frequency_penalty: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  modalities: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  audio: Type.Optional(Type.Unknown()),
  prediction: Type.Optional(Type.Unknown()),
  store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  service_tier: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  thinking: Type.Optional(Type.Unknown()),
  web_search_options: Type.Optional(Type.Unknown())
})
export type ChatCompletionRequest = Static<typeof ChatCompletionRequestSchema>

const UsageSchema = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
  prompt_tokens_details: Type.Object({ cached_tokens: Type.Integer() }),
  completion_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() })
})
export type Usage = Static<typeof UsageSchema>

const ResponseToolCallSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String(), arguments: Type.String() })
})

/** A web page a stretch of the content cites (from Claude's web search). */
export const UrlCitationSchema = Type.Object({
  type: Type.Literal('url_citation'),
  url_citation: Type.Object({ start_index: Type.Integer(), end_index: Type.Integer(), url: Type.String(), title: Type.String() })
})
export type UrlCitation = Static<typeof UrlCitationSchema>

export const ChoiceSchema = Type.Object({
  index: Type.Integer(),
  message: Type.Object({
    role: Type.Literal('assistant'),
    content: Type.Union([Type.String(), Type.Null()]),
    reasoning_content: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ResponseToolCallSchema)),
    annotations: Type.Optional(Type.Array(UrlCitationSchema)),
    refusal: Type.Union([Type.String(), Type.Null()])
  }),
  logprobs: Type.Null(),
  finish_reason: Type.Union([Type.String(), Type.Null()])
})
export type Choice = Static<typeof ChoiceSchema>

export const ChatCompletionSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer(),
  model: Type.String(),
  choices: Type.Array(ChoiceSchema),
  usage: UsageSchema,
  system_fingerprint: Type.Null()
})
export type ChatCompletion = Static<typeof ChatCompletionSchema>
