import { Type, type Static } from 'typebox'

/** One model in a shape both SDKs read: OpenAI's `object`/`created`/`owned_by` and Anthropic's `type`/`display_name`/`created_at`. */
export const ModelSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
  type: Type.Literal('model'),
  display_name: Type.String(),
  created_at: Type.String()
})
export type Model = Static<typeof ModelSchema>

/** OpenAI's list (`object`, `data`) and Anthropic's page (`data`, `has_more`, `first_id`, `last_id`) at once. */
export const ModelListSchema = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ModelSchema),
  has_more: Type.Boolean(),
  first_id: Type.Union([Type.String(), Type.Null()]),
  last_id: Type.Union([Type.String(), Type.Null()])
})
export type ModelList = Static<typeof ModelListSchema>

export const ModelParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) })
export type ModelParams = Static<typeof ModelParamsSchema>

/** Anthropic's list paging; without it the whole list is one page. */
export const ModelListQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  after_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  before_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 }))
})
export type ModelListQuery = Static<typeof ModelListQuerySchema>
