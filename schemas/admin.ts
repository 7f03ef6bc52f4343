import { Type, type Static } from 'typebox'
import { GroupSpendSchema, NAME_PATTERN, RateLimitsSchema, SpendCapsSchema } from './teams.js'

const Name = Type.String({ pattern: NAME_PATTERN })
const Models = Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }), Type.Null()])
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const NameParamsSchema = Type.Object({ name: Name })

export const ClientCreateSchema = Type.Object({
  name: Name,
  group: Type.Optional(Nullable(Name)),
  models: Type.Optional(Models),
  expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  disabled: Type.Optional(Type.Boolean()),
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(SpendCapsSchema)
}, { additionalProperties: false })
export type ClientCreate = Static<typeof ClientCreateSchema>

export const ClientPatchSchema = Type.Object({
  group: Type.Optional(Nullable(Name)),
  models: Type.Optional(Models),
  expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  disabled: Type.Optional(Type.Boolean()),
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(SpendCapsSchema)
}, { additionalProperties: false })
export type ClientPatch = Static<typeof ClientPatchSchema>

export const KeyViewSchema = Type.Object({
  label: Type.String(),
  created_at: Type.String(),
  /** Set while a rotated-out key runs out its grace period. */
  expires_at: Nullable(Type.String())
})

export const ClientViewSchema = Type.Object({
  name: Type.String(),
  /** `config`: declared in config.yaml (read-only here); `admin`: created through this API. */
  source: Type.Union([Type.Literal('config'), Type.Literal('admin')]),
  group: Nullable(Type.String()),
  models: Models,
  expires_at: Nullable(Type.String()),
  disabled: Type.Boolean(),
  limits: RateLimitsSchema,
  spend: SpendCapsSchema,
  keys: Type.Array(KeyViewSchema),
  created_at: Nullable(Type.String()),
  updated_at: Nullable(Type.String())
})
export type ClientView = Static<typeof ClientViewSchema>

export const ClientCreatedSchema = Type.Intersect([ClientViewSchema, Type.Object({ key: Type.String({ description: 'The new key, shown only in this answer' }) })])
export const ClientListSchema = Type.Object({ data: Type.Array(ClientViewSchema) })

export const RotateBodySchema = Type.Object({
  /** How long the old key keeps working; 0 (the default) stops it at once. At most 30 days. */
  grace_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 2592000 }))
}, { additionalProperties: false })
export const RotatedSchema = Type.Object({
  name: Type.String(),
  key: Type.String({ description: 'The new key, shown only in this answer' }),
  previous_keys_expire_at: Nullable(Type.String())
})

export const GroupCreateSchema = Type.Object({
  name: Name,
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(GroupSpendSchema)
}, { additionalProperties: false })
export type GroupCreate = Static<typeof GroupCreateSchema>
export const GroupPatchSchema = Type.Object({
  limits: Type.Optional(RateLimitsSchema),
  spend: Type.Optional(GroupSpendSchema)
}, { additionalProperties: false })
export type GroupPatch = Static<typeof GroupPatchSchema>
export const GroupViewSchema = Type.Object({
  name: Type.String(),
  source: Type.Union([Type.Literal('config'), Type.Literal('admin')]),
  limits: RateLimitsSchema,
  spend: GroupSpendSchema,
  members: Type.Array(Type.String()),
  created_at: Nullable(Type.String()),
  updated_at: Nullable(Type.String())
})
export type GroupView = Static<typeof GroupViewSchema>
export const GroupListSchema = Type.Object({ data: Type.Array(GroupViewSchema) })

export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  before_id: Type.Optional(Type.Integer({ minimum: 1 }))
})
export const AuditEntrySchema = Type.Object({
  id: Type.Optional(Type.Integer()),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown())
})
export const AuditListSchema = Type.Object({ data: Type.Array(AuditEntrySchema) })

export const DeletedSchema = Type.Object({ name: Type.String(), deleted: Type.Literal(true) })

// Anthropic's Admin API shape for spend limits.
const Period = Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly')])
export const SpendScopeSchema = Type.Union([
  Type.Object({ type: Type.Literal('user'), user_id: Name }),
  Type.Object({ type: Type.Literal('rbac_group'), rbac_group_id: Name }),
  Type.Object({ type: Type.Literal('organization') })
])
export type SpendScope = Static<typeof SpendScopeSchema>
export const SpendLimitBodySchema = Type.Object({
  scope: SpendScopeSchema,
  /** Whole US cents as a string, or null for explicitly uncapped. */
  amount: Nullable(Type.String({ pattern: '^[0-9]{1,9}$' })),
  period: Period,
  /** Group scope only: the cap is one budget the members share. */
  pooled: Type.Optional(Type.Boolean())
})
export type SpendLimitBody = Static<typeof SpendLimitBodySchema>
export const SpendLimitSchema = Type.Object({
  type: Type.Literal('spend_limit'),
  id: Type.String(),
  scope: SpendScopeSchema,
  amount: Nullable(Type.String()),
  currency: Type.Literal('USD'),
  period: Period,
  pooled: Type.Optional(Type.Boolean())
})
export type SpendLimit = Static<typeof SpendLimitSchema>
export const SpendLimitListSchema = Type.Object({
  data: Type.Array(SpendLimitSchema),
  has_more: Type.Boolean(),
  first_id: Nullable(Type.String()),
  last_id: Nullable(Type.String())
})
export const SpendLimitParamsSchema = Type.Object({ id: Type.String({ maxLength: 200 }) })
export const SpendLimitDeletedSchema = Type.Object({ id: Type.String(), type: Type.Literal('spend_limit_deleted') })
