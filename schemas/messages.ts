import { Type, type Static } from 'typebox'

// The pass-through relays Anthropic's bytes, so these schemas describe the answers (for
// /openapi.json) and never reshape one: unknown fields are kept, and a relayed body is a stream,
// which Fastify does not serialise.
const open = { additionalProperties: true }

export const MessageSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('message'),
  role: Type.Literal('assistant'),
  model: Type.String(),
  content: Type.Array(Type.Object({ type: Type.String() }, open)),
  stop_reason: Type.Union([Type.String(), Type.Null()]),
  stop_sequence: Type.Union([Type.String(), Type.Null()]),
  usage: Type.Object({ input_tokens: Type.Integer(), output_tokens: Type.Integer() }, open)
}, { ...open, description: 'An Anthropic Message as the upstream sent it; with "stream": true, the upstream\'s server-sent events instead' })
export type Message = Static<typeof MessageSchema>

export const TokenCountSchema = Type.Object({ input_tokens: Type.Integer() }, open)
export type TokenCount = Static<typeof TokenCountSchema>
