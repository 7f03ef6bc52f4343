import { Type, type Static } from 'typebox'

export const ModelSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
  display_name: Type.Optional(Type.String())
})
export type Model = Static<typeof ModelSchema>

export const ModelListSchema = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ModelSchema)
})
export type ModelList = Static<typeof ModelListSchema>

export const ModelParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) })
export type ModelParams = Static<typeof ModelParamsSchema>
