/**
 * Property-based fuzzing of POST /v1/chat/completions: whatever the body and headers, the
 * gateway answers 200 or a 4xx carrying an OpenAI error object — never a 5xx, a crash or a hang.
 * And it never forwards what Anthropic refuses: a refusal from the (strict) stub means the
 * gateway built an invalid request instead of answering with its own 400 naming the field, so it
 * fails the property, and fast-check prints the shrunk input.
 *
 * Each property runs a fixed number of inputs (RUNS below; about 2,000 in all), never "as many
 * as fit in a time window", so the result does not depend on how busy the machine is.
 */
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { test, type Test as Tap } from 'tap'
import { MAX_JSON_DEPTH } from '../../lib/json-depth.js'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway, CLIENT_KEY } from '../helpers/gateway.js'

const BODY_LIMIT = 64 * 1024
const ANSWER_TIMEOUT_MS = 10_000
/** Inputs per property. */
const RUNS = { mutated: 600, random: 600, dataUrls: 250, rawBodies: 200, nested: 80, headers: 250, bodySizes: 40 }
const JSON_HEADERS = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }
interface Answer { status: number; headers: Record<string, unknown>; body: string }
interface Attempt { payload: string | Buffer; headers: Record<string, string> }

// ---------------------------------------------------------------------------------------------
// Valid requests to start from
// ---------------------------------------------------------------------------------------------

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
const PDF_BASE64 = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF').toString('base64')
const WEATHER_TOOL: JsonObject = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }
  }
}

const VALID_REQUESTS: JsonObject[] = [
  { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello' }] },
  {
    model: 'claude-haiku-4-5-20251001',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
      { role: 'user', content: 'Hi', name: 'ann' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      { role: 'user', content: [{ type: 'text', text: 'Tell me a joke', cache_control: { type: 'ephemeral', ttl: '1h' } }] }
    ],
    max_tokens: 200,
    temperature: 0.7,
    stop: ['END'],
    user: 'user-1234'
  },
  {
    model: 'claude-opus-4-6',
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21 °C' },
      { role: 'user', content: 'And tomorrow?' }
    ],
    tools: [WEATHER_TOOL],
    tool_choice: 'auto',
    parallel_tool_calls: false
  },
  {
    model: 'claude-haiku-4-5-20251001',
    messages: [{
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these pictures?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}`, detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://images.example.com/cat.png' } }
      ]
    }]
  },
  {
    model: 'claude-sonnet-4-6',
    messages: [{
      role: 'user',
      content: [
        { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF_BASE64}`, filename: 'report.pdf' } },
        { type: 'file', file: { file_data: `data:text/plain;base64,${Buffer.from('plain notes').toString('base64')}`, filename: 'notes.txt' } },
        { type: 'text', text: 'Summarise both files.' }
      ]
    }]
  },
  {
    model: 'claude-sonnet-4-6',
    messages: [{ role: 'user', content: 'Stream a haiku' }],
    stream: true,
    stream_options: { include_usage: true },
    n: 2
  },
  {
    model: 'claude-sonnet-4-6',
    messages: [{ role: 'user', content: 'Give me a JSON person' }],
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } },
    metadata: { user_id: 'u-1' }
  },
  {
    model: 'claude-sonnet-4-6-thinking',
    messages: [{ role: 'user', content: 'Think, then answer: 2+2?' }],
    max_completion_tokens: 4000,
    stream: true
  },
  {
    model: 'claude-sonnet-4-6',
    messages: [{ role: 'user', content: 'Use the tool' }],
    tools: [WEATHER_TOOL],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    reasoning_effort: 'low'
  }
]

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function']
const PART_TYPES = ['text', 'image_url', 'file', 'input_audio', 'refusal']
const MODELS = ['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-haiku-4-5-20251001', 'claude-opus-4-6-thinking', 'gpt-4o']
const TRICKY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'base_url', 'api_base', 'cache_control', 'type', 'role', 'content', 'tool_calls', 'thinking', 'signature', '']
const TRICKY_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\uffff', '\r\n', 'null', 'undefined', 'NaN', '-1', '1e309', '{}', '[]', 'data:', 'data:,',
  'data:image/png;base64,', 'http://', 'https://127.0.0.1:1/x.png', 'file:///etc/passwd', 'javascript:alert(1)', '%00', '../../etc/passwd',
  '__proto__', 'claude-sonnet-4-6-thinking-thinking', '-thinking', 'ephemeral', 'function', 'assistant'
]

