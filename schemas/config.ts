import { ClientsConfigSchema, GroupsConfigSchema, OrganizationConfigSchema } from './teams.js'
import { PriceOverridesSchema } from './prices.js'
import { Type, type Static, type TSchema } from 'typebox'

const Bool = Type.Boolean()
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const PositiveInt = Type.Integer({ minimum: 1 })

/** One schema for both sources: config.yaml (same names, any case) and environment variables. */
export const ConfigSchema = Type.Object({
  ANTHROPIC_API_KEYS: Type.Optional(Type.String()),
  SESSIONS: Type.Optional(Type.String()),
  ANTHROPIC_BASE_URL: Type.String({ default: 'https://api.anthropic.com', pattern: '^https?://' }),
  ANTHROPIC_VERSION: Type.String({ default: '2023-06-01' }),
  ANTHROPIC_BETA: Type.Optional(Type.String()),
  APIKEY: Type.Optional(Type.String()),
  ADDRESS: Type.String({ default: '0.0.0.0:8080' }),
  PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  PROXY: Type.Optional(Type.String({ pattern: '^(https?|socks5h?)://' })),
  RETRY_COUNT: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  ENABLE_MIRROR_API: Type.Boolean({ default: false }),
  MIRROR_API_PREFIX: Type.Optional(Type.String()),
  MAX_CHAT_HISTORY_LENGTH: Type.Integer({ default: 0, minimum: 0 }),
  DEFAULT_MAX_TOKENS: Type.Optional(PositiveInt),
  LOG_LEVEL: Type.Enum(LOG_LEVELS, { default: 'info' }),
  THINKING_FORMAT: Type.Enum(['reasoning_content', 'think-tags'], { default: 'reasoning_content' }),
  UNSUPPORTED_FIELDS: Type.Enum(['error', 'drop'], { default: 'error' }),
  AUTO_CACHE: { ...Bool, default: true },
  BODY_LIMIT: Type.Integer({ default: 33554432, minimum: 1024 }),
  CONNECT_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 1 }),
  FIRST_BYTE_TIMEOUT_MS: Type.Integer({ default: 600000, minimum: 1 }),
  IDLE_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1 }),
  TOTAL_TIMEOUT_MS: Type.Integer({ default: 1800000, minimum: 1 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 15000, minimum: 0 }),
  MODELS_CACHE_SECONDS: Type.Integer({ default: 300, minimum: 0 }),
  THINKING_TTL_SECONDS: Type.Integer({ default: 86400, minimum: 60 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_PREFIX: Type.String({ default: 'claude2api:' }),
  REDIS_TIMEOUT_MS: Type.Integer({ default: 50, minimum: 1, maximum: 10000 }),
  KEY_RECHECK_SECONDS: Type.Integer({ default: 300, minimum: 0 }),
  KEY_STATE_REFRESH_MS: Type.Integer({ default: 1000, minimum: 10 }),
  KEY_MAX_CONCURRENCY: Type.Integer({ default: 0, minimum: 0, maximum: 100000 }),
  AFFINITY_TTL_SECONDS: Type.Integer({ default: 3600, minimum: 0 }),
  KEY_ROUTING: Type.Enum(['headroom', 'affinity', 'round-robin'], { default: 'headroom' }),
  MODEL_CAPABILITIES: Type.Optional(Type.String()),
  RESPONSES_TTL_SECONDS: Type.Integer({ default: 604800, minimum: 1 }),
  RESPONSES_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  WEB_SEARCH: { ...Bool, default: false },
  SSE_KEEPALIVE_MS: Type.Integer({ default: 15000, minimum: 10 }),
  RESPONSES_WEBSOCKET: { ...Bool, default: true },
  RESPONSES_WEBSOCKET_IDLE_MS: Type.Integer({ default: 600000, minimum: 10 }),
  RESPONSES_WEBSOCKET_PER_CLIENT: Type.Integer({ default: 32, minimum: 1 }),
  // Hardening (issue 11): load shedding, mirror-mode bounds, body deadline.
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: 1000, minimum: 0 }),
  MIRROR_BODY_LIMIT: Type.Integer({ default: 8388608, minimum: 1024 }),
  MIRROR_RATE_LIMIT: Type.Integer({ default: 60, minimum: 1 }),
  MIRROR_MAX_CONCURRENT: Type.Integer({ default: 16, minimum: 1 }),
  MIRROR_MAX_CONCURRENT_PER_ADDRESS: Type.Integer({ default: 4, minimum: 1 }),
  TRUST_PROXY: Type.Optional(Type.String()),
  BODY_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1 }),
  METRICS_PUBLIC: Type.Boolean({ default: false }),
  PUBLIC_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MODEL_ALIASES: Type.Optional(Type.String()),
  // OpenTelemetry's own variable names, so the usual deployment settings carry over.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_SERVICE_NAME: Type.String({ default: 'claude2api', minLength: 1 }),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ default: 5000, minimum: 1 }),
  // Usage ledger (issue 16): where it is stored, how long rows are kept, prices over the built-in table.
  DATA_DIR: Type.String({ default: './data' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  LEDGER_RETENTION_DAYS: Type.Integer({ default: 400, minimum: 0 }),
  PRICES: Type.Optional(Type.String()),
  // Teams (issue 16): named clients, groups and the organisation default, as JSON (a list or
  // mapping in config.yaml); admin keys; what to do when limit counters cannot be read.
  CLIENTS: Type.Optional(Type.String()),
  GROUPS: Type.Optional(Type.String()),
  ORGANIZATION: Type.Optional(Type.String()),
  ADMIN_KEYS: Type.Optional(Type.String()),
  ADMIN_READ_KEYS: Type.Optional(Type.String()),
  ENFORCEMENT: Type.Enum(['open', 'closed'], { default: 'open' })
})
export type RawConfig = Static<typeof ConfigSchema>

export const CapabilityRuleSchema = Type.Object({
  match: Type.String({ minLength: 1 }),
  thinking: Type.Optional(Type.Enum(['budget', 'adaptive', 'both', 'none'])),
  thinkingAlwaysOn: Type.Optional(Type.Boolean()),
  thinkingOnByDefault: Type.Optional(Type.Boolean()),
  thinkingHiddenByDefault: Type.Optional(Type.Boolean()),
  efforts: Type.Optional(Type.Array(Type.String())),
  structuredOutputs: Type.Optional(Type.Boolean()),
  maxOutputTokens: Type.Optional(PositiveInt),
  defaultMaxTokens: Type.Optional(PositiveInt),
  samplingLocked: Type.Optional(Type.Boolean()),
  temperatureOrTopP: Type.Optional(Type.Boolean()),
  prefill: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export const CapabilityRulesSchema = Type.Array(CapabilityRuleSchema)

/**
 * Settings that config.yaml writes as nested YAML (lists, mappings), each with the schema of its
 * structure; ConfigSchema holds them as JSON text, the environment's form. A section declared
 * here is a known setting, and keys inside it that its schema does not name are refused at start-up.
 */
export const ConfigSections: Readonly<Record<string, TSchema>> = {
  MODEL_CAPABILITIES: CapabilityRulesSchema,
  CLIENTS: ClientsConfigSchema,
  GROUPS: GroupsConfigSchema,
  ORGANIZATION: OrganizationConfigSchema,
  PRICES: PriceOverridesSchema
}

/** Every name config.yaml may use at the top level (in any case): the schema's settings and the sections. */
export const KNOWN_SETTINGS: readonly string[] = [...new Set([...Object.keys(ConfigSchema.properties), ...Object.keys(ConfigSections)])]
