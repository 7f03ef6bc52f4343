/**
 * A strict stand-in for Anthropic's Messages API, served over real HTTP on loopback so the
 * gateway's tests exercise its real HTTP client, timeouts and socket handling. It rejects what
 * the real API rejects (as far as the documented rules go) and can misbehave on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createHash, randomBytes, type Hash } from 'node:crypto'
import { CapabilityTable } from '../../lib/anthropic/capabilities.js'
import { retirementOf } from '../../lib/anthropic/model-lifecycle.js'

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface StubOptions {
  keys?: string[]
  chunkSize?: number
  eventDelayMs?: number
  pingEvery?: number
  models?: StubModel[]
  /**
   * Model prompt caches per key (as Anthropic keeps them per organisation): usage then reports
   * cache reads and writes, and none for a prefix below the model's minimum cacheable length.
   */
  promptCache?: boolean
  /** The day (YYYY-MM-DD) the stub answers on, for retirement; today unless set. */
  today?: string
  /** How long a cache entry lives after its last use when the breakpoint names no `ttl` (Anthropic: 5 minutes). */
  promptCacheTtlMs?: number
  /**
   * Anthropic's rate limits per key (by key; `*` for any other key): each answer carries
   * `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`, and a
   * message that would go over a limit is refused with 429 and `retry-after` until the window resets.
   */
  rateLimits?: Record<string, StubRateLimit>
}

/** One key's limits per window (input tokens counted as the stub's count_tokens counts them). */
export interface StubRateLimit {
  requests?: number
  inputTokens?: number
  outputTokens?: number
  /** Length of the window; it starts with the key's first message. 60 s unless set. */
  windowMs?: number
}

export interface StubModel {
  id: string
  display_name?: string
  created_at?: string
  max_tokens?: number
  thinking?: ('enabled' | 'adaptive')[]
}