const trickyString = fc.constantFrom(...TRICKY_STRINGS)
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), trickyString)
/** Big, sometimes multi-byte strings, kept well under the body limit. */
const hugeString = fc.tuple(fc.constantFrom('a', 'é', '日', '😀', ' ', '\\', '"', '\n'), fc.integer({ min: 1000, max: 12_000 })).map(([unit, count]) => unit.repeat(count))
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: anyText },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.constantFrom<Json>([], {}, [null], [[]], { type: null }, 0, -1, 1e300, 2 ** 53 + 1) },
  { weight: 1, arbitrary: hugeString }
)
const insertedKey = fc.oneof(fc.constantFrom(...TRICKY_KEYS), fc.string({ maxLength: 12 }))

const base64Payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64').replace(/=+$/, '')),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '=', '==', 'A', 'AB=', 'A===', '====', 'QUJD\nREVG', ' QUJD', 'QUJD ', '%41%42', PNG_1X1, PNG_1X1.slice(1))
)
const dataUrl = fc.tuple(
  fc.constantFrom('data:', 'DATA:', 'data', 'data:/', ''),
  fc.oneof(fc.constantFrom('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'IMAGE/PNG', 'image/svg+xml', 'application/pdf', 'text/plain', 'text/html', 'application/json', 'application/octet-stream', ''), fc.string({ maxLength: 20 })),
  fc.constantFrom('', ';base64', ';charset=utf-8;base64', ';base64;base64', ';BASE64', ';base64;name=a.png', ';name=x', ';;'),
  fc.constantFrom(',', ';', ''),
  base64Payload
).map(([scheme, mediaType, params, comma, payload]) => `${scheme}${mediaType}${params}${comma}${payload}`)

/** Mostly a plausible value, sometimes a wrong one, so requests often get past the first checks. */
function mostly (valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: wrongValue })
}
const plainText = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, { weight: 1, arbitrary: anyText })

const validDataUrl = fc.tuple(fc.constantFrom('image/png', 'image/jpeg', 'image/gif', 'image/webp'), fc.uint8Array({ minLength: 1, maxLength: 48 }))
  .map(([mediaType, bytes]) => `data:${mediaType};base64,${Buffer.from(bytes).toString('base64')}`)
const validImagePart = fc.oneof(validDataUrl, fc.webUrl({ validSchemes: ['https', 'http'] })).map((url): Json => ({ type: 'image_url', image_url: { url } }))

