import { Type, type Static } from 'typebox'

/** Client and group names: shown in logs, metrics and reports, so short and plain. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$'
const Name = Type.String({ pattern: NAME_PATTERN })
/** A bound on every client-given list. */
const MAX_MODELS = 100
const MAX_KEYS = 20
const Limit = Type.Union([Type.Integer({ minimum: 1, maximum: 1e12 }), Type.Null()])
// At most $1M a period: nano-dollar counters then stay exact in a double.
const Cents = Type.Union([Type.Integer({ minimum: 0, maximum: 100000000 }), Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })

export const RateLimitsSchema = Type.Object({
  rpm: Type.Optional(Limit),
  input_tpm: Type.Optional(Limit),
  output_tpm: Type.Optional(Limit),
  concurrency: Type.Optional(Limit)
}, { additionalProperties: false })

export const SpendCapsSchema = Type.Object({
  daily: Type.Optional(Cents),
  weekly: Type.Optional(Cents),
  monthly: Type.Optional(Cents)
}, { additionalProperties: false })

export const GroupSpendSchema = Type.Object({
  daily: Type.Optional(Cents),
  weekly: Type.Optional(Cents),
  monthly: Type.Optional(Cents),
  pooled: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

const Models = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: MAX_MODELS })

/** A client in config.yaml: keys in plaintext or as `sha256:<hex>` digests. */
export const ClientConfigSchema = Type.Object({
  name: Name,
  key: Type.Optional(Type.String({ minLength: 8 })),
  key_sha256: Type.Optional(Type.String({ pattern: '^(sha256:)?[0-9a-fA-F]{64}$' })),
  keys: Type.Optional(Type.Array(Type.String({ minLength: 8 }), { maxItems: MAX_KEYS })),
  group: Type.Optional(Name),
  models: Type.Optional(Models),
  expires_at: Type.Optional(Timestamp),
  disabled: Type.Optional(Type.Boolean()),
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(SpendCapsSchema)
}, { additionalProperties: false })
export type ClientConfig = Static<typeof ClientConfigSchema>

export const GroupConfigSchema = Type.Object({
  name: Name,
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(GroupSpendSchema)
}, { additionalProperties: false })
export type GroupConfig = Static<typeof GroupConfigSchema>

export const OrganizationConfigSchema = Type.Object({
  spend: Type.Optional(SpendCapsSchema)
}, { additionalProperties: false })
export type OrganizationConfig = Static<typeof OrganizationConfigSchema>

export const ClientsConfigSchema = Type.Array(ClientConfigSchema, { maxItems: 10000 })
export const GroupsConfigSchema = Type.Array(GroupConfigSchema, { maxItems: 1000 })