export type StubBlock =
  | { type: 'text'; text: string; citations?: unknown[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }

export interface StubUsage {
  input_tokens?: number
  output_tokens?: number
  cache_creation_input_tokens?: number
  cache_read_input_tokens?: number
  output_tokens_details?: { thinking_tokens: number }
}

export interface StubMessageReply {
  kind?: 'message'
  content: StubBlock[]
  stop_reason?: string
  stop_sequence?: string | null
  usage?: StubUsage
  headers?: Record<string, string>
}

export interface StubErrorReply {
  kind: 'error'
  status: number
  type: string
  message: string
  headers?: Record<string, string>
}

export type StubFault =
  | 'refuse'
  | 'headers-then-silence'
  | 'silence'
  | 'cut-mid-stream'
  | 'error-event-mid-stream'
  | 'stall-mid-stream'

export interface StubFaultReply {
  kind: 'fault'
  fault: StubFault
  afterEvents?: number
  content?: StubBlock[]
}

export type StubReply = StubMessageReply | StubErrorReply | StubFaultReply
export type StubResponder = (req: RecordedRequest) => StubReply | undefined

export interface RecordedRequest {
  method: string
  path: string
  /** The query string with its '?', or '' (the gateway's key checks ask for `/v1/models?limit=1`). */
  query: string
  headers: Record<string, string | string[] | undefined>
  body: any // parsed JSON (or raw text when unparseable); tests inspect arbitrary shapes
  /** The body exactly as it arrived, to check a pass-through changed no byte. */
  rawBody?: Buffer
  key: string | undefined
  receivedAt: number
}

export interface AnthropicStub {
  url: string
  requests: RecordedRequest[]
  enqueue(...replies: StubReply[]): void
  respondWith(fn: StubResponder | undefined): void
  keyBehaviour: Map<string, StubReply>
  aborted: number
  abortedAt: number[]
  openConnections(): number
  reset(): void
  close(): Promise<void>
}

export async function startAnthropicStub (opts: StubOptions = {}): Promise<AnthropicStub> {
  const stub = new StubServer(opts)
  await stub.listen()
  return stub
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>

const MAX_BODY_BYTES = 32 * 1024 * 1024
const MAX_CACHE_BREAKPOINTS = 4
const MIN_THINKING_BUDGET = 1024
const DEFAULT_AFTER_EVENTS = 3
const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/
const TOOL_ID_PATTERN = /^[a-zA-Z0-9_-]+$/
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/
const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const
// Anthropic's per-image limit applies to the base64 text as sent, not to the decoded bytes.
const MAX_IMAGE_BASE64_CHARS = 5 * 1024 * 1024

const DEFAULT_REPLY: StubMessageReply = {
  content: [{ type: 'text', text: 'Hello from the stub.' }],
  usage: { input_tokens: 10, output_tokens: 5 },
}
const DEFAULT_FAULT_CONTENT: StubBlock[] = [{ type: 'text', text: 'Hello world, this is a long enough answer' }]

const DEFAULT_MODELS: StubModel[] = [
  { id: 'claude-opus-4-7', display_name: 'Claude Opus 4.7', created_at: '2026-04-16T00:00:00Z', max_tokens: 128000, thinking: ['adaptive'] },
  { id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6', created_at: '2026-02-17T00:00:00Z', max_tokens: 64000, thinking: ['enabled', 'adaptive'] },
  { id: 'claude-opus-4-6', display_name: 'Claude Opus 4.6', created_at: '2026-02-05T00:00:00Z', max_tokens: 128000, thinking: ['enabled', 'adaptive'] },
  { id: 'claude-opus-4-5-20251101', display_name: 'Claude Opus 4.5', created_at: '2025-11-24T00:00:00Z', max_tokens: 64000, thinking: ['enabled'] },
  { id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-15T00:00:00Z', max_tokens: 64000, thinking: ['enabled'] },
  { id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z', max_tokens: 64000, thinking: ['enabled'] },
  { id: 'claude-opus-4-1-20250805', display_name: 'Claude Opus 4.1', created_at: '2025-08-05T00:00:00Z', max_tokens: 32000, thinking: ['enabled'] },
  { id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', created_at: '2025-05-22T00:00:00Z', max_tokens: 64000, thinking: ['enabled'] },
]

// ---------------------------------------------------------------------------------------------
// Per-model rules
// ---------------------------------------------------------------------------------------------

type ThinkingType = 'enabled' | 'adaptive'

interface ModelRules {
  thinkingTypes: readonly ThinkingType[]
  thinkingAlwaysOn: boolean // `thinking.type: 'disabled'` is rejected
  disabledUpToEffort?: string // `disabled` is rejected above this effort
  defaultSamplingOnly: boolean // any non-default temperature / top_p / top_k is rejected
  prefill: boolean // a trailing assistant message is accepted
  temperatureOrTopP: boolean // temperature and top_p may not both be set
  efforts: readonly string[] // accepted output_config.effort values
  structuredOutput: boolean // output_config.format is accepted
}

const LEGACY_RULES: ModelRules = {
  thinkingTypes: ['enabled'],
  thinkingAlwaysOn: false,
  defaultSamplingOnly: false,
  prefill: true,
  temperatureOrTopP: false,
  efforts: [],
  structuredOutput: false,
}
const ADAPTIVE_ONLY_RULES: ModelRules = {
  ...LEGACY_RULES,
  thinkingTypes: ['adaptive'],
  defaultSamplingOnly: true,
  prefill: false,
  efforts: ['low', 'medium', 'high', 'xhigh', 'max'],
  structuredOutput: true,
}
const EFFORTS_4_6 = ['low', 'medium', 'high', 'max']

// First match wins; ids are matched anywhere so dated ids and aliases behave alike.
const MODEL_TABLE: ReadonlyArray<{ pattern: RegExp; rules: ModelRules }> = [
  { pattern: /fable|mythos/, rules: { ...ADAPTIVE_ONLY_RULES, thinkingAlwaysOn: true } },
  { pattern: /opus-5/, rules: { ...ADAPTIVE_ONLY_RULES, disabledUpToEffort: 'high' } },
  { pattern: /opus-4-[78]|sonnet-5/, rules: ADAPTIVE_ONLY_RULES },
  { pattern: /opus-4-6/, rules: { ...LEGACY_RULES, thinkingTypes: ['enabled', 'adaptive'], prefill: false, structuredOutput: true, efforts: EFFORTS_4_6 } },
  // Anthropic's migration guide: prefilling returns a 400 on Sonnet 4.6 as on Opus 4.6.
  { pattern: /sonnet-4-6/, rules: { ...LEGACY_RULES, thinkingTypes: ['enabled', 'adaptive'], prefill: false, structuredOutput: true, efforts: EFFORTS_4_6 } },
  { pattern: /(sonnet|haiku)-4-5/, rules: { ...LEGACY_RULES, temperatureOrTopP: true, structuredOutput: true } },
  { pattern: /opus-4-5/, rules: { ...LEGACY_RULES, structuredOutput: true, efforts: ['low', 'medium', 'high'] } },
  // Claude 3 models cannot think, except 3.7 Sonnet.
  { pattern: /claude-3-(?!7)/, rules: { ...LEGACY_RULES, thinkingTypes: [] } },
]

function rulesFor (model: string): ModelRules {
  return MODEL_TABLE.find((row) => row.pattern.test(model))?.rules ?? LEGACY_RULES
}

// ---------------------------------------------------------------------------------------------
// Validation primitives
// ---------------------------------------------------------------------------------------------

class InvalidRequest extends Error {}

function reject (message: string): never {
  throw new InvalidRequest(message)
}

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function join (path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`
}

function required (obj: Json, key: string, path: string): unknown {
  if (obj[key] === undefined) reject(`${join(path, key)}: Field required`)
  return obj[key]
}

function expectObject (value: unknown, path: string): Json {
  if (!isObject(value)) reject(`${path}: Input should be a valid dictionary`)
  return value
}

function expectArray (value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) reject(`${path}: Input should be a valid list`)
  return value
}

function expectString (value: unknown, path: string): string {
  if (typeof value !== 'string') reject(`${path}: Input should be a valid string`)
  return value
}

function expectBoolean (value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') reject(`${path}: Input should be a valid boolean`)
  return value
}

function expectNumber (value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) reject(`${path}: Input should be a valid number`)
  if (value < min) reject(`${path}: Input should be greater than or equal to ${min}`)
  if (value > max) reject(`${path}: Input should be less than or equal to ${max}`)
  return value
}

function expectInteger (value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) reject(`${path}: Input should be a valid integer`)
  if (value < min) reject(`${path}: Input should be greater than or equal to ${min}`)
  return value
}

function expectEnum<T extends string> (value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) {
    reject(`${path}: Input should be ${allowed.map((v) => `'${v}'`).join(', ')}`)
  }
  return value as T
}

function expectOnlyFields (obj: Json, allowed: readonly string[], path: string): void {
  const extra = Object.keys(obj).find((key) => !allowed.includes(key))
  if (extra !== undefined) reject(`${join(path, extra)}: Extra inputs are not permitted`)
}

function expectPattern (value: unknown, pattern: RegExp, path: string): string {
  const text = expectString(value, path)
  if (!pattern.test(text)) reject(`${path}: String should match pattern '${pattern.source}'`)
  return text
}

function expectHttpUrl (value: unknown, path: string): void {
  const text = expectString(value, path)
  let protocol = ''
  try {
    protocol = new URL(text).protocol
  } catch {
    reject(`${path}: Input should be a valid URL`)
  }
  if (protocol !== 'http:' && protocol !== 'https:') reject(`${path}: URL scheme should be 'http' or 'https'`)
}

function expectBase64 (value: unknown, path: string): void {
  const data = expectString(value, path)
  if (data.length === 0) reject(`${path}: base64 data must be non-empty`)
  if (data.length % 4 !== 0 || !BASE64_PATTERN.test(data)) reject(`${path}: invalid base64 data`)
}

/** What the bytes of each image type start with. */
const IMAGE_SIGNATURES: Record<(typeof IMAGE_MEDIA_TYPES)[number], (bytes: Buffer) => boolean> = {
  'image/png': (bytes) => bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (bytes) => bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])),
  'image/gif': (bytes) => ['GIF87a', 'GIF89a'].includes(bytes.subarray(0, 6).toString('latin1')),
  'image/webp': (bytes) => bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP'
}

function expectImageSize (data: string, path: string): void {
  if (data.length > MAX_IMAGE_BASE64_CHARS) reject(`${path}.base64: image exceeds 5 MB maximum: ${data.length} bytes > ${MAX_IMAGE_BASE64_CHARS} bytes`)
}

function expectImageBytes (data: string, mediaType: (typeof IMAGE_MEDIA_TYPES)[number], path: string): void {
  const head = Buffer.from(data.slice(0, 24), 'base64')
  if (!IMAGE_SIGNATURES[mediaType](head)) {
    reject(`${path}: Image does not match the provided media type ${mediaType}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Content blocks
// ---------------------------------------------------------------------------------------------

type Role = 'user' | 'assistant'
type Container = Role | 'tool_result' | 'document' | 'system'

const BLOCK_FIELDS: Record<string, readonly string[]> = {
  text: ['type', 'text', 'cache_control', 'citations'],
  image: ['type', 'source', 'cache_control'],
  document: ['type', 'source', 'cache_control', 'citations', 'title', 'context'],
  tool_use: ['type', 'id', 'name', 'input', 'cache_control'],
  tool_result: ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'],
  thinking: ['type', 'thinking', 'signature'],
  redacted_thinking: ['type', 'data'],
  tool_reference: ['type', 'tool_name', 'cache_control'],
}

const BLOCKS_ALLOWED_IN: Record<Container, readonly string[]> = {
  user: ['text', 'image', 'document', 'tool_result'],
  assistant: ['text', 'tool_use', 'thinking', 'redacted_thinking'],
  tool_result: ['text', 'image', 'document', 'tool_reference'],
  document: ['text', 'image'],
  system: ['text'],
}

const CONTAINER_LABEL: Record<Container, string> = {
  user: '`user` messages',
  assistant: '`assistant` messages',
  tool_result: '`tool_result` content',
  document: 'document content',
  system: '`system`',
}

const BLOCK_CHECKS: Record<string, (block: Json, path: string) => void> = {
  text: checkTextBlock,
  image: checkImageBlock,
  document: checkDocumentBlock,
  tool_use: checkToolUseBlock,
  tool_result: checkToolResultBlock,
  thinking: checkThinkingBlock,
  redacted_thinking: (block, path) => expectString(required(block, 'data', path), `${path}.data`),
  tool_reference: (block, path) => expectString(required(block, 'tool_name', path), `${path}.tool_name`),
}

function validateBlock (value: unknown, container: Container, path: string): Json {
  const block = expectObject(value, path)
  const type = expectString(required(block, 'type', path), `${path}.type`)
  const fields = BLOCK_FIELDS[type]
  if (fields === undefined) {
    reject(`${path}.type: Input tag '${type}' found using 'type' does not match any of the expected tags: ${Object.keys(BLOCK_FIELDS).join(', ')}`)
  }
  if (!BLOCKS_ALLOWED_IN[container].includes(type)) {
    reject(`${path}.type: \`${type}\` blocks are not allowed in ${CONTAINER_LABEL[container]}`)
  }
  expectOnlyFields(block, fields, path)
  if (block.cache_control != null) validateCacheControl(block.cache_control, `${path}.cache_control`)
  BLOCK_CHECKS[type](block, path)
  return block
}

function validateBlockList (value: unknown, container: Container, path: string): Json[] {
  return expectArray(value, path).map((block, index) => validateBlock(block, container, join(path, index)))
}

function checkTextBlock (block: Json, path: string): void {
  const text = expectString(required(block, 'text', path), `${path}.text`)
  if (text === '') reject(`${path}.text: text content blocks must be non-empty`)
  if (!/\S/.test(text)) reject(`${path}.text: text content blocks must contain non-whitespace text`)
  if (block.citations != null) expectArray(block.citations, `${path}.citations`)
}

function checkImageBlock (block: Json, path: string): void {
  const sourcePath = `${path}.source`
  const source = expectObject(required(block, 'source', path), sourcePath)
  const type = expectEnum(required(source, 'type', sourcePath), ['base64', 'url'], `${sourcePath}.type`)
  if (type === 'base64') {
    expectOnlyFields(source, ['type', 'media_type', 'data'], sourcePath)
    const mediaType = expectEnum(required(source, 'media_type', sourcePath), IMAGE_MEDIA_TYPES, `${sourcePath}.media_type`)
    expectBase64(required(source, 'data', sourcePath), `${sourcePath}.data`)
    expectImageSize(source.data as string, sourcePath)
    expectImageBytes(source.data as string, mediaType, sourcePath)
  } else {
    expectOnlyFields(source, ['type', 'url'], sourcePath)
    expectHttpUrl(required(source, 'url', sourcePath), `${sourcePath}.url`)
  }
}

function checkDocumentBlock (block: Json, path: string): void {
  const sourcePath = `${path}.source`
  const source = expectObject(required(block, 'source', path), sourcePath)
  const type = expectEnum(required(source, 'type', sourcePath), ['base64', 'text', 'url', 'content'], `${sourcePath}.type`)
  checkDocumentSource(source, type, sourcePath)
  if (block.title != null) expectString(block.title, `${path}.title`)
  if (block.context != null) expectString(block.context, `${path}.context`)
  if (block.citations != null) {
    const citations = expectObject(block.citations, `${path}.citations`)
    expectOnlyFields(citations, ['enabled'], `${path}.citations`)
    if (citations.enabled !== undefined) expectBoolean(citations.enabled, `${path}.citations.enabled`)
  }
}

function checkDocumentSource (source: Json, type: 'base64' | 'text' | 'url' | 'content', path: string): void {
  switch (type) {
    case 'base64':
      expectOnlyFields(source, ['type', 'media_type', 'data'], path)
      expectEnum(required(source, 'media_type', path), ['application/pdf'], `${path}.media_type`)
      expectBase64(required(source, 'data', path), `${path}.data`)
      return
    case 'text':
      expectOnlyFields(source, ['type', 'media_type', 'data'], path)
      expectEnum(required(source, 'media_type', path), ['text/plain'], `${path}.media_type`)
      expectString(required(source, 'data', path), `${path}.data`)
      return
    case 'url':
      expectOnlyFields(source, ['type', 'url'], path)
      expectHttpUrl(required(source, 'url', path), `${path}.url`)
      return
    case 'content': {
      expectOnlyFields(source, ['type', 'content'], path)
      const content = required(source, 'content', path)
      if (typeof content !== 'string') validateBlockList(content, 'document', `${path}.content`)
      return
    }
  }
}

function checkToolUseBlock (block: Json, path: string): void {
  expectPattern(required(block, 'id', path), TOOL_ID_PATTERN, `${path}.id`)
  expectPattern(required(block, 'name', path), TOOL_NAME_PATTERN, `${path}.name`)
  expectObject(required(block, 'input', path), `${path}.input`)
}

function checkToolResultBlock (block: Json, path: string): void {
  expectPattern(required(block, 'tool_use_id', path), TOOL_ID_PATTERN, `${path}.tool_use_id`)
  if (block.content !== undefined && typeof block.content !== 'string') {
    validateBlockList(block.content, 'tool_result', `${path}.content`)
  }
  if (block.is_error !== undefined) expectBoolean(block.is_error, `${path}.is_error`)
}

function checkThinkingBlock (block: Json, path: string): void {
  expectString(required(block, 'thinking', path), `${path}.thinking`)
  expectString(required(block, 'signature', path), `${path}.signature`)
}

function validateCacheControl (value: unknown, path: string): void {
  const cache = expectObject(value, path)
  expectOnlyFields(cache, ['type', 'ttl'], path)
  expectEnum(required(cache, 'type', path), ['ephemeral'], `${path}.type`)
  if (cache.ttl !== undefined) expectEnum(cache.ttl, ['5m', '1h'], `${path}.ttl`)
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

interface Turn {
  index: number
  role: Role
  blocks: Json[] // string content is normalised to a single text block
}

function validateMessages (value: unknown): Turn[] {
  const list = expectArray(value, 'messages')
  if (list.length === 0) reject('messages: at least one message is required')
  if (isObject(list[0]) && list[0].role === 'assistant') reject('messages: first message must use the "user" role')
  return list.map((message, index) => validateMessage(message, index, index === list.length - 1))
}

function validateMessage (value: unknown, index: number, isLast: boolean): Turn {
  const path = `messages.${index}`
  const message = expectObject(value, path)
  expectOnlyFields(message, ['role', 'content'], path)
  const role = expectEnum(required(message, 'role', path), ['user', 'assistant'], `${path}.role`)
  const content = required(message, 'content', path)
  // Only the final assistant message (a prefill) may be empty.
  const mayBeEmpty = isLast && role === 'assistant'
  const emptyProblem = `${path}: all messages must have non-empty content except for the optional final assistant message`
  if (typeof content === 'string') {
    if (!mayBeEmpty && content.trim() === '') reject(emptyProblem)
    return { index, role, blocks: content === '' ? [] : [{ type: 'text', text: content }] }
  }
  const blocks = validateBlockList(content, role, `${path}.content`)
  if (!mayBeEmpty && blocks.length === 0) reject(emptyProblem)
  return { index, role, blocks }
}

function blocksOfType (turn: Turn | undefined, type: string): Json[] {
  return turn === undefined ? [] : turn.blocks.filter((block) => block.type === type)
}

function validateToolPairing (turns: Turn[]): void {
  turns.forEach((turn, position) => {
    if (turn.role === 'assistant') checkToolUsesAnswered(turn, turns[position + 1])
    else checkToolResults(turn, turns[position - 1])
  })
}

function checkToolUsesAnswered (turn: Turn, next: Turn | undefined): void {
  const ids = blocksOfType(turn, 'tool_use').map((block) => block.id as string)
  if (ids.length === 0) return
  const answered = next?.role === 'user' ? blocksOfType(next, 'tool_result').map((block) => block.tool_use_id) : []
  const missing = ids.filter((id) => !answered.includes(id))
  if (missing.length > 0) {
    reject(
      `messages.${turn.index}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}. ` +
        'Each tool_use block must have a corresponding tool_result block in the next message.',
    )
  }
}

function checkToolResults (turn: Turn, previous: Turn | undefined): void {
  const expected = previous?.role === 'assistant' ? blocksOfType(previous, 'tool_use').map((block) => block.id) : []
  let seenOtherBlock = false
  turn.blocks.forEach((block, position) => {
    if (block.type !== 'tool_result') {
      seenOtherBlock = true
      return
    }
    const path = `messages.${turn.index}.content.${position}`
    if (seenOtherBlock) {
      reject(`${path}: tool_result blocks must come first in a user message, before any other content`)
    }
    if (!expected.includes(block.tool_use_id)) {
      reject(
        `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. ` +
          'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
      )
    }
  })
}

/** Anthropic's tool search docs: every `tool_reference` in a tool result must name a tool the request defines. */
function validateToolReferences (turns: Turn[], toolNames: string[]): void {
  for (const result of turns.flatMap((turn) => blocksOfType(turn, 'tool_result'))) {
    if (!Array.isArray(result.content)) continue
    for (const block of result.content) {
      if (isObject(block) && block.type === 'tool_reference' && !toolNames.includes(block.tool_name as string)) {
        reject(`Tool reference '${String(block.tool_name)}' has no corresponding tool definition`)
      }
    }
  }
}

function validateToolsPresentForToolBlocks (turns: Turn[], toolCount: number): void {
  const usesTools = turns.some((turn) => blocksOfType(turn, 'tool_use').length + blocksOfType(turn, 'tool_result').length > 0)
  if (usesTools && toolCount === 0) reject('Requests which include `tool_use` or `tool_result` blocks must define tools.')
}

// ---------------------------------------------------------------------------------------------
// Top-level fields
// ---------------------------------------------------------------------------------------------

const CREATE_FIELDS = [
  'model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'tools',
  'tool_choice', 'thinking', 'metadata', 'stream', 'output_config', 'service_tier', 'cache_control', 'container',
  'mcp_servers', 'context_management',
] as const
const COUNT_FIELDS = [
  'model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'cache_control',
  'mcp_servers', 'context_management',
] as const

function validateModel (body: Json): string {
  const model = expectString(required(body, 'model', ''), 'model')
  if (model === '') reject('model: String should have at least 1 character')
  return model
}

// Each model's output limit comes from the one capability table the gateway uses too.
const CAPABILITIES = new CapabilityTable()

function validateMaxTokens (body: Json, model: string): number {
  const maxTokens = expectInteger(required(body, 'max_tokens', ''), 'max_tokens', 1)
  const limit = CAPABILITIES.lookup(model).maxOutputTokens
  if (maxTokens > limit) {
    reject(`max_tokens: ${maxTokens} > ${limit}, which is the maximum allowed number of output tokens for ${model}`)
  }
  return maxTokens
}

function validateSystem (value: unknown): void {
  if (value === undefined || typeof value === 'string') return
  validateBlockList(value, 'system', 'system')
}

function validateSampling (body: Json): void {
  if (body.temperature !== undefined) expectNumber(body.temperature, 'temperature', 0, 1)
  if (body.top_p !== undefined) expectNumber(body.top_p, 'top_p', 0, 1)
  if (body.top_k !== undefined) expectInteger(body.top_k, 'top_k', 1)
  if (body.stop_sequences !== undefined) {
    expectArray(body.stop_sequences, 'stop_sequences').forEach((sequence, index) => {
      const text = expectString(sequence, `stop_sequences.${index}`)
      if (!/\S/.test(text)) reject(`stop_sequences.${index}: each stop sequence must contain non-whitespace`)
    })
  }
}

function validateContainer (value: unknown): void {
  if (value === undefined || value === null || typeof value === 'string') return
  const container = expectObject(value, 'container')
  expectOnlyFields(container, ['id', 'skills'], 'container')
  if (container.id != null) expectString(container.id, 'container.id')
  if (container.skills != null) {
    expectArray(container.skills, 'container.skills').forEach((skill, index) => {
      const path = `container.skills.${index}`
      const entry = expectObject(skill, path)
      expectOnlyFields(entry, ['type', 'skill_id', 'version'], path)
      expectEnum(required(entry, 'type', path), ['anthropic', 'custom'], `${path}.type`)
      expectString(required(entry, 'skill_id', path), `${path}.skill_id`)
      if (entry.version != null) expectString(entry.version, `${path}.version`)
    })
  }
}

function validateMcpServers (value: unknown): void {
  if (value === undefined) return
  expectArray(value, 'mcp_servers').forEach((server, index) => {
    const path = `mcp_servers.${index}`
    const entry = expectObject(server, path)
    expectOnlyFields(entry, ['type', 'url', 'name', 'authorization_token', 'tool_configuration'], path)
    expectEnum(required(entry, 'type', path), ['url'], `${path}.type`)
    expectHttpUrl(required(entry, 'url', path), `${path}.url`)
    expectString(required(entry, 'name', path), `${path}.name`)
    if (entry.authorization_token != null) expectString(entry.authorization_token, `${path}.authorization_token`)
    if (entry.tool_configuration != null) {
      const config = expectObject(entry.tool_configuration, `${path}.tool_configuration`)
      expectOnlyFields(config, ['enabled', 'allowed_tools'], `${path}.tool_configuration`)
      if (config.enabled != null) expectBoolean(config.enabled, `${path}.tool_configuration.enabled`)
      if (config.allowed_tools != null) expectArray(config.allowed_tools, `${path}.tool_configuration.allowed_tools`).forEach((name, i) => expectString(name, `${path}.tool_configuration.allowed_tools.${i}`))
    }
  })
}

/** Context editing strategies by type, with the fields each takes (what Claude Code sends included). */
const CONTEXT_EDITS: Record<string, readonly string[]> = {
  clear_tool_uses_20250919: ['type', 'trigger', 'keep', 'clear_at_least', 'exclude_tools', 'clear_tool_inputs'],
  clear_thinking_20251015: ['type', 'keep']
}

function validateContextManagement (value: unknown): void {
  if (value === undefined || value === null) return
  const management = expectObject(value, 'context_management')
  expectOnlyFields(management, ['edits'], 'context_management')
  if (management.edits === undefined) return
  expectArray(management.edits, 'context_management.edits').forEach((edit, index) => {
    const path = `context_management.edits.${index}`
    const entry = expectObject(edit, path)
    const type = expectString(required(entry, 'type', path), `${path}.type`)
    const fields = CONTEXT_EDITS[type]
    if (fields === undefined) reject(`${path}.type: Input tag '${type}' found using 'type' does not match any of the expected tags: ${Object.keys(CONTEXT_EDITS).join(', ')}`)
    expectOnlyFields(entry, fields, `${path}.${type}`)
    for (const field of fields.filter((name) => name !== 'type' && name !== 'exclude_tools' && name !== 'clear_tool_inputs')) {
      if (entry[field] === undefined || entry[field] === 'all') continue
      const spec = expectObject(entry[field], `${path}.${type}.${field}`)
      expectOnlyFields(spec, ['type', 'value'], `${path}.${type}.${field}`)
      expectString(required(spec, 'type', `${path}.${type}.${field}`), `${path}.${type}.${field}.type`)
      if (spec.value !== undefined) expectInteger(spec.value, `${path}.${type}.${field}.value`, 0)
    }
  })
}

function validateMiscFields (body: Json): void {
  validateContainer(body.container)
  validateMcpServers(body.mcp_servers)
  validateContextManagement(body.context_management)
  if (body.stream !== undefined) expectBoolean(body.stream, 'stream')
  if (body.service_tier !== undefined) expectEnum(body.service_tier, ['auto', 'standard_only'], 'service_tier')
  if (body.cache_control != null) validateCacheControl(body.cache_control, 'cache_control')
  if (body.metadata !== undefined) {
    const metadata = expectObject(body.metadata, 'metadata')
    expectOnlyFields(metadata, ['user_id'], 'metadata')
    if (metadata.user_id != null) {
      const userId = expectString(metadata.user_id, 'metadata.user_id')
      if (userId.length > 256) reject('metadata.user_id: String should have at most 256 characters')
    }
  }
}

/** Returns the names of the defined tools (what `tool_choice.name` may refer to). */
function validateTools (value: unknown): string[] {
  if (value === undefined) return []
  const tools = expectArray(value, 'tools')
  const names = tools.map((tool, index) => validateTool(tool, `tools.${index}`))
  if (new Set(names).size !== names.length) reject('tools: Tool names must be unique.')
  // Anthropic's tool search docs: at least one tool must stay loaded (non-deferred).
  if (tools.length > 0 && tools.every((tool) => isObject(tool) && tool.defer_loading === true)) {
    reject('All tools have defer_loading set. At least one tool must be non-deferred.')
  }
  return names
}

function validateTool (value: unknown, path: string): string {
  const tool = expectObject(value, path)
  if (tool.type !== undefined && tool.type !== 'custom') return validateServerTool(tool, path)
  const customPath = `${path}.custom`
  expectOnlyFields(tool, ['type', 'name', 'description', 'input_schema', 'cache_control', 'strict', 'defer_loading'], customPath)
  const name = expectPattern(required(tool, 'name', customPath), TOOL_NAME_PATTERN, `${customPath}.name`)
  if (tool.description !== undefined) expectString(tool.description, `${customPath}.description`)
  const schema = expectObject(required(tool, 'input_schema', customPath), `${customPath}.input_schema`)
  expectEnum(required(schema, 'type', `${customPath}.input_schema`), ['object'], `${customPath}.input_schema.type`)
  if (tool.cache_control != null) validateCacheControl(tool.cache_control, `${customPath}.cache_control`)
  if (tool.strict !== undefined) expectBoolean(tool.strict, `${customPath}.strict`)
  if (tool.defer_loading !== undefined) expectBoolean(tool.defer_loading, `${customPath}.defer_loading`)
  return name
}

/**
 * Anthropic's own (server and client-run) tools, by versioned type, with the name each must
 * carry. Anything else with a `type` is refused, as `{type: "function", function: {…}}` is.
 */
const SERVER_TOOLS: Record<string, string> = {
  web_search_20250305: 'web_search',
  web_search_20260209: 'web_search',
  web_fetch_20250910: 'web_fetch',
  web_fetch_20260209: 'web_fetch',
  code_execution_20250522: 'code_execution',
  code_execution_20250825: 'code_execution',
  bash_20241022: 'bash',
  bash_20250124: 'bash',
  text_editor_20241022: 'str_replace_editor',
  text_editor_20250124: 'str_replace_editor',
  text_editor_20250429: 'str_replace_based_edit_tool',
  text_editor_20250728: 'str_replace_based_edit_tool',
  computer_20241022: 'computer',
  computer_20250124: 'computer',
  memory_20250818: 'memory',
  tool_search_tool_regex_20251119: 'tool_search_tool_regex',
  tool_search_tool_bm25_20251119: 'tool_search_tool_bm25'
}

function validateServerTool (tool: Json, path: string): string {
  const type = expectString(tool.type, `${path}.type`)
  const name = SERVER_TOOLS[type]
  if (name === undefined) {
    reject(`${path}.type: Input tag '${type}' found using 'type' does not match any of the expected tags: custom, ${Object.keys(SERVER_TOOLS).join(', ')}`)
  }
  const typePath = `${path}.${type}`
  if (expectString(required(tool, 'name', typePath), `${typePath}.name`) !== name) reject(`${typePath}.name: Input should be '${name}'`)
  if (tool.cache_control != null) validateCacheControl(tool.cache_control, `${typePath}.cache_control`)
  if (tool.defer_loading !== undefined) expectBoolean(tool.defer_loading, `${typePath}.defer_loading`)
  if (tool.input_schema !== undefined || tool.function !== undefined) {
    reject(`${typePath}.${tool.input_schema !== undefined ? 'input_schema' : 'function'}: Extra inputs are not permitted`)
  }
  if (name === 'web_search') validateWebSearchSettings(tool, typePath)
  return name
}

/** The web search tool's own settings: a use cap, domain lists (one kind at most) and an approximate location. */
function validateWebSearchSettings (tool: Json, path: string): void {
  expectOnlyFields(tool, ['type', 'name', 'max_uses', 'allowed_domains', 'blocked_domains', 'user_location', 'cache_control', 'defer_loading'], path)
  if (tool.max_uses !== undefined) expectInteger(tool.max_uses, `${path}.max_uses`, 1)
  for (const field of ['allowed_domains', 'blocked_domains']) {
    if (tool[field] !== undefined) expectArray(tool[field], `${path}.${field}`).forEach((domain, index) => expectString(domain, `${path}.${field}.${index}`))
  }
  if (tool.allowed_domains !== undefined && tool.blocked_domains !== undefined) reject(`${path}: Cannot specify both allowed_domains and blocked_domains`)
  if (tool.user_location !== undefined) {
    const location = expectObject(tool.user_location, `${path}.user_location`)
    expectOnlyFields(location, ['type', 'city', 'region', 'country', 'timezone'], `${path}.user_location`)
    expectEnum(required(location, 'type', `${path}.user_location`), ['approximate'], `${path}.user_location.type`)
    for (const field of ['city', 'region', 'country', 'timezone']) {
      if (location[field] != null) expectString(location[field], `${path}.user_location.${field}`)
    }
  }
}

type ToolChoiceType = 'auto' | 'any' | 'tool' | 'none'

const TOOL_CHOICE_FIELDS: Record<ToolChoiceType, readonly string[]> = {
  auto: ['type', 'disable_parallel_tool_use'],
  any: ['type', 'disable_parallel_tool_use'],
  tool: ['type', 'name', 'disable_parallel_tool_use'],
  none: ['type'],
}

function validateToolChoice (value: unknown, toolNames: string[]): ToolChoiceType | undefined {
  if (value === undefined) return undefined
  const choice = expectObject(value, 'tool_choice')
  const type = expectEnum(required(choice, 'type', 'tool_choice'), ['auto', 'any', 'tool', 'none'], 'tool_choice.type')
  const path = `tool_choice.${type}`
  expectOnlyFields(choice, TOOL_CHOICE_FIELDS[type], path)
  if (choice.disable_parallel_tool_use !== undefined) {
    expectBoolean(choice.disable_parallel_tool_use, `${path}.disable_parallel_tool_use`)
  }
  if ((type === 'any' || type === 'tool') && toolNames.length === 0) {
    reject(`tool_choice: \`tool_choice.type\` '${type}' requires \`tools\` to be provided`)
  }
  if (type === 'tool') {
    const name = expectString(required(choice, 'name', path), `${path}.name`)
    if (!toolNames.includes(name)) reject(`tool_choice.name: Tool '${name}' not found in provided tools`)
  }
  return type
}

type ThinkingMode = ThinkingType | 'disabled' | 'absent'

const THINKING_FIELDS: Record<ThinkingType | 'disabled', readonly string[]> = {
  enabled: ['type', 'budget_tokens', 'display'], // Claude Code sends display with enabled too
  adaptive: ['type', 'display'],
  disabled: ['type'],
}

function validateThinking (value: unknown, maxTokens: number | undefined): ThinkingMode {
  if (value === undefined) return 'absent'
  const thinking = expectObject(value, 'thinking')
  const type = expectEnum(required(thinking, 'type', 'thinking'), ['enabled', 'adaptive', 'disabled'], 'thinking.type')
  // Naming the variant in the path makes "display is adaptive-only" read naturally.
  expectOnlyFields(thinking, THINKING_FIELDS[type], `thinking.${type}`)
  if (type !== 'disabled' && thinking.display !== undefined) {
    expectEnum(thinking.display, ['summarized', 'omitted'], `thinking.${type}.display`)
  }
  if (type === 'enabled') {
    const budget = expectInteger(required(thinking, 'budget_tokens', 'thinking.enabled'), 'thinking.enabled.budget_tokens', MIN_THINKING_BUDGET)
    if (maxTokens !== undefined && budget >= maxTokens) {
      reject('`max_tokens` must be greater than `thinking.budget_tokens`.')
    }
  }
  return type
}

interface OutputConfig {
  effort: string | undefined
  hasFormat: boolean
}

function validateOutputConfig (value: unknown): OutputConfig {
  if (value === undefined) return { effort: undefined, hasFormat: false }
  const config = expectObject(value, 'output_config')
  expectOnlyFields(config, ['effort', 'format'], 'output_config')
  const effort = config.effort == null
    ? undefined
    : expectEnum(config.effort, ['low', 'medium', 'high', 'xhigh', 'max'], 'output_config.effort')
  if (config.format != null) {
    const format = expectObject(config.format, 'output_config.format')
    expectOnlyFields(format, ['type', 'schema'], 'output_config.format')
    expectEnum(required(format, 'type', 'output_config.format'), ['json_schema'], 'output_config.format.type')
    expectObject(required(format, 'schema', 'output_config.format'), 'output_config.format.schema')
  }
  return { effort, hasFormat: config.format != null }
}

function countCacheBreakpoints (body: Json, turns: Turn[]): number {
  const tools = Array.isArray(body.tools) ? body.tools : []
  const system = Array.isArray(body.system) ? body.system : []
  const inMessages = turns.reduce((sum, turn) => sum + countCacheControls(turn.blocks), 0)
  return (body.cache_control != null ? 1 : 0) + countCacheControls(tools) + countCacheControls(system) + inMessages
}

function countCacheControls (blocks: unknown[]): number {
  return blocks.reduce<number>((sum, block) => {
    if (!isObject(block)) return sum
    const own = block.cache_control != null ? 1 : 0
    const nested = Array.isArray(block.content) ? countCacheControls(block.content) : 0
    const inSource = isObject(block.source) && Array.isArray(block.source.content) ? countCacheControls(block.source.content) : 0
    return sum + own + nested + inSource
  }, 0)
}

function validateCacheBreakpoints (body: Json, turns: Turn[]): void {
  const found = countCacheBreakpoints(body, turns)
  if (found > MAX_CACHE_BREAKPOINTS) {
    reject(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${found}.`)
  }
  validateCacheTtlOrder(body, turns)
}

/** Every cache_control in prefix order: tools, system, then messages (nested content after its block). */
function cacheControlsInOrder (body: Json, turns: Turn[]): Json[] {
  const found: Json[] = []
  const visit = (blocks: unknown[]): void => {
    for (const block of blocks) {
      if (!isObject(block)) continue
      if (isObject(block.cache_control)) found.push(block.cache_control)
      if (Array.isArray(block.content)) visit(block.content)
      if (isObject(block.source) && Array.isArray(block.source.content)) visit(block.source.content)
    }
  }
  visit(Array.isArray(body.tools) ? body.tools : [])
  visit(Array.isArray(body.system) ? body.system : [])
  for (const turn of turns) visit(turn.blocks)
  return found
}

/** Anthropic's prompt-caching rule for mixed TTLs: a 1-hour breakpoint may not follow a 5-minute one. */
function validateCacheTtlOrder (body: Json, turns: Turn[]): void {
  let seenShort = false
  for (const cache of cacheControlsInOrder(body, turns)) {
    if (cache.ttl === '1h' && seenShort) {
      reject('cache_control: a breakpoint with ttl "1h" cannot come after one with ttl "5m"; longer TTLs must appear before shorter ones.')
    }
    if (cache.ttl !== '1h') seenShort = true
  }
}

// ---------------------------------------------------------------------------------------------
// Model-dependent and thinking rules
// ---------------------------------------------------------------------------------------------

function isThinkingOn (mode: ThinkingMode): mode is ThinkingType {
  return mode === 'enabled' || mode === 'adaptive'
}

function validateThinkingForModel (mode: ThinkingMode, rules: ModelRules): void {
  if (isThinkingOn(mode) && !rules.thinkingTypes.includes(mode)) {
    const supported = rules.thinkingTypes.map((type) => `"${type}"`).join(' or ')
    if (supported === '') reject('thinking: this model does not support extended thinking.')
    reject(`thinking.type: "${mode}" is not supported for this model. Use ${supported} instead.`)
  }
  if (mode === 'disabled' && rules.thinkingAlwaysOn) {
    reject('thinking.type: "disabled" is not supported for this model; thinking is always on.')
  }
}

function validateSamplingForModel (body: Json, rules: ModelRules): void {
  if (rules.defaultSamplingOnly) {
    if (body.temperature !== undefined && body.temperature !== 1) reject('`temperature` is deprecated for this model; only the default value is accepted.')
    if (body.top_p !== undefined && body.top_p !== 1) reject('`top_p` is deprecated for this model; only the default value is accepted.')
    if (body.top_k !== undefined) reject('`top_k` is deprecated for this model.')
  }
  if (rules.temperatureOrTopP && body.temperature !== undefined && body.top_p !== undefined) {
    reject('`temperature` and `top_p` cannot both be specified for this model. Please use only one.')
  }
}

const EFFORT_ORDER = ['low', 'medium', 'high', 'xhigh', 'max']

function validateDisabledThinkingEffort (mode: ThinkingMode, output: OutputConfig, rules: ModelRules): void {
  if (mode !== 'disabled' || rules.disabledUpToEffort === undefined || output.effort === undefined) return
  if (EFFORT_ORDER.indexOf(output.effort) > EFFORT_ORDER.indexOf(rules.disabledUpToEffort)) {
    reject(`thinking.type: "disabled" is not supported with output_config.effort "${output.effort}" for this model; use effort "${rules.disabledUpToEffort}" or lower.`)
  }
}

function validateOutputConfigForModel (output: OutputConfig, rules: ModelRules): void {
  if (output.effort !== undefined && !rules.efforts.includes(output.effort)) {
    reject(`output_config.effort: "${output.effort}" is not supported for this model.`)
  }
  if (output.hasFormat && !rules.structuredOutput) {
    reject('output_config.format: structured outputs are not supported for this model.')
  }
}

function validateThinkingConstraints (body: Json, mode: ThinkingMode, toolChoice: ToolChoiceType | undefined): void {
  if (!isThinkingOn(mode)) return
  if (mode === 'enabled' && (toolChoice === 'any' || toolChoice === 'tool')) reject('Thinking may not be enabled when tool_choice forces tool use.')
  if (body.temperature !== undefined && body.temperature !== 1) {
    reject('`temperature` may only be set to 1 when thinking is enabled.')
  }
  if (body.top_k !== undefined) reject('`top_k` must be unset when thinking is enabled.')
  if (typeof body.top_p === 'number' && (body.top_p < 0.95 || body.top_p > 1)) {
    reject('`top_p` must be between 0.95 and 1 when thinking is enabled, or unset.')
  }
}

function validatePrefill (turns: Turn[], rules: ModelRules, mode: ThinkingMode, output: OutputConfig): void {
  const last = turns[turns.length - 1]
  if (last.role !== 'assistant') return
  if (!rules.prefill) reject('This model does not support assistant message prefill. The conversation must end with a user message.')
  if (isThinkingOn(mode)) reject(`messages.${last.index}: assistant message prefill is not supported when thinking is enabled.`)
  if (output.hasFormat) reject(`messages.${last.index}: assistant message prefill is not supported with structured outputs.`)
  const finalBlock = last.blocks[last.blocks.length - 1]
  if (finalBlock?.type === 'text' && /\s$/.test(finalBlock.text as string)) {
    reject('messages: final assistant content cannot end with trailing whitespace')
  }
}

/** Continuing a tool-use turn with thinking on requires that turn's thinking to come back first. */
function validateThinkingRoundTrip (turns: Turn[], mode: ThinkingMode): void {
  if (!isThinkingOn(mode)) return
  const position = turns.findLastIndex((turn) => turn.role === 'assistant')
  if (position < 0) return
  const assistant = turns[position]
  const next = turns[position + 1]
  const continuesToolTurn = blocksOfType(assistant, 'tool_use').length > 0 && next?.role === 'user' && blocksOfType(next, 'tool_result').length > 0
  if (!continuesToolTurn) return
  const firstType = String(assistant.blocks[0]?.type)
  if (firstType !== 'thinking' && firstType !== 'redacted_thinking') {
    reject(
      `messages.${assistant.index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${firstType}\`. ` +
        'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceding the lastmost set of ' +
        '`tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. ' +
        'To avoid this requirement, disable `thinking`.',
    )
  }
}

/** Remembers every thinking signature and redacted payload the stub has served. */
class IssuedThinking {
  private readonly textsBySignature = new Map<string, Set<string>>()
  private readonly redactedData = new Set<string>()

  private readonly sequenceByToolUse = new Map<string, StubBlock[]>()

  record (blocks: StubBlock[]): void {
    const reasoning = blocks.filter((block) => block.type === 'thinking' || block.type === 'redacted_thinking')
    for (const block of blocks) {
      if (block.type === 'tool_use' && reasoning.length > 0) this.sequenceByToolUse.set(block.id, reasoning)
    }
    for (const block of blocks) {
      if (block.type === 'thinking') {
        const texts = this.textsBySignature.get(block.signature) ?? new Set<string>()
        texts.add(block.thinking)
        this.textsBySignature.set(block.signature, texts)
      } else if (block.type === 'redacted_thinking') {
        this.redactedData.add(block.data)
      }
    }
  }

  /** The thinking blocks served, in order, with the response that made this tool call. */
  sequenceFor (toolUseIds: string[]): StubBlock[] | undefined {
    for (const id of toolUseIds) {
      const sequence = this.sequenceByToolUse.get(id)
      if (sequence !== undefined) return sequence
    }
    return undefined
  }

  isGenuine (block: Json): boolean {
    if (block.type === 'thinking') {
      return this.textsBySignature.get(block.signature as string)?.has(block.thinking as string) ?? false
    }
    if (block.type === 'redacted_thinking') return this.redactedData.has(block.data as string)
    return true
  }
}

function verifyReturnedThinking (turns: Turn[], issued: IssuedThinking): void {
  for (const turn of turns) {
    turn.blocks.forEach((block, position) => {
      if (!issued.isGenuine(block)) {
        reject(
          `messages.${turn.index}.content.${position}: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. ` +
            'These blocks must remain as they were in the original response.',
        )
      }
    })
  }
}

/**
 * Continuing a tool call with thinking on, the thinking of the turn that made the call must come
 * back complete, unmodified and in order: a dropped, swapped or repeated block is refused.
 */
function verifyThinkingSequence (turns: Turn[], mode: ThinkingMode, issued: IssuedThinking): void {
  if (!isThinkingOn(mode)) return
  const position = turns.findLastIndex((turn) => turn.role === 'assistant')
  if (position < 0 || blocksOfType(turns[position + 1], 'tool_result').length === 0) return
  const assistant = turns[position]
  const served = issued.sequenceFor(blocksOfType(assistant, 'tool_use').map((block) => block.id as string))
  if (served === undefined) return
  const firstOther = assistant.blocks.findIndex((block) => block.type !== 'thinking' && block.type !== 'redacted_thinking')
  const leading = assistant.blocks.slice(0, firstOther < 0 ? assistant.blocks.length : firstOther)
  const fields = (block: Json | StubBlock): string => JSON.stringify(['type', 'thinking', 'signature', 'data'].map((key) => (block as Json)[key]))
  const same = leading.length === served.length && leading.every((block, index) => fields(block) === fields(served[index]))
  if (!same) {
    reject(
      `messages.${assistant.index}.content: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. ` +
        'These blocks must remain as they were in the original response: all of them, unchanged and in their order.',
    )
  }
}

// ---------------------------------------------------------------------------------------------
// API versions and what the API accepts from Claude Code
// ---------------------------------------------------------------------------------------------

/** anthropic-version 2026-10-21 refuses sampling parameters, documents in assistant turns and citations in user text. */
function validateApiVersion (body: Json, version: string | undefined): void {
  if (version !== '2026-10-21') return
  for (const field of ['temperature', 'top_p', 'top_k']) {
    if (body[field] !== undefined) reject(`${field}: Extra inputs are not permitted`)
  }
  if (!Array.isArray(body.messages)) return
  body.messages.forEach((message: unknown, index: number) => {
    if (!isObject(message) || !Array.isArray(message.content)) return
    message.content.forEach((block: unknown, position: number) => {
      if (!isObject(block)) return
      const path = `messages.${index}.content.${position}`
      if (message.role === 'assistant' && block.type === 'document') reject(`${path}: \`document\` blocks are not allowed in \`assistant\` messages`)
      if (message.role === 'user' && block.type === 'text' && Array.isArray(block.citations) && block.citations.length > 0) reject(`${path}.citations: citations are not allowed in \`user\` text blocks`)
    })
  })
}

/**
 * What the real API accepts from Claude Code beyond the base rules: `role: "system"` turns inside
 * `messages` (text only; not first, not between a tool_use and its tool_result) and `display` on
 * budget thinking. Those are checked here and taken out of a copy the base rules then validate.
 */
function acceptClaudeCodeShapes (body: Json): Json {
  const copy: Json = { ...body }
  if (Array.isArray(body.messages)) copy.messages = withoutSystemTurns(body.messages)
  if (isObject(body.thinking) && body.thinking.type === 'enabled' && body.thinking.display !== undefined) {
    expectEnum(body.thinking.display, ['summarized', 'omitted'], 'thinking.enabled.display')
    const { display: _display, ...thinking } = body.thinking
    copy.thinking = thinking
  }
  return copy
}

function withoutSystemTurns (messages: unknown[]): unknown[] {
  messages.forEach((message, index) => {
    if (!isObject(message) || message.role !== 'system') return
    const path = `messages.${index}`
    if (index === 0) reject(`${path}.role: a system message cannot be the first message`)
    expectOnlyFields(message, ['role', 'content'], path)
    const content = required(message, 'content', path)
    if (typeof content !== 'string') validateBlockList(content, 'system', `${path}.content`)
    const previous = messages[index - 1]
    const pendingToolUse = isObject(previous) && previous.role === 'assistant' && Array.isArray(previous.content) &&
      previous.content.some((block: unknown) => isObject(block) && block.type === 'tool_use')
    if (pendingToolUse) reject(`${path}: a system message cannot come between tool_use and tool_result blocks`)
  })
  return messages.filter((message) => !(isObject(message) && message.role === 'system'))
}

function checkVersionAndClaudeCodeShapes (raw: unknown, headers: IncomingMessage['headers']): unknown {
  if (!isObject(raw)) return raw
  validateApiVersion(raw, firstHeader(headers['anthropic-version']))
  return acceptClaudeCodeShapes(raw)
}

// ---------------------------------------------------------------------------------------------
// Whole requests
// ---------------------------------------------------------------------------------------------

interface CreateParams {
  model: string
  stream: boolean
}

function expectRequestObject (raw: unknown): Json {
  if (!isObject(raw)) reject('Request body must be a JSON object.')
  return raw
}

function validateCreateRequest (raw: unknown, issued: IssuedThinking): CreateParams {
  const body = expectRequestObject(raw)
  expectOnlyFields(body, CREATE_FIELDS, '')
  const model = validateModel(body)
  const maxTokens = validateMaxTokens(body, model)
  const turns = validateMessages(required(body, 'messages', ''))
  validateSystem(body.system)
  validateSampling(body)
  validateMiscFields(body)
  const toolNames = validateTools(body.tools)
  const toolChoice = validateToolChoice(body.tool_choice, toolNames)
  const thinking = validateThinking(body.thinking, maxTokens)
  const output = validateOutputConfig(body.output_config)
  validateCacheBreakpoints(body, turns)
  validateToolPairing(turns)
  validateToolReferences(turns, toolNames)
  validateToolsPresentForToolBlocks(turns, toolNames.length)

  const rules = rulesFor(model)
  validateThinkingForModel(thinking, rules)
  validateSamplingForModel(body, rules)
  validateOutputConfigForModel(output, rules)
  validateDisabledThinkingEffort(thinking, output, rules)
  validateThinkingConstraints(body, thinking, toolChoice)
  validatePrefill(turns, rules, thinking, output)
  validateThinkingRoundTrip(turns, thinking)
  verifyReturnedThinking(turns, issued)
  verifyThinkingSequence(turns, thinking, issued)
  return { model, stream: body.stream === true }
}

/** count_tokens checks the request's shape only; sampling and thinking semantics do not apply. */
function validateCountRequest (raw: unknown): Json {
  const body = expectRequestObject(raw)
  expectOnlyFields(body, COUNT_FIELDS, '')
  validateModel(body)
  const turns = validateMessages(required(body, 'messages', ''))
  validateSystem(body.system)
  validateMiscFields(body)
  const toolNames = validateTools(body.tools)
  validateToolChoice(body.tool_choice, toolNames)
  validateThinking(body.thinking, undefined)
  validateOutputConfig(body.output_config)
  validateCacheBreakpoints(body, turns)
  validateToolPairing(turns)
  validateToolReferences(turns, toolNames)
  validateToolsPresentForToolBlocks(turns, toolNames.length)
  return body
}

function estimateInputTokens (body: Json): number {
  const counted = JSON.stringify({ system: body.system, messages: body.messages, tools: body.tools })
  return Math.max(1, Math.ceil(counted.length / 4))
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

interface ResponseUsage {
  input_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
  output_tokens: number
  output_tokens_details?: { thinking_tokens: number }
  service_tier: 'standard'
}

interface ResponseMessage {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: StubBlock[]
  stop_reason: string
  stop_sequence: string | null
  usage: ResponseUsage
}

interface SseEvent {
  event: string
  data: Json
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomId (prefix: string): string {
  return prefix + Array.from(randomBytes(24), (byte) => BASE62[byte % BASE62.length]).join('')
}

function buildMessage (reply: StubMessageReply, model: string): ResponseMessage {
  const usage = reply.usage ?? {}
  const hasToolUse = reply.content.some((block) => block.type === 'tool_use')
  return {
    id: randomId('msg_'),
    type: 'message',
    role: 'assistant',
    model,
    content: reply.content,
    stop_reason: reply.stop_reason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
    stop_sequence: reply.stop_sequence ?? null,
    usage: {
      input_tokens: usage.input_tokens ?? 10,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      output_tokens: usage.output_tokens ?? 5,
      ...(usage.output_tokens_details ? { output_tokens_details: usage.output_tokens_details } : {}),
      service_tier: 'standard',
    },
  }
}

/** Splits by code point so a delta never carries half a surrogate pair. */
function chunkText (text: string, size: number): string[] {
  const chars = Array.from(text)
  const pieces: string[] = []
  for (let start = 0; start < chars.length; start += size) pieces.push(chars.slice(start, start + size).join(''))
  return pieces
}

function emptyBlock (block: StubBlock): Json {
  switch (block.type) {
    case 'text':
      return block.citations ? { type: 'text', text: '', citations: [] } : { type: 'text', text: '' }
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} }
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' }
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data }
  }
}

function blockDeltas (block: StubBlock, size: number): Json[] {
  switch (block.type) {
    case 'text':
      return [
        ...chunkText(block.text, size).map((text) => ({ type: 'text_delta', text })),
        ...(block.citations ?? []).map((citation) => ({ type: 'citations_delta', citation })),
      ]
    case 'tool_use': {
      const json = JSON.stringify(block.input)
      const pieces = json === '{}' ? [''] : chunkText(json, size)
      return pieces.map((partial_json) => ({ type: 'input_json_delta', partial_json }))
    }
    case 'thinking':
      return [
        ...chunkText(block.thinking, size).map((thinking) => ({ type: 'thinking_delta', thinking })),
        { type: 'signature_delta', signature: block.signature },
      ]
    case 'redacted_thinking':
      return []
  }
}

function blockEvents (block: StubBlock, index: number, size: number): SseEvent[] {
  return [
    { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: emptyBlock(block) } },
    ...blockDeltas(block, size).map((delta) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
  ]
}

function messageEvents (message: ResponseMessage, chunkSize: number): SseEvent[] {
  const { output_tokens_details: details, ...startUsage } = message.usage
  const start = { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...startUsage, output_tokens: 1 } }
  const finalUsage = { output_tokens: message.usage.output_tokens, ...(details ? { output_tokens_details: details } : {}) }
  return [
    { event: 'message_start', data: { type: 'message_start', message: start } },
    ...message.content.flatMap((block, index) => blockEvents(block, index, chunkSize)),
    {
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }, usage: finalUsage },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]
}

function formatSse (event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`
}

const PING_EVENT: SseEvent = { event: 'ping', data: { type: 'ping' } }
const OVERLOADED_EVENT: SseEvent = {
  event: 'error',
  data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

function modelEntry (model: StubModel): Json {
  return {
    type: 'model',
    id: model.id,
    display_name: model.display_name ?? model.id,
    created_at: model.created_at ?? '2025-01-01T00:00:00Z',
    ...(model.max_tokens !== undefined ? { max_tokens: model.max_tokens } : {}),
    ...(model.thinking !== undefined ? { capabilities: thinkingCapabilities(model.thinking) } : {}),
  }
}

function thinkingCapabilities (types: ThinkingType[]): Json {
  return {
    thinking: {
      supported: types.length > 0,
      types: { enabled: { supported: types.includes('enabled') }, adaptive: { supported: types.includes('adaptive') } },
    },
  }
}

function pageOfModels (models: StubModel[], query: URLSearchParams): Json {
  const limitText = query.get('limit')
  const limit = limitText === null ? 20 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) reject('limit: Input should be an integer between 1 and 1000')
  const afterId = query.get('after_id')
  const beforeId = query.get('before_id')
  let start = 0
  let end = models.length
  if (afterId !== null) start = models.findIndex((model) => model.id === afterId) + 1 || models.length
  if (beforeId !== null) {
    end = Math.max(0, models.findIndex((model) => model.id === beforeId))
    start = Math.max(start, end - limit)
  }
  const page = models.slice(start, Math.min(end, start + limit))
  const hasMore = beforeId !== null ? start > 0 : start + page.length < end
  return {
    data: page.map(modelEntry),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------------------------

/** One request/response pair as the stub sees it. */
interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  record: RecordedRequest
  requestId: string
  closed: boolean
  destroyedByStub: boolean
}

type Route =
  | { name: 'messages' }
  | { name: 'count_tokens' }
  | { name: 'models' }
  | { name: 'model'; id: string }

function matchRoute (method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/v1/messages') return { name: 'messages' }
  if (method === 'POST' && path === '/v1/messages/count_tokens') return { name: 'count_tokens' }
  if (method === 'GET' && path === '/v1/models') return { name: 'models' }
  const model = /^\/v1\/models\/([^/]+)$/.exec(path)
  if (method === 'GET' && model) return { name: 'model', id: decodeURIComponent(model[1]) }
  return undefined
}

// The versions Anthropic knows; each version's body rules are checked with the body.
const API_VERSIONS = ['2023-06-01', '2026-10-21']

/** The request headers every API call is checked for, before its body. */
function checkHeaders (headers: IncomingMessage['headers'], method: string): string | undefined {
  const version = firstHeader(headers['anthropic-version'])
  if (version === undefined) return 'anthropic-version: header is required'
  if (!API_VERSIONS.includes(version)) return `anthropic-version: invalid version '${version}'; use one of ${API_VERSIONS.join(', ')}`
  if (method !== 'POST') return undefined
  const contentType = (firstHeader(headers['content-type']) ?? '').split(';')[0].trim().toLowerCase()
  if (contentType !== 'application/json') return `content-type: expected 'application/json', got '${contentType}'`
  return undefined
}

function firstHeader (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** Reads the whole body, keeping at most the limit; null when the client went away mid-upload. */
async function readBody (req: IncomingMessage): Promise<{ text: string; bytes: Buffer; tooLarge: boolean } | null> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    }
  } catch {
    return null
  }
  const bytes = Buffer.concat(chunks)
  return { text: bytes.toString('utf8'), bytes, tooLarge: size > MAX_BODY_BYTES }
}

function sendJson (ex: Exchange, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (ex.closed) return
  const text = JSON.stringify(payload)
  ex.res.writeHead(status, {
    'request-id': ex.requestId,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  ex.res.end(text)
}

function sendError (ex: Exchange, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ex, status, { type: 'error', error: { type, message }, request_id: ex.requestId }, headers)
}

function startSse (ex: Exchange, headers: Record<string, string> = {}): void {
  ex.res.writeHead(200, {
    'request-id': ex.requestId,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...headers,
  })
  ex.res.flushHeaders()
}

function startJsonBody (ex: Exchange): void {
  ex.res.writeHead(200, { 'request-id': ex.requestId, 'content-type': 'application/json' })
  ex.res.flushHeaders()
}

/** Writes a chunk, waiting for 'drain' when the socket buffer is full; false once the client is gone. */
async function writeChunk (ex: Exchange, chunk: string): Promise<boolean> {
  if (ex.closed) return false
  if (ex.res.write(chunk)) return true
  await new Promise<void>((resolve) => {
    const settle = (): void => {
      ex.res.off('drain', settle)
      ex.res.off('close', settle)
      resolve()
    }
    ex.res.on('drain', settle)
    ex.res.on('close', settle)
  })
  return !ex.closed
}

/** 'reset' drops the connection with an RST; 'cut' closes it once what was already written is delivered. */
function destroyByStub (ex: Exchange, mode: 'reset' | 'cut'): void {
  ex.destroyedByStub = true
  if (mode === 'reset') ex.req.socket.resetAndDestroy()
  else ex.req.socket.destroySoon()
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

class StubServer implements AnthropicStub {
  url = ''
  readonly requests: RecordedRequest[] = []
  readonly keyBehaviour = new Map<string, StubReply>()
  aborted = 0
  readonly abortedAt: number[] = []

  private readonly queue: StubReply[] = []
  private responder: StubResponder | undefined
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly issued = new IssuedThinking()
  private readonly server: Server
  private closing = false
  private readonly keys: string[] | undefined
  private readonly chunkSize: number
  private readonly eventDelayMs: number
  private readonly pingEvery: number
  private readonly models: StubModel[]
  private readonly promptCaches: PromptCaches | undefined
  private readonly rateLimits: Record<string, StubRateLimit> | undefined
  private readonly windows = new Map<string, RateWindow>()
  private readonly today: Date

  constructor (opts: StubOptions) {
    this.promptCaches = opts.promptCache === true ? new PromptCaches(opts.promptCacheTtlMs ?? FIVE_MINUTES_MS) : undefined
    this.rateLimits = opts.rateLimits
    this.keys = opts.keys
    this.chunkSize = Math.max(1, opts.chunkSize ?? 4)
    this.eventDelayMs = opts.eventDelayMs ?? 0
    this.pingEvery = opts.pingEvery ?? 0
    this.models = opts.models ?? DEFAULT_MODELS
    this.today = opts.today !== undefined ? new Date(`${opts.today}T00:00:00Z`) : new Date()
    this.server = createServer((req, res) => void this.handle(req, res))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  async listen (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    this.url = `http://127.0.0.1:${port}`
  }

  enqueue (...replies: StubReply[]): void {
    this.queue.push(...replies)
  }

  respondWith (fn: StubResponder | undefined): void {
    this.responder = fn
  }

  openConnections (): number {
    return this.sockets.size
  }

  // Issued thinking signatures survive a reset: tests may reset between turns of one conversation.
  reset (): void {
    this.requests.length = 0
    this.queue.length = 0
    this.responder = undefined
    this.keyBehaviour.clear()
    this.aborted = 0
    this.abortedAt.length = 0
  }

  async close (): Promise<void> {
    this.closing = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    const socketsClosed = [...this.sockets].map((socket) => new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      socket.destroy()
    }))
    await Promise.all([serverClosed, ...socketsClosed])
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ex = this.openExchange(req, res)
    try {
      const body = await readBody(req)
      if (body === null) return
      if (body.tooLarge) return sendError(ex, 413, 'request_too_large', `Request exceeds the maximum allowed number of bytes (${MAX_BODY_BYTES}).`)
      ex.record.body = body.text === '' ? undefined : body.text
      ex.record.rawBody = body.bytes
      await this.route(ex, body.text)
    } catch (error) {
      if (error instanceof InvalidRequest) return sendError(ex, 400, 'invalid_request_error', error.message)
      if (!res.headersSent) sendError(ex, 500, 'api_error', `stub failure: ${String(error)}`)
      else res.destroy()
    }
  }

  private openExchange (req: IncomingMessage, res: ServerResponse): Exchange {
    const url = new URL(req.url ?? '/', 'http://stub.invalid')
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body: undefined,
      key: firstHeader(req.headers['x-api-key']),
      receivedAt: Date.now(),
    }
    this.requests.push(record)
    const ex: Exchange = { req, res, record, requestId: randomId('req_'), closed: false, destroyedByStub: false }
    const countsAborts = record.method === 'POST' && record.path === '/v1/messages'
    res.on('close', () => {
      ex.closed = true
      if (countsAborts && !res.writableEnded && !ex.destroyedByStub && !this.closing) {
        this.aborted += 1
        this.abortedAt.push(Date.now())
      }
    })
    return ex
  }

  private async route (ex: Exchange, bodyText: string): Promise<void> {
    const url = new URL(ex.req.url ?? '/', 'http://stub.invalid')
    const route = matchRoute(ex.record.method, url.pathname)
    if (route === undefined) return sendError(ex, 404, 'not_found_error', 'Not Found')
    const authProblem = this.authProblem(ex.record.key)
    if (authProblem !== undefined) return sendError(ex, 401, 'authentication_error', authProblem)
    // A 401 or 403 set for a key refuses the credential itself: Anthropic does so on every endpoint.
    const revoked = ex.record.key !== undefined ? this.keyBehaviour.get(ex.record.key) : undefined
    if (revoked?.kind === 'error' && (revoked.status === 401 || revoked.status === 403)) return sendError(ex, revoked.status, revoked.type, revoked.message, revoked.headers)
    const headerProblem = checkHeaders(ex.req.headers, ex.record.method)
    if (headerProblem !== undefined) return sendError(ex, 400, 'invalid_request_error', headerProblem)
    switch (route.name) {
      case 'messages':
        return this.createMessage(ex, checkVersionAndClaudeCodeShapes(this.parseBody(ex, bodyText), ex.req.headers))
      case 'count_tokens':
        return this.countTokens(ex, validateCountRequest(checkVersionAndClaudeCodeShapes(this.parseBody(ex, bodyText), ex.req.headers)))
      case 'models':
        return sendJson(ex, 200, pageOfModels(this.models.filter((model) => !this.isRetired(model.id)), url.searchParams))
      case 'model':
        return this.retrieveModel(ex, route.id)
    }
  }

  private authProblem (key: string | undefined): string | undefined {
    if (key === undefined || key === '') return 'x-api-key header is required'
    const valid = this.keys !== undefined ? this.keys.includes(key) : key.startsWith('sk-ant-api')
    return valid ? undefined : 'invalid x-api-key'
  }

  private parseBody (ex: Exchange, text: string): unknown {
    try {
      const body: unknown = JSON.parse(text)
      ex.record.body = body
      return body
    } catch {
      reject('There was an error parsing the body of your request: expected a JSON object.')
    }
  }

  /** A retired model answers like an unknown one: 404 `model: <id>`. */
  private isRetired (model: string): boolean {
    return retirementOf(model, this.today) !== undefined
  }

  private countTokens (ex: Exchange, body: Json): void {
    if (this.isRetired(body.model as string)) return sendError(ex, 404, 'not_found_error', `model: ${body.model as string}`)
    sendJson(ex, 200, { input_tokens: estimateInputTokens(body) })
  }

  private retrieveModel (ex: Exchange, id: string): void {
    const model = this.models.find((candidate) => candidate.id === id)
    if (model === undefined || this.isRetired(id)) return sendError(ex, 404, 'not_found_error', `model: ${id}`)
    sendJson(ex, 200, modelEntry(model))
  }

  private async createMessage (ex: Exchange, body: unknown): Promise<void> {
    // Validation throws before a reply is picked, so a rejected request never consumes the queue.
    const params = validateCreateRequest(body, this.issued)
    if (this.isRetired(params.model)) return sendError(ex, 404, 'not_found_error', `model: ${params.model}`)
    const window = this.rateWindow(ex.record.key ?? '')
    const inputTokens = estimateInputTokens(body as Json)
    if (window !== undefined && window.refuses(inputTokens)) {
      return sendError(ex, 429, 'rate_limit_error', 'This request would exceed your organization\'s rate limit. Please reduce the prompt length or the maximum tokens requested, or try again later.', { 'retry-after': String(window.secondsToReset()), ...window.headers() })
    }
    const reply = this.pickReply(ex.record)
    if (reply.kind === 'error') return sendError(ex, reply.status, reply.type, reply.message, reply.headers)
    if (reply.kind === 'fault') return this.serveFault(ex, reply, params)
    const message = this.issue(reply, params.model)
    if (this.promptCaches && reply.usage?.cache_read_input_tokens === undefined) {
      Object.assign(message.usage, this.promptCaches.use(ex.record.key ?? '', body as Json))
    }
    window?.spend(inputTokens, message.usage.output_tokens)
    const headers = { ...window?.headers(), ...reply.headers }
    if (!params.stream) return sendJson(ex, 200, message, headers)
    startSse(ex, headers)
    if (await this.streamEvents(ex, messageEvents(message, this.chunkSize))) ex.res.end()
  }

  /** The key's current rate-limit window, when limits are modelled for it. */
  private rateWindow (key: string): RateWindow | undefined {
    const limits = this.rateLimits?.[key] ?? this.rateLimits?.['*']
    if (limits === undefined) return undefined
    let window = this.windows.get(key)
    if (window === undefined || window.resetAt <= Date.now()) {
      window = new RateWindow(limits)
      this.windows.set(key, window)
    }
    return window
  }

  private pickReply (record: RecordedRequest): StubReply {
    const fromResponder = this.responder?.(record)
    if (fromResponder !== undefined) return fromResponder
    const forKey = record.key !== undefined ? this.keyBehaviour.get(record.key) : undefined
    if (forKey !== undefined) return forKey
    return this.queue.shift() ?? DEFAULT_REPLY
  }

  /** Builds the response and remembers its thinking so it can be verified when it comes back. */
  private issue (reply: StubMessageReply, model: string): ResponseMessage {
    this.issued.record(reply.content)
    return buildMessage(reply, model)
  }

  private async serveFault (ex: Exchange, reply: StubFaultReply, params: CreateParams): Promise<void> {
    switch (reply.fault) {
      case 'refuse':
        return destroyByStub(ex, 'reset')
      case 'silence':
        return
      case 'headers-then-silence':
        return params.stream ? startSse(ex) : startJsonBody(ex)
      case 'cut-mid-stream':
      case 'error-event-mid-stream':
      case 'stall-mid-stream':
        return this.serveMidStreamFault(ex, reply, params)
      default:
        return sendError(ex, 500, 'api_error', `stub: unknown fault ${String(reply.fault)}`)
    }
  }

  private async serveMidStreamFault (ex: Exchange, reply: StubFaultReply, params: CreateParams): Promise<void> {
    const message = this.issue({ content: reply.content ?? DEFAULT_FAULT_CONTENT }, params.model)
    if (!params.stream) return this.serveJsonFault(ex, reply.fault, message)
    startSse(ex)
    const events = messageEvents(message, this.chunkSize).slice(0, reply.afterEvents ?? DEFAULT_AFTER_EVENTS)
    if (!(await this.streamEvents(ex, events))) return
    if (reply.fault === 'cut-mid-stream') destroyByStub(ex, 'cut')
    else if (reply.fault === 'error-event-mid-stream' && (await writeChunk(ex, formatSse(OVERLOADED_EVENT)))) ex.res.end()
    // stall-mid-stream: keep the socket open and say nothing more.
  }

  /** Without streaming there are no events: cut and stall happen halfway through the JSON body. */
  private async serveJsonFault (ex: Exchange, fault: StubFault, message: ResponseMessage): Promise<void> {
    if (fault === 'error-event-mid-stream') return sendError(ex, 529, 'overloaded_error', 'Overloaded')
    const text = JSON.stringify(message)
    startJsonBody(ex)
    if (!(await writeChunk(ex, text.slice(0, Math.floor(text.length / 2))))) return
    if (fault === 'cut-mid-stream') destroyByStub(ex, 'cut')
  }

  /** Sends events with the configured delay and pings; false once the client is gone. */
  private async streamEvents (ex: Exchange, events: SseEvent[]): Promise<boolean> {
    for (const [position, event] of events.entries()) {
      if (position > 0 && this.eventDelayMs > 0) await this.sleep(this.eventDelayMs)
      if (!(await writeChunk(ex, formatSse(event)))) return false
      const sent = position + 1
      if (this.pingEvery > 0 && sent % this.pingEvery === 0 && !(await writeChunk(ex, formatSse(PING_EVENT)))) return false
    }
    return true
  }

  private sleep (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }
}

// ---------------------------------------------------------------------------------------------
// Prompt caches per key
// ---------------------------------------------------------------------------------------------

/** How far back from a breakpoint earlier cache entries are looked for, as Anthropic documents. */
const CACHE_LOOKBACK_BLOCKS = 20

/**
 * Anthropic's minimum cacheable prompt length per model, as its prompt-caching page lists it
 * (quoted in docs/testing.md), first match wins; a model the page does not name gets 1,024.
 */
const CACHE_MINIMUMS: ReadonlyArray<readonly [RegExp, number]> = [
  [/fable-5|mythos-5|opus-5/, 512],
  [/mythos-preview|opus-4-7|haiku-3-5|3-5-haiku/, 2048],
  [/opus-4-6|opus-4-5|haiku-4-5/, 4096],
  [/opus-4-8|sonnet-5|sonnet-4|opus-4/, 1024]
]

export function minimumCacheableTokens (model: string): number {
  return CACHE_MINIMUMS.find(([pattern]) => pattern.test(model))?.[1] ?? 1024
}

/**
 * A prefix (tools, then system, then message blocks, in that order) is written to the cache at
 * each cache breakpoint, and read back when a later request with the same key repeats it: the
 * longest cached prefix found within the look-back window of a breakpoint is read, the rest up
 * to the last breakpoint is written. A breakpoint whose prefix is shorter than the model's
 * minimum is ignored, silently, as Anthropic ignores it. Tokens are counted as characters / 4.
 */
class PromptCaches {
  /** Per key: each cached prefix's digest and when it expires. */
  private readonly byKey = new Map<string, Map<string, number>>()

  constructor (private readonly defaultTtlMs: number) {}

  use (key: string, body: Json): { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number } {
    const pieces = cachePieces(body)
    const hashes: string[] = []
    const tokens: number[] = []
    const running: Hash = createHash('sha256')
    let chars = 0
    for (const piece of pieces) {
      running.update(piece.text)
      hashes.push(running.copy().digest('hex'))
      chars += piece.text.length
      tokens.push(Math.ceil(chars / 4))
    }
    const total = Math.max(1, Math.ceil(chars / 4))
    const minimum = minimumCacheableTokens(typeof body.model === 'string' ? body.model : '')
    const breakpoints = pieces.flatMap((piece, index) => piece.breakpoint && tokens[index] >= minimum ? [index] : [])
    const now = Date.now()
    const seen = this.byKey.get(key) ?? new Map<string, number>()
    this.byKey.set(key, seen)
    for (const [digest, expiresAt] of seen) if (expiresAt <= now) seen.delete(digest)
    let read = 0
    let readAt = -1
    for (const point of breakpoints) {
      for (let index = point; index >= Math.max(0, point - CACHE_LOOKBACK_BLOCKS); index--) {
        if (seen.has(hashes[index])) {
          if (tokens[index] > read) readAt = index
          read = Math.max(read, tokens[index])
          break
        }
      }
    }
    const last = breakpoints.at(-1)
    const written = last === undefined ? 0 : Math.max(0, tokens[last] - read)
    const ttlOf = (index: number): number => pieces[index].ttl === '1h' ? ONE_HOUR_MS : this.defaultTtlMs
    // A read refreshes the entry's lifetime, as Anthropic's cache does.
    if (readAt >= 0) seen.set(hashes[readAt], now + ttlOf(breakpoints.find((point) => point >= readAt) ?? readAt))
    for (const point of breakpoints) seen.set(hashes[point], Math.max(seen.get(hashes[point]) ?? 0, now + ttlOf(point)))
    return { input_tokens: Math.max(0, total - read - written), cache_read_input_tokens: read, cache_creation_input_tokens: written }
  }
}

const FIVE_MINUTES_MS = 5 * 60_000
const ONE_HOUR_MS = 60 * 60_000

/** A key's fixed rate-limit window: what it allows, what it has spent, when it refills. */
class RateWindow {
  readonly resetAt: number
  private requests = 0
  private inputTokens = 0
  private outputTokens = 0

  constructor (private readonly limits: StubRateLimit) {
    this.resetAt = Date.now() + (limits.windowMs ?? 60_000)
  }

  refuses (inputTokens: number): boolean {
    const { requests, inputTokens: inputLimit, outputTokens: outputLimit } = this.limits
    return (requests !== undefined && this.requests + 1 > requests) ||
      (inputLimit !== undefined && this.inputTokens + inputTokens > inputLimit) ||
      (outputLimit !== undefined && this.outputTokens >= outputLimit)
  }

  spend (inputTokens: number, outputTokens: number): void {
    this.requests += 1
    this.inputTokens += inputTokens
    this.outputTokens += outputTokens
  }

  secondsToReset (): number {
    return Math.max(1, Math.ceil((this.resetAt - Date.now()) / 1000))
  }

  headers (): Record<string, string> {
    const reset = new Date(this.resetAt).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const headers: Record<string, string> = {}
    for (const [name, limit, spent] of [['requests', this.limits.requests, this.requests], ['input-tokens', this.limits.inputTokens, this.inputTokens], ['output-tokens', this.limits.outputTokens, this.outputTokens]] as const) {
      if (limit === undefined) continue
      headers[`anthropic-ratelimit-${name}-limit`] = String(limit)
      headers[`anthropic-ratelimit-${name}-remaining`] = String(Math.max(0, limit - spent))
      headers[`anthropic-ratelimit-${name}-reset`] = reset
    }
    return headers
  }
}

function cachePieces (body: Json): Array<{ text: string; breakpoint: boolean; ttl?: string }> {
  const pieces: Array<{ text: string; breakpoint: boolean; ttl?: string }> = []
  const add = (value: unknown, prefix: string): void => {
    const control = typeof value === 'object' && value !== null ? (value as Json).cache_control as Json | undefined | null : undefined
    pieces.push({ text: prefix + JSON.stringify(value, (name, item: unknown) => name === 'cache_control' ? undefined : item), breakpoint: control != null, ttl: typeof control?.ttl === 'string' ? control.ttl : undefined })
  }
  for (const tool of Array.isArray(body.tools) ? body.tools : []) add(tool, 'tool:')
  if (typeof body.system === 'string') add(body.system, 'system:')
  else for (const block of Array.isArray(body.system) ? body.system : []) add(block, 'system:')
  for (const message of Array.isArray(body.messages) ? body.messages as Json[] : []) {
    const content = message.content
    if (typeof content === 'string') add(content, `${String(message.role)}:`)
    else for (const block of Array.isArray(content) ? content : []) add(block, `${String(message.role)}:`)
  }
  // Automatic caching: a top-level cache_control puts the breakpoint on the last block.
  if (body.cache_control != null && pieces.length > 0) pieces[pieces.length - 1].breakpoint = true
  return pieces
}
