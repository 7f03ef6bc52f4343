import { Type, type Static } from 'typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const OneOrMany = Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }))])

/** The reports' query string; lib/reports/report-query.ts reads and checks it (Anthropic's rules). */
export const ReportQuerySchema = Type.Object({
  starting_at: Type.Optional(Type.String({ description: 'RFC 3339; snapped to the bucket start' })),
  ending_at: Type.Optional(Type.String({ description: 'RFC 3339, exclusive; default now' })),
  bucket_width: Type.Optional(Type.String({ description: '1d (default), 1h or 1m; the cost report takes 1d only' })),
  limit: Type.Optional(Type.String({ description: 'buckets per page: 1d default 7 max 31, 1h default 24 max 168, 1m default 60 max 1440' })),
  page: Type.Optional(Type.String()),
  'group_by[]': Type.Optional(OneOrMany),
  'api_key_ids[]': Type.Optional(OneOrMany),
  'workspace_ids[]': Type.Optional(OneOrMany),
  'models[]': Type.Optional(OneOrMany)
})

const Dimensions = {
  api_key_id: Nullable(Type.String()),
  workspace_id: Nullable(Type.String()),
  context_window: Nullable(Type.String()),
  service_tier: Nullable(Type.String()),
  protocol: Nullable(Type.String({ description: 'gateway extension: chat, responses or messages, when grouped by protocol' }))
}

export const UsageResultSchema = Type.Object({
  uncached_input_tokens: Type.Integer(),
  cache_creation: Type.Object({ ephemeral_1h_input_tokens: Type.Integer(), ephemeral_5m_input_tokens: Type.Integer() }),
  cache_read_input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  server_tool_use: Type.Object({ web_search_requests: Type.Integer() }),
  model: Nullable(Type.String()),
  ...Dimensions
})

export const CostResultSchema = Type.Object({
  amount: Type.String({ description: 'cents as a decimal string' }),
  currency: Type.String(),
  description: Nullable(Type.String()),
  cost_type: Nullable(Type.String()),
  model: Nullable(Type.String()),
  token_type: Nullable(Type.String()),
  ...Dimensions,
  unpriced_requests: Type.Integer({ description: 'gateway extension: requests whose model had no price (cost unknown, not zero)' })
})

const reportOf = <T extends Parameters<typeof Type.Array>[0]>(result: T) => Type.Object({
  data: Type.Array(Type.Object({ starting_at: Type.String(), ending_at: Type.String(), results: Type.Array(result) })),
  has_more: Type.Boolean(),
  next_page: Nullable(Type.String())
})

export const UsageReportSchema = reportOf(UsageResultSchema)
export type UsageReport = Static<typeof UsageReportSchema>
export const CostReportSchema = reportOf(CostResultSchema)
export type CostReport = Static<typeof CostReportSchema>