const contentPart: fc.Arbitrary<Json> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ type: fc.constant('text'), text: plainText }) },
  { weight: 4, arbitrary: validImagePart },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('image_url'), image_url: fc.oneof(fc.record({ url: fc.oneof(dataUrl, anyText, fc.webUrl()) }, { requiredKeys: [] }), dataUrl) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('file'), file: fc.record({ file_data: fc.oneof(dataUrl, anyText), file_id: anyText, filename: anyText }, { requiredKeys: [] }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom(...PART_TYPES), fc.string({ maxLength: 12 })), text: anyText, image_url: wrongValue, file: wrongValue, input_audio: wrongValue, refusal: anyText }, { requiredKeys: ['type'] }) },
  { weight: 1, arbitrary: fc.oneof(wrongValue, fc.constant<Json>({ type: 'text', text: '' })) }
)
const toolCall: fc.Arbitrary<Json> = fc.record({
  id: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('call_1', 'call_2') }, { weight: 1, arbitrary: anyText }),
  type: fc.oneof({ weight: 12, arbitrary: fc.constant('function') }, { weight: 1, arbitrary: fc.constant('tool') }),
  function: mostly(fc.record({
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('get_weather', 'lookup') }, { weight: 1, arbitrary: anyText }),
    arguments: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('{}', '{"city":"Rome"}') }, { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[1]', '"x"') }, { weight: 1, arbitrary: anyText })
  }, { requiredKeys: ['name', 'arguments'] }))
}, { requiredKeys: ['id', 'function'] })
/** Messages in the shapes clients really send, with plausible but random content. */
const userMessage: fc.Arbitrary<Json> = fc.record({ role: fc.constantFrom('user', 'user', 'system', 'developer'), content: fc.oneof(plainText, fc.array(contentPart, { minLength: 1, maxLength: 3 })) })
const wellFormedMessage: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: userMessage },
  { weight: 2, arbitrary: fc.record({ role: fc.constant('assistant'), content: fc.oneof(plainText, fc.constant(null)), tool_calls: fc.array(toolCall, { maxLength: 2 }) }, { requiredKeys: ['role', 'content'] }) },
  { weight: 1, arbitrary: fc.record({ role: fc.constant('tool'), tool_call_id: fc.constantFrom('call_1', 'call_2'), content: fc.oneof(plainText, fc.array(contentPart, { minLength: 1, maxLength: 2 })) }) }
)
/** Any role (unknown ones too) with any of the message fields, right or wrong. */
const wildMessage: fc.Arbitrary<Json> = fc.record({
  role: fc.oneof(fc.constantFrom(...ROLES), fc.string({ maxLength: 10 })),
  content: fc.oneof(plainText, fc.constant(null), fc.array(contentPart, { maxLength: 4 }), wrongValue),
  name: mostly(fc.string({ maxLength: 12 })),
  tool_calls: mostly(fc.array(toolCall, { maxLength: 3 })),
  tool_call_id: mostly(fc.constantFrom('call_1', 'call_2', 'call_3')),
  reasoning_content: mostly(fc.string({ maxLength: 20 })),
  cache_control: mostly(fc.constant({ type: 'ephemeral' }))
}, { requiredKeys: ['role'] })
const message = fc.oneof({ weight: 20, arbitrary: wellFormedMessage }, { weight: 1, arbitrary: wildMessage })
const conversation: fc.Arbitrary<Json> = fc.tuple(userMessage, fc.array(message, { maxLength: 5 })).map(([first, rest]) => [first, ...rest])
/** Every optional field a client may send, with plausible values; a few of them go into each request. */
const optionalFields = fc.record({
  model: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...MODELS) }, { weight: 1, arbitrary: anyText }),
  messages: conversation,
  stream: fc.boolean(),
  stream_options: fc.record({ include_usage: fc.boolean() }),
  max_tokens: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 8000 }) }, { weight: 1, arbitrary: fc.constantFrom(200_000, 2 ** 31) }),
  temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  top_p: fc.double({ min: 0, max: 1, noNaN: true }),
  top_k: fc.integer({ min: 1, max: 500 }),
  n: fc.integer({ min: 1, max: 3 }),
  stop: fc.oneof(plainText, fc.array(plainText, { maxLength: 5 })),
  tools: fc.oneof(
    fc.constant<Json>([WEATHER_TOOL]),
    fc.array(fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.oneof(fc.constantFrom('get_weather', 'lookup'), anyText), parameters: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 3 }) }, { requiredKeys: ['name'] }) }), { maxLength: 3 })
  ),
  tool_choice: fc.oneof(fc.constantFrom('none', 'auto', 'required'), fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.constantFrom('get_weather', 'lookup', 'other') }) })),
  parallel_tool_calls: fc.boolean(),
  response_format: fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema'), json_schema: fc.record({ name: fc.string({ maxLength: 8 }), schema: fc.constantFrom<Json>({ type: 'object' }, { type: 'object', properties: { a: { type: 'string' } } }, { type: 'array' }) }, { requiredKeys: [] }) }, { requiredKeys: ['type'] }),
  reasoning_effort: fc.oneof(fc.constantFrom('none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'), fc.string({ maxLength: 8 })),
  thinking: fc.record({ type: fc.constantFrom('enabled', 'adaptive', 'disabled'), budget_tokens: fc.integer({ min: 0, max: 70_000 }) }, { requiredKeys: ['type'] }),
  metadata: fc.dictionary(fc.constantFrom('user_id', 'other'), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
  user: fc.string({ maxLength: 20 }),
  logprobs: fc.constant(false)
})
const randomChatRequest: fc.Arbitrary<Json> = fc.tuple(optionalFields, fc.integer({ min: 0, max: 4 }), fc.nat()).map(([fields, count, offset]) => {
  const names = Object.keys(fields).filter((name) => name !== 'model' && name !== 'messages')
  const chosen = Array.from({ length: count }, (_, index) => names[(offset + index * 7) % names.length])
  return Object.fromEntries([['model', fields.model], ['messages', fields.messages], ...chosen.map((name) => [name, fields[name as keyof typeof fields]])]) as Json
})

