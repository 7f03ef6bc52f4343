import { Type, type Static } from 'typebox'

const Cents = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description: 'US cents as an exact decimal string' })

const PeriodStandingSchema = Type.Object({
  starts_at: Type.String({ format: 'date-time' }),
  resets_at: Type.String({ format: 'date-time' }),
  requests: Type.Integer(),
  tokens: Type.Object({ uncached_input: Type.Integer(), cache_write_5m: Type.Integer(), cache_write_1h: Type.Integer(), cache_read: Type.Integer(), output: Type.Integer() }),
  web_search_requests: Type.Integer(),
  cost_cents: Cents,
  unpriced_requests: Type.Integer({ description: 'Requests whose model has no price: their cost is unknown and not in cost_cents' }),
  cap: Type.Union([Type.Object({ amount_cents: Cents, spent_cents: Cents, remaining_cents: Cents, pooled: Type.Boolean() }), Type.Null()])
})

export const UsageStandingSchema = Type.Object({
  object: Type.Literal('usage'),
  client: Type.String(),
  group: Type.Union([Type.String(), Type.Null()]),
  daily: PeriodStandingSchema,
  weekly: PeriodStandingSchema,
  monthly: PeriodStandingSchema
})
export type UsageStandingResponse = Static<typeof UsageStandingSchema>
