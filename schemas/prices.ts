import { Type, type Static } from 'typebox'

/** US dollars per million tokens, as Anthropic's pricing page writes them. */
const Dollars = Type.Number({ minimum: 0, maximum: 100000 })

const RatesFields = {
  input: Dollars,
  cache_write_5m: Dollars,
  cache_write_1h: Dollars,
  cache_read: Dollars,
  output: Dollars
}

/** One PRICES entry: a model family and its rates (dollars per million tokens, dollars per 1,000 web searches). */
export const PriceOverrideSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
  ...RatesFields,
  web_search_per_1000: Type.Optional(Dollars),
  long_prompt: Type.Optional(Type.Object({ threshold_tokens: Type.Integer({ minimum: 1 }), ...RatesFields }, { additionalProperties: false })),
  source: Type.Optional(Type.String({ maxLength: 500 })),
  date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }))
}, { additionalProperties: false })
export const PriceOverridesSchema = Type.Array(PriceOverrideSchema, { maxItems: 1000 })
export type PriceOverride = Static<typeof PriceOverrideSchema>