// ---------------------------------------------------------------------------------------------
// Mutations of valid requests
// ---------------------------------------------------------------------------------------------

type MutationKind = 'delete' | 'replace' | 'insert' | 'duplicate' | 'retype'
interface Mutation { kind: MutationKind; pick: number; key: string; value: Json }

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'replace', 'replace', 'insert', 'duplicate', 'retype'),
  pick: fc.nat(),
  key: insertedKey,
  value: wrongValue
})

interface Slot { parent: JsonObject | Json[]; key: string | number }

/** Every place in the value where a mutation can land (the root object's own fields included). */
function slotsOf (value: Json): Slot[] {
  const slots: Slot[] = []
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => { slots.push({ parent: node, key: index }); visit(child) })
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) { slots.push({ parent: node, key }); visit(child) }
    }
  }
  visit(value)
  return slots
}

/** Own property even for `__proto__`, so JSON.stringify sends it as a field. */
function setOwn (target: JsonObject | Json[], key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A different type for the same place: strings become numbers, objects become arrays, and so on. */
function retyped (value: Json): Json {
  if (typeof value === 'string') return value.length
  if (typeof value === 'number') return String(value)
  if (typeof value === 'boolean') return value ? 'true' : 0
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]))
  if (value === null) return {}
  return Object.values(value)
}

function applyMutation (request: JsonObject, mutation: Mutation): void {
  // Generated values can be shared constants: a private copy keeps runs apart and avoids cycles.
  const change = { ...mutation, value: structuredClone(mutation.value) }
  const slots = slotsOf(request)
  if (slots.length === 0) return setOwn(request, change.key, change.value)
  const slot = slots[change.pick % slots.length]
  const current = (slot.parent as Record<string | number, Json>)[slot.key]
  switch (change.kind) {
    case 'delete':
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1)
      else delete slot.parent[slot.key as string]
      return
    case 'replace':
      return setOwn(slot.parent, slot.key, change.value)
    case 'retype':
      return setOwn(slot.parent, slot.key, retyped(current))
    case 'insert':
      if (Array.isArray(current)) current.push(change.value)
      else if (current !== null && typeof current === 'object') setOwn(current, change.key, change.value)
      else setOwn(request, change.key, change.value)
      return
    case 'duplicate':
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 0, structuredClone(current))
      else setOwn(slot.parent, slot.key, [current, structuredClone(current)])
  }
}

const mutatedRequest: fc.Arbitrary<JsonObject> = fc.tuple(
  fc.constantFrom(...VALID_REQUESTS),
  fc.array(mutation, { minLength: 1, maxLength: 4 })
).map(([start, changes]) => {
  const request = structuredClone(start)
  for (const change of changes) applyMutation(request, change)
  return request
})

// ---------------------------------------------------------------------------------------------
// Sending and judging answers
// ---------------------------------------------------------------------------------------------

const ERROR_FIELDS = ['code', 'message', 'param', 'request_id', 'type']

class Verdict extends Error {}

