import { Type, type Static } from 'typebox'

export const ErrorResponseSchema = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String(),
    param: Type.Union([Type.String(), Type.Null()]),
    code: Type.Union([Type.String(), Type.Null()]),
    /** The x-request-id of the answer: what to quote when reporting a problem. */
    request_id: Type.Optional(Type.String())
  })
})
export type ErrorResponse = Static<typeof ErrorResponseSchema>

/** Every status the API routes can answer with besides 200 (402 and 409 come from the upstream, 415 from the body parser). */
export const errorResponses = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  402: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
  413: ErrorResponseSchema,
  415: ErrorResponseSchema,
  429: ErrorResponseSchema,
  500: ErrorResponseSchema,
  502: ErrorResponseSchema,
  503: ErrorResponseSchema,
  504: ErrorResponseSchema
}

export const AnthropicErrorSchema = Type.Object({
  type: Type.Literal('error'),
  error: Type.Object({ type: Type.String(), message: Type.String() }),
  request_id: Type.String()
})
export type AnthropicError = Static<typeof AnthropicErrorSchema>

const AnyErrorSchema = Type.Union([ErrorResponseSchema, AnthropicErrorSchema])

/** The same error schema for every status of `errorResponses`. */
function forEveryErrorStatus<T> (schema: T): Record<keyof typeof errorResponses, T> {
  return Object.fromEntries(Object.keys(errorResponses).map((status) => [status, schema])) as Record<keyof typeof errorResponses, T>
}

/** For routes both kinds of client call: the error is in either shape. */
export const anyErrorResponses = forEveryErrorStatus(AnyErrorSchema)

/** For the Messages routes: Anthropic's shape only. */
export const anthropicErrorResponses = forEveryErrorStatus(AnthropicErrorSchema)
