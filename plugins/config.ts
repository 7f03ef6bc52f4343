import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fastifyEnv from '@fastify/env'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { load as loadYaml } from 'js-yaml'
import { Compile } from 'typebox/compile'
import { apiKeyProblem, isWebSessionKey } from '../lib/anthropic/api-keys.js'
import type { KeyRouting } from '../lib/key-pool.js'
import { keyLabel, parseKeySpecs, type KeySpec } from '../lib/pool/key-spec.js'
import { parseTrustProxy, type TrustProxy } from '../lib/ops/client-address.js'
import type { CapabilityRule } from '../lib/anthropic/capabilities.js'
import { ModelAliases } from '../lib/anthropic/model-aliases.js'
import type { ThinkingFormat } from '../lib/chat/translate-response.js'
import type { UnsupportedFieldPolicy } from '../lib/core/unsupported-fields.js'
import { tracesUrl } from '../lib/ops/tracing.js'
import { checkClientKeys } from '../lib/config/client-keys.js'
import { quoteConfigLines } from '../lib/config/quoted-config.js'
import { findUnknownSetting } from '../lib/config/unknown-settings.js'
import { CapabilityRulesSchema, ConfigSchema, ConfigSections, KNOWN_SETTINGS, type RawConfig } from '../schemas/config.js'
import { parsePriceOverrides } from '../lib/ledger/price-overrides.js'
import type { PriceEntry } from '../lib/ledger/prices.js'
import { parseTeamsConfig, type TeamsConfig } from '../lib/clients/teams-config.js'

export interface GatewayConfig {
  /** The pool's secrets, in the listed order (for redaction and sealing). */
  upstreamKeys: string[]
  /** The same keys with their names, weights, priorities and concurrency caps. */
  poolKeys: KeySpec[]
  /** KEY_MAX_CONCURRENCY: requests one key serves at once on one instance (0: no cap). */
  keyMaxConcurrency: number
  baseUrl: string
  anthropicVersion: string
  anthropicBeta: string | undefined
  clientKeys: string[]
  host: string
  port: number
  proxy: string | undefined
  retryCount: number
  mirror: {
    enabled: boolean
    prefix: string
    /** Largest body on mirror routes (anyone with an Anthropic key may call them). */
    bodyLimit: number
    /** Requests per minute per client address. */
    ratePerMinute: number
    /** Mirror requests in flight at once on this instance. */
    maxConcurrent: number
    /** Mirror requests in flight at once from one client address. */
    maxConcurrentPerAddress: number
  }
  /** Which proxies' X-Forwarded-For to believe about a caller's address (Fastify's trustProxy). */
  trustProxy: TrustProxy
  maxHistoryChars: number
  defaultMaxTokens: number | undefined
  logLevel: string
  thinkingFormat: ThinkingFormat
  unsupportedFields: UnsupportedFieldPolicy
  autoCache: boolean
  bodyLimit: number
  timeouts: { connect: number; firstByte: number; idle: number; total: number }
  shutdownGraceMs: number
  modelsCacheSeconds: number
  thinkingTtlSeconds: number
  /** Shared state; undefined keeps everything in this process's memory. */
  redis: { url: string; prefix: string; timeoutMs: number } | undefined
  keyRecheckSeconds: number
  keyStateRefreshMs: number
  affinityTtlSeconds: number
  /** KEY_ROUTING: session affinity and headroom (default), affinity alone, or plain round-robin. */
  keyRouting: KeyRouting
  capabilityOverrides: CapabilityRule[]
  /** MODEL_ALIASES: what clients ask for → what the keys can use, on every route. */
  modelAliases: ModelAliases
  responses: {
    ttlSeconds: number
    secret: string | undefined
    keepAliveMs: number
    /** WebSocket mode on GET /v1/responses: on/off, longest silence of an open socket, open sockets per client key. */
    websocket: { enabled: boolean; idleMs: number; perClient: number }
  }
  /** WEB_SEARCH: Responses' web_search tool and chat's web_search_options become Anthropic's web search. */
  webSearch: boolean
  /** Mean event-loop delay above which new requests get 503 (0: never). */
  maxEventLoopDelayMs: number
  /** Time a request (headers and body) has to arrive in full. */
  bodyTimeoutMs: number
  /** /metrics without a client key (for scrapers inside a private network). */
  metricsPublic: boolean
  /** The address clients reach the gateway at, for the status page's connection examples; else taken from the request. */
  publicBaseUrl: string | undefined
  /** OpenTelemetry traces over OTLP/HTTP; undefined when no endpoint is set (tracing off). */
  tracing: { url: string; serviceName: string; exportDelayMs: number } | undefined
  /** DATA_DIR: where the SQLite store lives (unless DATABASE_URL names a PostgreSQL one). */
  dataDir: string
  databaseUrl: string | undefined
  /** Ledger rows older than this many days are deleted daily (0: kept for ever). */
  ledgerRetentionDays: number
  /** PRICES: entries that replace or add to the built-in price table. */
  prices: PriceEntry[]
  /** Named clients, groups and the organisation default from CLIENTS / GROUPS / ORGANIZATION; admin keys. */
  teams: TeamsConfig
}