/** Throws unless the answer is a well-formed 200 (JSON or SSE) or a 4xx OpenAI error object. */
function judge (answer: Answer): void {
  const contentType = String(answer.headers['content-type'] ?? '')
  const where = `status ${answer.status}, body ${answer.body.slice(0, 300)}`
  if (answer.status === 200) {
    if (contentType.startsWith('text/event-stream')) return judgeStream(answer.body, where)
    const completion = JSON.parse(answer.body) as { object?: unknown; choices?: unknown }
    if (completion.object !== 'chat.completion' || !Array.isArray(completion.choices)) throw new Verdict(`200 without a chat.completion: ${where}`)
    return
  }
  if (answer.status < 400 || answer.status >= 500) throw new Verdict(`neither 200 nor 4xx: ${where}`)
  if (!contentType.startsWith('application/json')) throw new Verdict(`4xx that is not JSON (${contentType}): ${where}`)
  const body = JSON.parse(answer.body) as { error?: Record<string, unknown> }
  const error = body.error
  const wellFormed = Object.keys(body).length === 1 && error !== undefined && error !== null &&
    JSON.stringify(Object.keys(error).sort()) === JSON.stringify(ERROR_FIELDS) &&
    typeof error.message === 'string' && error.message !== '' && typeof error.type === 'string' &&
    (error.param === null || typeof error.param === 'string') && (error.code === null || typeof error.code === 'string')
  if (!wellFormed) throw new Verdict(`4xx without an OpenAI error object: ${where}`)
}

function judgeStream (body: string, where: string): void {
  const payloads = body.split('\n\n').map((event) => event.trim()).filter(Boolean)
  if (payloads.some((event) => !event.startsWith('data: '))) throw new Verdict(`SSE event without data: ${where}`)
  const data = payloads.map((event) => event.slice('data: '.length))
  if (data.at(-1) !== '[DONE]') throw new Verdict(`stream does not end with [DONE]: ${where}`)
  for (const item of data.slice(0, -1)) {
    const chunk = JSON.parse(item) as { object?: unknown; error?: unknown }
    if (chunk.object !== 'chat.completion.chunk' && chunk.error === undefined) throw new Verdict(`unexpected SSE payload ${item.slice(0, 200)}`)
  }
}

function withTimeout<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Verdict(`no answer within ${ANSWER_TIMEOUT_MS} ms: ${what}`)), ANSWER_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

interface FuzzContext {
  app: FastifyInstance
  tried: number
  byStatus: Map<number, number>
}

async function send (context: FuzzContext, attempt: Attempt): Promise<Answer> {
  const pending = context.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: attempt.headers, payload: attempt.payload })
  const response = await withTimeout(pending, String(attempt.payload).slice(0, 200))
  const answer: Answer = { status: response.statusCode, headers: response.headers, body: response.body }
  context.tried++
  context.byStatus.set(answer.status, (context.byStatus.get(answer.status) ?? 0) + 1)
  judge(answer)
  refuseUpstreamRefusal(answer)
  return answer
}

/** The stub refusing a request the gateway built is a translation bug, not an answer. */
function refuseUpstreamRefusal (answer: Answer): void {
  if (answer.status === 200) return
  const message = (JSON.parse(answer.body) as { error: { message: string } }).error.message
  if (message.startsWith('Upstream:')) throw new Verdict(`the gateway forwarded what Anthropic refuses (${answer.status}): ${message}`)
}

/** Runs one property and reports how many inputs it sent and how many of them were answered 200. */
async function fuzz<T> (t: Tap, context: FuzzContext, what: string, arbitrary: fc.Arbitrary<T>, runs: number, check: (input: T) => Promise<void>): Promise<void> {
  const before = { tried: context.tried, ok: context.byStatus.get(200) ?? 0 }
  await fc.assert(fc.asyncProperty(arbitrary, check), { numRuns: runs })
  const tried = context.tried - before.tried
  t.comment(`${what} tried: ${tried} (${(context.byStatus.get(200) ?? 0) - before.ok} answered 200)`)
  t.ok(tried >= runs, `${what}: all ${runs} inputs were tried`)
}

const jsonAttempt = (body: unknown): Attempt => ({ payload: JSON.stringify(body), headers: JSON_HEADERS })

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

test('fuzzing POST /v1/chat/completions never yields a 5xx, a malformed error, a crash or a hang', async (t) => {
  const stub: AnthropicStub = await startAnthropicStub()
  const errorLogs: string[] = []
  const app = await buildGateway(stub.url, { config: { BODY_LIMIT, LOG_LEVEL: 'error' }, logLines: errorLogs })
  const context: FuzzContext = { app, tried: 0, byStatus: new Map() }
  t.teardown(async () => {
    await app.close()
    await stub.close()
  })

  await t.test('every starting request is accepted as it is', async (t) => {
    for (const request of VALID_REQUESTS) {
      const answer = await send(context, jsonAttempt(request))
      t.equal(answer.status, 200, `${JSON.stringify(request).slice(0, 120)} → ${answer.body.slice(0, 200)}`)
    }
  })

  await t.test('mutated valid requests', async (t) => {
    await fuzz(t, context, 'mutated requests', mutatedRequest, RUNS.mutated, async (request) => { await send(context, jsonAttempt(request)) })
  })

  await t.test('random chat-shaped requests with unknown roles, part types and wrong types', async (t) => {
    await fuzz(t, context, 'random chat requests', randomChatRequest, RUNS.random, async (request) => { await send(context, jsonAttempt(request)) })
  })

  await t.test('invalid base64 and data URLs in image and file parts', async (t) => {
    const someDataUrl = fc.oneof({ weight: 4, arbitrary: dataUrl }, { weight: 1, arbitrary: validDataUrl })
    const urlPart = fc.oneof(
      someDataUrl.map((url): Json => ({ type: 'image_url', image_url: { url } })),
      someDataUrl.map((url): Json => ({ type: 'image_url', image_url: url })),
      fc.tuple(someDataUrl, fc.option(anyText, { nil: undefined })).map(([url, filename]): Json => ({ type: 'file', file: filename === undefined ? { file_data: url } : { file_data: url, filename } }))
    )
    await fuzz(t, context, 'data URL requests', fc.array(urlPart, { minLength: 1, maxLength: 3 }), RUNS.dataUrls, async (parts) => {
      await send(context, jsonAttempt({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, ...parts] }] }))
    })
  })

  await t.test('JSON values of any shape, raw text and raw bytes as the body', async (t) => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('{', '}', '{"model":', '[', 'nul', '{"model":"a","messages":[}', '\u0000', '{"a":1}{"b":2}', '{"__proto__":{"polluted":1},"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"x"}]}', '{"constructor":{"prototype":{"polluted":1}}}'),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes))
    )
    await fuzz(t, context, 'raw bodies', body, RUNS.rawBodies, async (payload) => {
      const answer = await send(context, { payload, headers: JSON_HEADERS })
      if (answer.status !== 400) throw new Verdict(`a body that is no chat request was not refused with 400: ${answer.status}`)
    })
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted')
  })

  await t.test('objects and arrays nested deeply anywhere in the request', async (t) => {
    const nestable = ['thinking', 'metadata', 'tool_parameters', 'json_schema', 'content', 'tool_arguments', 'audio', 'function_call']
    await fuzz(t, context, 'deeply nested requests', fc.tuple(fc.constantFrom(...nestable), fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1000, max: 20_000 })), fc.constantFrom('[', '{"a":')), RUNS.nested, async ([where, depth, opener]) => {
      const closer = opener === '[' ? ']' : '}'
      const deep = opener.repeat(depth) + '1' + closer.repeat(depth)
      const payload = deepRequest(where, deep)
      const answer = await send(context, { payload, headers: JSON_HEADERS })
      const expected = Buffer.byteLength(payload) > BODY_LIMIT ? 413 : 400
      const insideString = where === 'tool_arguments'
      if (depth > MAX_JSON_DEPTH && !insideString && answer.status !== expected) throw new Verdict(`nesting ${depth} deep got ${answer.status}, not ${expected}`)
    })
  })

  await t.test('random headers: content types, key forms and extra headers', async (t) => {
    const authForms = fc.constantFrom<Record<string, string>>(
      { authorization: `Bearer ${CLIENT_KEY}` }, { authorization: `bearer   ${CLIENT_KEY}  ` }, { 'x-api-key': CLIENT_KEY },
      { authorization: 'Bearer wrong', 'x-api-key': CLIENT_KEY }, { authorization: `Basic ${CLIENT_KEY}` }, { authorization: 'Bearer' },
      { authorization: `Bearer ${CLIENT_KEY}x` }, { 'x-api-key': '' }, {}, { authorization: `Bearer ${CLIENT_KEY.slice(0, -1)}` }
    )
    const contentTypes = fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8', 'text/plain',
        'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx',
        'application/json-patch+json', 'application/vnd.api+json', '*/*', 'json', 'application/', ' application/json', 'application/json;;'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 30 })
    )
    const extraHeaders = fc.dictionary(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !['content-length', 'transfer-encoding', 'content-type', 'authorization', 'x-api-key', 'host', 'expect', 'connection', 'content-encoding'].includes(name)),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
      { maxKeys: 4 }
    )
    const input = fc.tuple(authForms, fc.option(contentTypes, { nil: undefined }), extraHeaders, fc.constantFrom(...VALID_REQUESTS))
    await fuzz(t, context, 'header variations', input, RUNS.headers, async ([auth, contentType, extra, request]) => {
      const headers: Record<string, string> = { ...extra, ...auth }
      if (contentType !== undefined) headers['content-type'] = contentType
      const answer = await send(context, { payload: JSON.stringify(request), headers })
      if (!presentsClientKey(auth) && answer.status !== 401) throw new Verdict(`a request without a valid key got ${answer.status}`)
    })
  })

  await t.test('oversized bodies get 413 and bodies under the limit do not', async (t) => {
    const size = fc.tuple(fc.integer({ min: BODY_LIMIT - 3000, max: BODY_LIMIT * 3 }), fc.constantFrom('a', 'é', '日', '😀'))
    await fuzz(t, context, 'body sizes', size, RUNS.bodySizes, async ([length, unit]) => {
      const text = unit.repeat(Math.ceil(length / Buffer.byteLength(unit)))
      const payload = JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: text }] })
      const answer = await send(context, { payload, headers: JSON_HEADERS })
      const tooLarge = Buffer.byteLength(payload) > BODY_LIMIT
      if (tooLarge !== (answer.status === 413)) throw new Verdict(`${Buffer.byteLength(payload)} bytes (limit ${BODY_LIMIT}) got ${answer.status}`)
    })
  })

  await t.test('the gateway is still healthy and logged no unexpected error', async (t) => {
    const health = await app.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200)
    const answer = await send(context, jsonAttempt(VALID_REQUESTS[0]))
    t.equal(answer.status, 200, 'a valid request still succeeds')
    t.same(errorLogs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50), [], 'no error-level log lines')
  })

  t.comment(`inputs tried in total: ${context.tried}; answers by status: ${JSON.stringify(Object.fromEntries([...context.byStatus].sort((a, b) => a[0] - b[0])))}`)
})