export interface ConfigPluginOptions {
  /** Raw settings to use instead of config.yaml and the environment (tests). */
  configData?: Record<string, unknown>
}

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig
  }
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(`Invalid configuration: ${message}`)
    this.name = 'ConfigError'
  }
}

const checkCapabilityRules = Compile(CapabilityRulesSchema)

/** config.yaml (or CONFIG_FILE) wins; without it the environment (and .env) is read. */
export function readConfigSource (env: NodeJS.ProcessEnv = process.env): { data: Record<string, unknown> | undefined; origin: string } {
  const file = resolve(env.CONFIG_FILE ?? 'config.yaml')
  if (!existsSync(file)) {
    if (env.CONFIG_FILE) throw new ConfigError(`CONFIG_FILE ${file} does not exist`)
    return { data: undefined, origin: 'environment' }
  }
  const text = readFileSync(file, 'utf8')
  let parsed: unknown
  try {
    parsed = loadYaml(text)
  } catch (error) {
    throw new ConfigError(describeYamlError(file, text, error as YamlError))
  }
  if (parsed === null || parsed === undefined) return { data: {}, origin: file }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${file} must hold a mapping of settings`)
  refuseUnknownSettings(parsed as Record<string, unknown>, file)
  return { data: normalizeYaml(parsed as Record<string, unknown>), origin: file }
}

interface YamlError extends Error { reason?: string; mark?: { line: number; column: number } }

/** Top-level settings whose value a quoted line may show: known, and not a nested section (those may hold client keys). */
function showsValueOf (setting: string): boolean {
  return Object.hasOwn(ConfigSchema.properties, setting) && !Object.hasOwn(ConfigSections, setting)
}

/** The parser's reason and position, and the lines up to it with every secret-looking value hidden (the parser's own quote would show them). */
function describeYamlError (file: string, text: string, error: YamlError): string {
  if (error.mark === undefined) return `${file} is not valid YAML: ${error.reason ?? 'it cannot be read'}`
  const { line, column } = error.mark
  return `${file} is not valid YAML: ${error.reason ?? 'syntax error'} at line ${line + 1}, column ${column + 1}\n${quoteConfigLines(text, line, showsValueOf)}`
}

/** A setting no schema knows (a typo, or one that does not exist) stops start-up, naming the nearest known one. */
function refuseUnknownSettings (data: Record<string, unknown>, origin: string): void {
  const unknown = findUnknownSetting(data, KNOWN_SETTINGS, ConfigSections)
  if (unknown === undefined) return
  throw new ConfigError(`${unknown.path} is not a setting (in ${origin})${unknown.suggestion === undefined ? '; the settings are listed in README.md' : `; did you mean ${unknown.suggestion}?`}`)
}

/** YAML keys may be written in any case; lists stand for comma-separated values, sections for JSON text. */
function normalizeYaml (yamlData: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(yamlData)) {
    const name = key.toUpperCase()
    if (Object.hasOwn(ConfigSections, name) && typeof value === 'object') data[name] = JSON.stringify(value)
    else data[name] = Array.isArray(value) ? value.join(',') : value
  }
  return data
}

function splitList (value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean)
}

const DEFAULT_PORT = 8080
const HOST = /^[^\s/?#@]+$/

/** `host:port`, `host` (port 8080), `:port`, `[v6]:port`, `[v6]` or a bare IPv6 address; PORT wins over the port given here. */
export function parseAddress (address: string, port: number | undefined): { host: string; port: number } {
  const invalid = (what: string): ConfigError => new ConfigError(`ADDRESS '${address}' ${what}: write host:port, e.g. 127.0.0.1:8080, or just a host`)
  const trimmed = address.trim()
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed)
  let host: string
  let portText: string | undefined
  if (bracketed) [host, portText] = [bracketed[1], bracketed[2]]
  else if (trimmed.split(':').length === 2) [host, portText] = trimmed.split(':')
  else [host, portText] = [trimmed, undefined]
  if (host === '' && portText !== undefined) host = '0.0.0.0'
  if (!HOST.test(host)) throw invalid('has no valid host')
  if (port !== undefined) return { host, port }
  if (portText === undefined) return { host, port: DEFAULT_PORT }
  const listenPort = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(listenPort >= 0 && listenPort <= 65535)) throw invalid('has an invalid port')
  return { host, port: listenPort }
}

interface SchemaIssue { instancePath?: string; keyword?: string; message?: string; params?: { allowedValues?: unknown[]; missingProperty?: string } }

/** One sentence per failed setting, naming the field and, for a choice, the values allowed (never the value given: it may be a secret). */
function describeSchemaError (error: Error & { errors?: SchemaIssue[] }): string {
  const issue = error.errors?.[0]
  if (!issue) return error.message.replace(/env\//g, '')
  const field = issue.instancePath?.replace(/^\//, '') || issue.params?.missingProperty || 'a setting'
  if (issue.keyword === 'enum' && Array.isArray(issue.params?.allowedValues)) return `${field} must be one of: ${issue.params.allowedValues.join(', ')}`
  return `${field} ${issue.message ?? 'is invalid'}`
}

function parseCapabilityRules (raw: string | undefined): CapabilityRule[] {
  if (!raw) return []
  let rules: unknown
  try {
    rules = JSON.parse(raw)
  } catch {
    throw new ConfigError('MODEL_CAPABILITIES must be a JSON (or YAML) list of rules')
  }
  if (!checkCapabilityRules.Check(rules)) {
    const first = checkCapabilityRules.Errors(rules)[0]
    throw new ConfigError(`MODEL_CAPABILITIES${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`)
  }
  for (const rule of rules) {
    try {
      RegExp(rule.match)
    } catch {
      throw new ConfigError(`MODEL_CAPABILITIES match '${rule.match}' is not a valid regular expression`)
    }
  }
  return rules
}

function parsePrices (raw: string | undefined): PriceEntry[] {
  try {
    return parsePriceOverrides(raw)
  } catch (error) {
    throw new ConfigError(`PRICES: ${(error as Error).message}`)
  }
}

function parseModelAliases (raw: string | undefined): ModelAliases {
  try {
    return ModelAliases.parse(raw)
  } catch (error) {
    throw new ConfigError(`MODEL_ALIASES: ${(error as Error).message}`)
  }
}

function upstreamKeysOf (raw: RawConfig, warn: (message: string) => void): KeySpec[] {
  let field = 'ANTHROPIC_API_KEYS'
  let entries = splitList(raw.ANTHROPIC_API_KEYS)
  if (entries.length === 0 && raw.SESSIONS) {
    field = 'SESSIONS'
    entries = splitList(raw.SESSIONS)
    warn('SESSIONS is deprecated: rename it to ANTHROPIC_API_KEYS')
  }
  let specs: KeySpec[]
  try {
    specs = parseKeySpecs(entries)
  } catch (error) {
    throw new ConfigError(`${field}: ${(error as Error).message}`)
  }
  if (specs.some((spec) => isWebSessionKey(spec.secret))) {
    throw new ConfigError(`${field} holds a claude.ai web session key (sk-ant-sid…); only Anthropic API keys (sk-ant-api…) are supported`)
  }
  for (const spec of specs) {
    const problem = apiKeyProblem(spec.secret)
    if (problem) warn(`${field}: ${keyLabel(spec.secret, spec.name)} will be refused upstream: ${problem}; put a key from the Anthropic Console in its place`)
  }
  return specs
}

function trustProxyOf (raw: string | undefined): TrustProxy {
  try {
    return parseTrustProxy(raw)
  } catch (error) {
    throw new ConfigError(`TRUST_PROXY must be false, true, a number of proxy hops or a comma-separated list of proxy addresses or ranges: ${(error as Error).message}`)
  }
}

/** Turns validated raw settings into the gateway's configuration, checking the rules between fields. */
export function buildConfig (raw: RawConfig, warn: (message: string) => void = () => {}): GatewayConfig {
  const poolKeys = upstreamKeysOf(raw, warn)
  const upstreamKeys = poolKeys.map((spec) => spec.secret)
  const clientKeys = splitList(raw.APIKEY)
  const teams = teamsOf(raw)
  if (clientKeys.length === 0 && teams.clients.length === 0 && teams.adminKeys.length === 0) {
    throw new ConfigError('APIKEY is required: the comma-separated keys clients must present (or named CLIENTS, or ADMIN_KEYS to create clients at run time)')
  }
  const clientKeyProblems = checkClientKeys('APIKEY', clientKeys)
  if (clientKeyProblems.refused.length > 0) throw new ConfigError(clientKeyProblems.refused[0])
  clientKeyProblems.warned.forEach(warn)
  const prefix = (raw.MIRROR_API_PREFIX ?? '').trim().replace(/\/+$/, '')
  if (raw.ENABLE_MIRROR_API && (prefix === '' || !prefix.startsWith('/'))) {
    throw new ConfigError("MIRROR_API_PREFIX is required when ENABLE_MIRROR_API is on, must start with '/' and must not be '/'")
  }
  if (!raw.ENABLE_MIRROR_API && upstreamKeys.length === 0) {
    throw new ConfigError('ANTHROPIC_API_KEYS is required (comma-separated Anthropic API keys) unless ENABLE_MIRROR_API is on')
  }
  return {
    upstreamKeys,
    poolKeys,
    keyMaxConcurrency: raw.KEY_MAX_CONCURRENCY,
    baseUrl: raw.ANTHROPIC_BASE_URL.replace(/\/+$/, ''),
    anthropicVersion: raw.ANTHROPIC_VERSION,
    anthropicBeta: raw.ANTHROPIC_BETA,
    clientKeys,
    ...parseAddress(raw.ADDRESS, raw.PORT),
    proxy: raw.PROXY,
    retryCount: raw.RETRY_COUNT ?? Math.max(1, Math.min(upstreamKeys.length, 5)),
    mirror: { enabled: raw.ENABLE_MIRROR_API, prefix, bodyLimit: Math.min(raw.MIRROR_BODY_LIMIT, raw.BODY_LIMIT), ratePerMinute: raw.MIRROR_RATE_LIMIT, maxConcurrent: raw.MIRROR_MAX_CONCURRENT, maxConcurrentPerAddress: raw.MIRROR_MAX_CONCURRENT_PER_ADDRESS },
    trustProxy: trustProxyOf(raw.TRUST_PROXY),
    maxHistoryChars: raw.MAX_CHAT_HISTORY_LENGTH,
    defaultMaxTokens: raw.DEFAULT_MAX_TOKENS,
    logLevel: raw.LOG_LEVEL,
    thinkingFormat: raw.THINKING_FORMAT,
    unsupportedFields: raw.UNSUPPORTED_FIELDS,
    autoCache: raw.AUTO_CACHE,
    bodyLimit: raw.BODY_LIMIT,
    timeouts: { connect: raw.CONNECT_TIMEOUT_MS, firstByte: raw.FIRST_BYTE_TIMEOUT_MS, idle: raw.IDLE_TIMEOUT_MS, total: raw.TOTAL_TIMEOUT_MS },
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    modelsCacheSeconds: raw.MODELS_CACHE_SECONDS,
    thinkingTtlSeconds: raw.THINKING_TTL_SECONDS,
    redis: raw.REDIS_URL ? { url: raw.REDIS_URL, prefix: raw.REDIS_PREFIX, timeoutMs: raw.REDIS_TIMEOUT_MS } : undefined,
    keyRecheckSeconds: raw.KEY_RECHECK_SECONDS,
    keyStateRefreshMs: raw.KEY_STATE_REFRESH_MS,
    affinityTtlSeconds: raw.AFFINITY_TTL_SECONDS,
    keyRouting: raw.KEY_ROUTING,
    capabilityOverrides: parseCapabilityRules(raw.MODEL_CAPABILITIES),
    responses: {
      ttlSeconds: raw.RESPONSES_TTL_SECONDS,
      secret: raw.RESPONSES_SECRET,
      keepAliveMs: raw.SSE_KEEPALIVE_MS,
      websocket: { enabled: raw.RESPONSES_WEBSOCKET, idleMs: raw.RESPONSES_WEBSOCKET_IDLE_MS, perClient: raw.RESPONSES_WEBSOCKET_PER_CLIENT }
    },
    webSearch: raw.WEB_SEARCH,
    maxEventLoopDelayMs: raw.MAX_EVENT_LOOP_DELAY_MS,
    metricsPublic: raw.METRICS_PUBLIC,
    publicBaseUrl: raw.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    modelAliases: parseModelAliases(raw.MODEL_ALIASES),
    dataDir: raw.DATA_DIR,
    databaseUrl: raw.DATABASE_URL,
    ledgerRetentionDays: raw.LEDGER_RETENTION_DAYS,
    prices: parsePrices(raw.PRICES),
    bodyTimeoutMs: raw.BODY_TIMEOUT_MS,
    tracing: tracingSettings(raw),
    teams
  }
}

function teamsOf (raw: RawConfig): TeamsConfig {
  try {
    return parseTeamsConfig({
      clients: raw.CLIENTS,
      groups: raw.GROUPS,
      organization: raw.ORGANIZATION,
      adminKeys: splitList(raw.ADMIN_KEYS),
      adminReadKeys: splitList(raw.ADMIN_READ_KEYS),
      enforcement: raw.ENFORCEMENT
    })
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
}

function tracingSettings (raw: RawConfig): GatewayConfig['tracing'] {
  const url = tracesUrl(raw.OTEL_EXPORTER_OTLP_ENDPOINT, raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  return url === undefined ? undefined : { url, serviceName: raw.OTEL_SERVICE_NAME, exportDelayMs: raw.OTEL_BSP_SCHEDULE_DELAY }
}

async function configPlugin (fastify: FastifyInstance, options: ConfigPluginOptions): Promise<void> {
  const source = options.configData ? { data: options.configData, origin: 'options' } : readConfigSource()
  if (options.configData) refuseUnknownSettings(options.configData, source.origin)
  try {
    await fastify.register(fastifyEnv, {
      confKey: 'rawConfig',
      schema: ConfigSchema as unknown as object,
      data: source.data,
      // With a config file (or test settings) the environment is not read at all.
      env: source.data === undefined,
      dotenv: source.data === undefined
    })
  } catch (error) {
    throw new ConfigError(`${describeSchemaError(error as Error)} (from ${source.origin})`)
  }
  const raw = (fastify as unknown as { rawConfig: RawConfig }).rawConfig
  fastify.decorate('config', buildConfig(raw, (message) => fastify.log.warn(message)))
  fastify.log.level = fastify.config.logLevel
  if (!options.configData) logConfigSource(fastify, source.origin, process.env)
}

/** Environment variables that name a setting: the ones a config file makes the gateway ignore. */
export function shadowedVariables (env: NodeJS.ProcessEnv): string[] {
  return Object.keys(ConfigSchema.properties).filter((name) => env[name] !== undefined)
}

/** Once at start-up: where the settings came from, and what a config file made the gateway ignore (names only). */
function logConfigSource (fastify: FastifyInstance, origin: string, env: NodeJS.ProcessEnv): void {
  if (origin === 'environment') {
    fastify.log.info(`configuration read from the environment${existsSync('.env') ? ' and .env' : ''} (there is no config.yaml)`)
    return
  }
  fastify.log.info(`configuration read from ${origin}; the environment and .env are not read`)
  const shadowed = shadowedVariables(env)
  if (shadowed.length > 0) {
    fastify.log.warn(`${origin} wins over the environment: ${shadowed.join(', ')} ${shadowed.length === 1 ? 'is' : 'are'} set in the environment and ignored; put ${shadowed.length === 1 ? 'it' : 'them'} in ${origin} or remove the file`)
  }
}

export default fp(configPlugin, { name: 'config', fastify: '5.x' })