/** True when the auth headers carry the client key in a form the gateway accepts. */
function presentsClientKey (auth: Record<string, string>): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec((auth.authorization ?? '').trim())
  if (bearer) return bearer[1].trim() === CLIENT_KEY
  return (auth['x-api-key'] ?? '').trim() === CLIENT_KEY
}

/** A valid request with `deep` (raw JSON text) placed at one spot; built as text so any depth fits. */
function deepRequest (where: string, deep: string): string {
  const user = '{"role":"user","content":"hi"}'
  const start = '"model":"claude-sonnet-4-6"'
  switch (where) {
    case 'tool_parameters':
      return `{${start},"messages":[${user}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":${deep}}}}}]}`
    case 'json_schema':
      return `{${start},"messages":[${user}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","properties":{"x":${deep}}}}}}`
    case 'content':
      return `{${start},"messages":[{"role":"user","content":[{"type":"text","text":"x","extra":${deep}}]}]}`
    case 'tool_arguments':
      return `{${start},"messages":[${user},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":${JSON.stringify(deep)}}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],"tools":[{"type":"function","function":{"name":"f"}}]}`
    case 'function_call':
      return `{${start},"messages":[{"role":"user","content":"hi","function_call":${deep}}]}`
    default:
      return `{${start},"messages":[${user}],"${where}":${deep}}`
  }
}
