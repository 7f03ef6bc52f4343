import { test } from 'tap'
import { request as httpRequest } from 'node:http'
import { minimumCacheableTokens, startAnthropicStub, type AnthropicStub, type StubBlock, type StubOptions } from './anthropic-stub.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]
type Json = Record<string, unknown>

const KEY = 'sk-ant-api03-test'
const HEADERS: Record<string, string> = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
const WEATHER_TOOL = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }

interface SseEvent {
  event: string
  data: Json
}

// Rule tests answer on a fixed day, so a model's rules stay testable after its retirement is announced.
const RULES_DAY = '2026-11-30'

async function withStub (t: Tap, opts: StubOptions = {}): Promise<AnthropicStub> {
  const stub = await startAnthropicStub({ today: RULES_DAY, ...opts })
  t.teardown(() => stub.close())
  return stub
}

function baseRequest (overrides: Json = {}): Json {
  return { model: 'claude-haiku-4-5-20251001', max_tokens: 2048, messages: [{ role: 'user', content: 'Hi' }], ...overrides }
}

function post (stub: AnthropicStub, body: unknown, init: { headers?: Record<string, string>; path?: string; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(stub.url + (init.path ?? '/v1/messages'), {
    method: 'POST',
    headers: init.headers ?? HEADERS,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  })
}

async function call (stub: AnthropicStub, body: unknown, init: { headers?: Record<string, string>; path?: string } = {}): Promise<{ status: number; body: any }> {
  const res = await post(stub, body, init)
  return { status: res.status, body: await res.json() }
}

async function expectInvalid (t: Tap, stub: AnthropicStub, body: unknown, pattern: RegExp, name = pattern.source): Promise<void> {
  const res = await call(stub, body)
  t.equal(res.status, 400, `${name}: status`)
  t.equal(res.body.error?.type, 'invalid_request_error', `${name}: type`)
  t.match(res.body.error?.message, pattern, `${name}: message`)
}

async function expectAccepted (t: Tap, stub: AnthropicStub, body: unknown, name: string): Promise<void> {
  const res = await call(stub, body)
  t.equal(res.status, 200, `${name}: ${res.status === 200 ? 'accepted' : JSON.stringify(res.body.error)}`)
}

function parseSse (text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split('\n')
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? ''
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6) ?? '{}'
      return { event, data: JSON.parse(data) as Json }
    })
}

/** Reads a streamed body to its end or its failure, keeping every complete event. */
async function collectEvents (res: Response): Promise<{ events: SseEvent[]; error: unknown }> {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let error: unknown
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } catch (caught) {
    error = caught
  }
  const complete = text.slice(0, text.lastIndexOf('\n\n') + 2)
  return { events: parseSse(complete), error }
}

/** Rebuilds content blocks from stream events the way a client would. */
function assembleBlocks (events: SseEvent[]): Json[] {
  const blocks: Json[] = []
  const partialJson: string[] = []
  for (const { data } of events) {
    const index = data.index as number
    if (data.type === 'content_block_start') {
      blocks[index] = { ...(data.content_block as Json) }
      partialJson[index] = ''
    } else if (data.type === 'content_block_delta') {
      const delta = data.delta as Json
      const block = blocks[index]
      if (delta.type === 'text_delta') block.text = (block.text as string) + (delta.text as string)
      if (delta.type === 'thinking_delta') block.thinking = (block.thinking as string) + (delta.thinking as string)
      if (delta.type === 'signature_delta') block.signature = delta.signature
      if (delta.type === 'input_json_delta') partialJson[index] += delta.partial_json as string
    } else if (data.type === 'content_block_stop' && blocks[index].type === 'tool_use') {
      blocks[index].input = partialJson[index] === '' ? {} : JSON.parse(partialJson[index])
    }
  }
  return blocks
}

async function waitFor (condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

test('serves the default reply as JSON, echoing the model, and records the request', async (t) => {
  const stub = await withStub(t)
  const res = await post(stub, baseRequest({ model: 'claude-haiku-4-5-20251001' }))
  t.equal(res.status, 200)
  t.match(res.headers.get('request-id'), /^req_/)
  const body = (await res.json()) as any
  t.match(body, {
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5-20251001',
    content: [{ type: 'text', text: 'Hello from the stub.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  })
  t.match(body.id, /^msg_[A-Za-z0-9]+$/)
  t.equal(stub.requests.length, 1)
  t.match(stub.requests[0], { method: 'POST', path: '/v1/messages', key: KEY, body: { model: 'claude-haiku-4-5-20251001' } })
  t.type(stub.requests[0].receivedAt, 'number')
})

test('answers auth, header, parse, size and routing problems with Anthropic error bodies', async (t) => {
  const stub = await withStub(t, { keys: ['sk-ant-api03-good'] })
  const good: Record<string, string> = { ...HEADERS, 'x-api-key': 'sk-ant-api03-good' }
  const { 'x-api-key': _key, ...noKey } = good
  const { 'anthropic-version': _version, ...noVersion } = good

  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['missing key', () => post(stub, baseRequest(), { headers: noKey }), 401, 'authentication_error'],
    ['unknown key', () => post(stub, baseRequest(), { headers: HEADERS }), 401, 'authentication_error'],
    ['missing version', () => post(stub, baseRequest(), { headers: noVersion }), 400, 'invalid_request_error'],
    ['non-JSON body', () => post(stub, '{not json', { headers: good }), 400, 'invalid_request_error'],
    ['unknown route', () => post(stub, baseRequest(), { headers: good, path: '/v1/complete' }), 404, 'not_found_error'],
    ['body over 32 MB', () => post(stub, JSON.stringify({ pad: 'x'.repeat(33 * 1024 * 1024) }), { headers: good }), 413, 'request_too_large'],
  ]
  for (const [name, send, status, type] of cases) {
    const res = await send()
    const body = (await res.json()) as any
    t.equal(res.status, status, `${name}: status`)
    t.match(body, { type: 'error', error: { type, message: String }, request_id: /^req_/ }, `${name}: body`)
    t.equal(res.headers.get('request-id'), body.request_id, `${name}: request-id header`)
  }
  t.equal(stub.requests.length, cases.length, 'rejected requests are recorded')
})

test('rejects malformed top-level fields and messages without consuming the queue', async (t) => {
  const stub = await withStub(t)
  stub.enqueue({ content: [{ type: 'text', text: 'queued' }] })
  const invalid: Array<[Json, RegExp]> = [
    [baseRequest({ frequency_penalty: 1 }), /^frequency_penalty: Extra inputs are not permitted/],
    [{ max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }, /^model: Field required/],
    [baseRequest({ max_tokens: 0 }), /^max_tokens: .*greater than or equal to 1/],
    [baseRequest({ max_tokens: 1.5 }), /^max_tokens: .*integer/],
    [baseRequest({ max_tokens: 200000 }), /^max_tokens: 200000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001/],
    [baseRequest({ messages: [] }), /^messages: at least one message/],
    [baseRequest({ messages: [{ role: 'system', content: 'Hi' }] }), /^messages\.0\.role: /],
    [baseRequest({ messages: [{ role: 'user', content: '  ' }] }), /^messages\.0: all messages must have non-empty content/],
    [baseRequest({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }), /text content blocks must be non-empty/],
    [baseRequest({ messages: [{ role: 'user', content: [{ type: 'text', text: ' \n' }] }] }), /must contain non-whitespace text/],
    [baseRequest({ messages: [{ role: 'user', content: 'Hi', name: 'bob' }] }), /^messages\.0\.name: Extra inputs/],
    [baseRequest({ system: [{ type: 'text', text: '' }] }), /^system\.0\.text: text content blocks must be non-empty/],
    [baseRequest({ temperature: 1.5 }), /^temperature: .*less than or equal to 1/],
    [baseRequest({ top_p: -0.1 }), /^top_p: /],
    [baseRequest({ top_k: 0 }), /^top_k: /],
    [baseRequest({ stop_sequences: ['END', ' '] }), /^stop_sequences\.1: each stop sequence must contain non-whitespace/],
    [baseRequest({ metadata: { user_id: 'u', session: 's' } }), /^metadata\.session: Extra inputs/],
    [baseRequest({ metadata: { user_id: 'u'.repeat(257) } }), /^metadata\.user_id: .*256/],
    [baseRequest({ stream: 'yes' }), /^stream: /],
  ]
  for (const [body, pattern] of invalid) await expectInvalid(t, stub, body, pattern)

  t.equal(stub.requests.length, invalid.length, 'rejected requests are recorded')
  await expectInvalid(t, stub, baseRequest({ messages: [{ role: 'assistant', content: 'Earlier answer' }, { role: 'user', content: 'a' }] }), /first message must use the "user" role/)
  const res = await call(stub, baseRequest({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }))
  t.equal(res.status, 200, 'consecutive user turns are accepted')
  t.equal(res.body.content[0].text, 'queued', 'the queued reply went to the first valid request, not to a rejected one')
})

test('checks content block shapes and where each block may appear', async (t) => {
  const stub = await withStub(t)
  const user = (content: unknown[]): Json => baseRequest({ messages: [{ role: 'user', content }] })
  const png = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }
  const invalid: Array<[Json, RegExp]> = [
    [baseRequest({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [png] }] }), /^messages\.1\.content\.0\.type: `image` blocks are not allowed in `assistant` messages/],
    [user([{ type: 'thinking', thinking: 'hm', signature: 'sig' }]), /^messages\.0\.content\.0\.type: `thinking` blocks are not allowed in `user` messages/],
    [user([{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AAAA' } }]), /^messages\.0\.content\.0\.source\.media_type: /],
    [user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'not base64!' } }]), /source\.data: invalid base64/],
    [user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '' } }]), /source\.data: base64 data must be non-empty/],
    [user([{ type: 'image', source: { type: 'url', url: 'ftp://example.com/a.png' } }]), /source\.url: URL scheme/],
    [user([{ type: 'image', source: { type: 'file', file_id: 'file_1' } }]), /source\.type: /],
    [user([{ type: 'text', text: 'hi', detail: 'high' }]), /^messages\.0\.content\.0\.detail: Extra inputs are not permitted/],
    [user([{ type: 'input_audio', data: 'AAAA' }]), /^messages\.0\.content\.0\.type: Input tag 'input_audio'/],
    [user([{ type: 'document', source: { type: 'base64', media_type: 'application/msword', data: 'AAAA' } }]), /source\.media_type: /],
    [user([{ type: 'text', text: 'hi', cache_control: { type: 'persistent' } }]), /cache_control\.type: /],
    [user([{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral', ttl: '10m' } }]), /cache_control\.ttl: /],
  ]
  for (const [body, pattern] of invalid) await expectInvalid(t, stub, body, pattern)

  await expectAccepted(t, stub, user([
    { type: 'text', text: 'Look:', cache_control: { type: 'ephemeral', ttl: '1h' } },
    png,
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.webp' } },
    { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'Spec', citations: { enabled: true } },
    { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain text' }, context: 'ctx' },
    { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'chunk' }] } },
  ]), 'every user block kind')
})

test('requires every tool_use to be answered by a leading tool_result in the next user turn', async (t) => {
  const stub = await withStub(t)
  const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }
  const result = { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }, { type: 'image', source: { type: 'url', url: 'http://x.test/a.png' } }] }
  const turns = (next: unknown[]): Json[] => [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, toolUse] }, { role: 'user', content: next }]

  await expectAccepted(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: turns([result, { type: 'text', text: 'thanks' }]) }), 'paired tool turn')
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: turns([{ type: 'text', text: 'no result' }]) }),
    /^messages\.1: tool_use ids were found without tool_result blocks immediately after: toolu_1\. Each tool_use block must have a corresponding tool_result block in the next message\./)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: turns([{ type: 'text', text: 'first' }, result]) }), /^messages\.2\.content\.1: tool_result blocks must come first/)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: turns([result, { ...result, tool_use_id: 'toolu_2' }]) }), /unexpected `tool_use_id` found in `tool_result` blocks: toolu_2/)
  await expectInvalid(t, stub, baseRequest({ messages: turns([result]) }), /must define tools/)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: [toolUse] }] }), /tool_use ids were found without tool_result/, 'trailing tool_use')
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ ...toolUse, name: 'get.weather' }] }, { role: 'user', content: [result] }] }), /content\.0\.name: String should match pattern/)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ ...toolUse, id: 'call:1' }] }, { role: 'user', content: [result] }] }), /content\.0\.id: String should match pattern/)
})

test('validates tools, tool_choice and the cache_control budget', async (t) => {
  const stub = await withStub(t)
  const cached = { type: 'ephemeral' }
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL, WEATHER_TOOL] }), /^tools: Tool names must be unique/)
  await expectInvalid(t, stub, baseRequest({ tools: [{ ...WEATHER_TOOL, input_schema: { type: 'string' } }] }), /^tools\.0\.custom\.input_schema\.type: /)
  await expectInvalid(t, stub, baseRequest({ tools: [{ ...WEATHER_TOOL, name: 'has space' }] }), /^tools\.0\.custom\.name: String should match pattern/)
  await expectInvalid(t, stub, baseRequest({ tools: [{ ...WEATHER_TOOL, parameters: {} }] }), /^tools\.0\.custom\.parameters: Extra inputs/)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], tool_choice: { type: 'tool', name: 'nope' } }), /Tool 'nope' not found/)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], tool_choice: { type: 'required' } }), /^tool_choice\.type: /)
  await expectInvalid(t, stub, baseRequest({ tools: [WEATHER_TOOL], tool_choice: { type: 'none', disable_parallel_tool_use: true } }), /^tool_choice\.none\.disable_parallel_tool_use: Extra inputs/)
  await expectAccepted(t, stub, baseRequest({
    tools: [{ ...WEATHER_TOOL, strict: true }, { type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
    tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
  }), 'custom and server tools with a named tool_choice')

  const fiveBreakpoints = baseRequest({
    cache_control: cached,
    tools: [{ ...WEATHER_TOOL, cache_control: cached }],
    system: [{ type: 'text', text: 'sys', cache_control: cached }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: cached }, { type: 'text', text: 'b', cache_control: cached }] }],
  })
  await expectInvalid(t, stub, fiveBreakpoints, /^A maximum of 4 blocks with cache_control may be provided\. Found 5\.$/)
  await expectAccepted(t, stub, { ...fiveBreakpoints, cache_control: undefined }, 'four breakpoints')
})

test('prompt caches ignore a breakpoint whose prefix is below the model\'s minimum, silently', async (t) => {
  t.same(['claude-opus-5', 'claude-fable-5', 'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5-20251101', 'claude-sonnet-5', 'claude-sonnet-4-6', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-20250514', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001', 'claude-3-5-haiku-20241022'].map(minimumCacheableTokens),
    [512, 512, 1024, 2048, 4096, 4096, 1024, 1024, 1024, 1024, 1024, 4096, 2048], 'the minimums of Anthropic\'s prompt-caching page')
  const stub = await withStub(t, { promptCache: true })
  const cached = { type: 'ephemeral' }
  // About 2,000 tokens (characters / 4): above Sonnet 4.6's minimum, below Haiku 4.5's.
  const system = [{ type: 'text', text: 'Short rules.', cache_control: cached }, { type: 'text', text: 'A long reference. '.repeat(450), cache_control: cached }]
  const usage = async (model: string): Promise<Json> => (await call(stub, baseRequest({ model, system }))).body.usage
  const sonnet = await usage('claude-sonnet-4-6')
  t.ok((sonnet.cache_creation_input_tokens as number) > 1024, 'Sonnet 4.6 writes up to the long block\'s breakpoint')
  t.equal(sonnet.cache_read_input_tokens, 0)
  t.equal((await usage('claude-sonnet-4-6')).cache_read_input_tokens, sonnet.cache_creation_input_tokens, 'and reads it back')
  const shortOnly = (await call(stub, baseRequest({ model: 'claude-sonnet-4-6', system: system.slice(0, 1) }))).body.usage
  t.same([shortOnly.cache_creation_input_tokens, shortOnly.cache_read_input_tokens], [0, 0], 'the short block\'s own breakpoint was never written, and is not now')
  for (let turn = 0; turn < 2; turn++) {
    const haiku = await usage('claude-haiku-4-5-20251001')
    t.same([haiku.cache_creation_input_tokens, haiku.cache_read_input_tokens], [0, 0], 'Haiku 4.5 writes and reads nothing, without an error')
  }
})

test('applies the per-model thinking table and thinking constraints', async (t) => {
  const stub = await withStub(t)
  const enabled = { type: 'enabled', budget_tokens: 1024 }
  const adaptive = { type: 'adaptive' }
  const req = (model: string, extra: Json): Json => baseRequest({ model, max_tokens: 4096, ...extra })
  const invalid: Array<[Json, RegExp]> = [
    [req('claude-opus-4-7', { thinking: enabled }), /^thinking\.type: "enabled" is not supported for this model/],
    [req('claude-sonnet-5', { thinking: enabled }), /"enabled" is not supported/],
    [req('claude-haiku-4-5-20251001', { thinking: adaptive }), /^thinking\.type: "adaptive" is not supported for this model/],
    [req('claude-3-7-sonnet-20250219', { thinking: adaptive }), /"adaptive" is not supported/],
    [req('claude-fable-5', { thinking: { type: 'disabled' } }), /"disabled" is not supported/],
    [req('claude-haiku-4-5-20251001', { thinking: { type: 'enabled', budget_tokens: 1000 } }), /^thinking\.enabled\.budget_tokens: .*1024/],
    [req('claude-haiku-4-5-20251001', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 2000 } }), /`max_tokens` must be greater than `thinking\.budget_tokens`/],
    [req('claude-haiku-4-5-20251001', { thinking: { ...enabled, display: 'full' } }), /^thinking\.enabled\.display: Input should be 'summarized', 'omitted'/],
    [req('claude-opus-4-7', { thinking: { type: 'adaptive', display: 'full' } }), /^thinking\.adaptive\.display: /],
    [req('claude-haiku-4-5-20251001', { thinking: enabled, tools: [WEATHER_TOOL], tool_choice: { type: 'any' } }), /^Thinking may not be enabled when tool_choice forces tool use\.$/],
    [req('claude-haiku-4-5-20251001', { thinking: enabled, temperature: 0.5 }), /`temperature` may only be set to 1 when thinking is enabled/],
    [req('claude-sonnet-4-6', { thinking: adaptive, top_k: 5 }), /`top_k` must be unset when thinking is enabled/],
    [req('claude-haiku-4-5-20251001', { thinking: enabled, top_p: 0.9 }), /`top_p` must be between 0\.95 and 1/],
  ]
  for (const [body, pattern] of invalid) await expectInvalid(t, stub, body, pattern)

  const valid: Array<[Json, string]> = [
    [req('claude-opus-4-6', { thinking: enabled }), 'opus 4.6 enabled'],
    [req('claude-opus-4-6', { thinking: adaptive }), 'opus 4.6 adaptive'],
    [req('claude-sonnet-4-6', { thinking: { type: 'adaptive', display: 'omitted' } }), 'sonnet 4.6 adaptive with display'],
    [req('claude-haiku-4-5-20251001', { thinking: { ...enabled, display: 'omitted' } }), 'budget thinking with display, as Claude Code sends it'],
    [req('claude-opus-4-7', { thinking: { type: 'adaptive', display: 'summarized' }, tools: [WEATHER_TOOL], tool_choice: { type: 'any' } }), 'adaptive allows forced tool use'],
    [req('claude-opus-4-5-20251101', { thinking: enabled, top_p: 0.96, temperature: 1 }), 'enabled with permitted sampling'],
    [req('claude-opus-4-7', { thinking: { type: 'disabled' } }), 'disabled thinking'],
  ]
  for (const [body, name] of valid) await expectAccepted(t, stub, body, name)
})

test('applies per-model sampling, effort, structured-output and prefill rules', async (t) => {
  const stub = await withStub(t)
  const prefill = (model: string, extra: Json = {}): Json =>
    baseRequest({ model, messages: [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hi' }], ...extra })
  const schema = { type: 'json_schema', schema: { type: 'object' } }
  const invalid: Array<[Json, RegExp]> = [
    [baseRequest({ model: 'claude-opus-4-7', temperature: 0.2 }), /^`temperature` is deprecated for this model/],
    [baseRequest({ model: 'claude-opus-4-8', top_p: 0.9 }), /^`top_p` is deprecated/],
    [baseRequest({ model: 'claude-opus-5', top_k: 40 }), /^`top_k` is deprecated/],
    [baseRequest({ model: 'claude-haiku-4-5-20251001', temperature: 0.5, top_p: 0.9 }), /^`temperature` and `top_p` cannot both be specified for this model\./],
    [baseRequest({ model: 'claude-haiku-4-5', temperature: 0.5, top_p: 0.9 }), /cannot both be specified/],
    [baseRequest({ model: 'claude-sonnet-4-6', output_config: { effort: 'xhigh' } }), /^output_config\.effort: "xhigh" is not supported/],
    [baseRequest({ output_config: { effort: 'extreme' } }), /^output_config\.effort: /],
    [baseRequest({ model: 'claude-sonnet-4-20250514', output_config: { format: schema } }), /^output_config\.format: structured outputs are not supported/],
    [baseRequest({ output_config: { format: { type: 'json_object' } } }), /^output_config\.format\.type: /],
    [prefill('claude-opus-4-6'), /^This model does not support assistant message prefill\./],
    [prefill('claude-opus-4-7'), /does not support assistant message prefill/],
    // Anthropic's migration guide: a prefill is a 400 on Sonnet 4.6 too.
    [prefill('claude-sonnet-4-6'), /does not support assistant message prefill/],
    [prefill('claude-haiku-4-5-20251001', { thinking: { type: 'enabled', budget_tokens: 1024 } }), /prefill is not supported when thinking is enabled/],
    [prefill('claude-haiku-4-5-20251001', { output_config: { format: schema } }), /prefill is not supported with structured outputs/],
    [baseRequest({ messages: [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hi ' }] }), /final assistant content cannot end with trailing whitespace/],
  ]
  for (const [body, pattern] of invalid) await expectInvalid(t, stub, body, pattern)

  const valid: Array<[Json, string]> = [
    [baseRequest({ model: 'claude-opus-4-7', temperature: 1, top_p: 1, output_config: { effort: 'xhigh', format: schema } }), 'defaults on opus 4.7'],
    [baseRequest({ model: 'claude-opus-4-1-20250805', temperature: 0.3, top_p: 0.8, top_k: 10 }), 'older model takes all sampling knobs'],
    [baseRequest({ model: 'claude-haiku-4-5-20251001', temperature: 0.3, output_config: { format: schema } }), 'haiku 4.5 format'],
    [baseRequest({ model: 'claude-opus-4-5-20251101', output_config: { effort: 'low', format: schema } }), 'opus 4.5 effort and format'],
    [baseRequest({ model: 'claude-sonnet-4-6', output_config: { effort: 'max' } }), 'sonnet 4.6 effort max'],
    [prefill('claude-haiku-4-5-20251001'), 'prefill on haiku 4.5'],
  ]
  for (const [body, name] of valid) await expectAccepted(t, stub, body, name)
})

test('verifies that issued thinking comes back first and unmodified in a tool turn', async (t) => {
  const stub = await withStub(t)
  const thinking = { type: 'adaptive' }
  stub.enqueue({
    content: [
      { type: 'thinking', thinking: 'I should call the tool.', signature: 'sig-issued-1' },
      { type: 'redacted_thinking', data: 'redacted-issued-1' },
      { type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: { city: 'Oslo' } },
    ],
  })
  const first = baseRequest({ model: 'claude-opus-4-7', stream: true, thinking, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in Oslo?' }] })
  const { events } = await collectEvents(await post(stub, first))
  const issued = assembleBlocks(events)
  t.same(issued.map((block) => block.type), ['thinking', 'redacted_thinking', 'tool_use'])

  const followUp = (assistant: Json[], extra: Json = {}): Json => baseRequest({
    model: 'claude-opus-4-7',
    thinking,
    tools: [WEATHER_TOOL],
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: assistant },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'cold' }] },
    ],
    ...extra,
  })
  const [thought, redacted, toolUse] = issued
  await expectAccepted(t, stub, followUp(issued), 'blocks returned intact')
  await expectInvalid(t, stub, followUp([toolUse]),
    /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`\. When `thinking` is enabled, a final `assistant` message must start with a thinking block/)
  await expectInvalid(t, stub, followUp([{ ...thought, thinking: 'edited' }, redacted, toolUse]),
    /^messages\.1\.content\.0: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified\./)
  await expectInvalid(t, stub, followUp([{ ...thought, signature: 'forged' }, toolUse]), /^messages\.1\.content\.0: .*cannot be modified/)
  await expectInvalid(t, stub, followUp([thought, { type: 'redacted_thinking', data: 'forged' }, toolUse]), /^messages\.1\.content\.1: .*cannot be modified/)
  await expectAccepted(t, stub, followUp([toolUse], { thinking: undefined }), 'without thinking the blocks may be dropped')
  // The turn's thinking comes back whole: starting with its redacted block alone drops the first one.
  await expectInvalid(t, stub, followUp([{ type: 'redacted_thinking', data: 'redacted-issued-1' }, toolUse]), /cannot be modified/, 'dropping the first of two thinking blocks')
})

test('streams the documented SSE sequence with chunked deltas and pings', async (t) => {
  const stub = await withStub(t, { chunkSize: 3, pingEvery: 4 })
  const content: StubBlock[] = [
    { type: 'thinking', thinking: 'Let me think ✓ 🙂 here.', signature: 'sig-stream' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: 'Calling tools now.' },
    { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Zürich', days: [1, 2] } },
    { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: {} },
  ]
  stub.enqueue({ content, usage: { input_tokens: 42, output_tokens: 77, cache_read_input_tokens: 7, output_tokens_details: { thinking_tokens: 20 } }, headers: { 'x-extra': 'yes' } })
  const res = await post(stub, baseRequest({ stream: true }))
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/event-stream/)
  t.equal(res.headers.get('x-extra'), 'yes')
  const { events, error } = await collectEvents(res)
  t.equal(error, undefined)

  const withoutPings = events.filter((event) => event.event !== 'ping')
  const pingPositions = events.flatMap((event, index) => (event.event === 'ping' ? [index] : []))
  t.same(pingPositions.slice(0, 2), [4, 9], 'a ping after every 4 events')
  t.ok(events.every((event) => event.event === event.data.type), 'event name matches data.type')

  t.match(withoutPings[0].data, {
    type: 'message_start',
    message: { type: 'message', role: 'assistant', content: [], stop_reason: null, usage: { input_tokens: 42, cache_read_input_tokens: 7, cache_creation_input_tokens: 0, output_tokens: 1 } },
  })
  t.notOk((withoutPings[0].data.message as any).usage.output_tokens_details, 'details only on message_delta')
  const starts = withoutPings.filter((event) => event.event === 'content_block_start').map((event) => event.data.content_block)
  t.same(starts, [
    { type: 'thinking', thinking: '', signature: '' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: '' },
    { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} },
    { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: {} },
  ])
  const deltas = withoutPings.filter((event) => event.event === 'content_block_delta').map((event) => event.data.delta as Json)
  const pieces = deltas.map((delta) => (delta.text ?? delta.thinking ?? delta.partial_json) as string | undefined).filter((piece) => piece !== undefined)
  t.ok(pieces.every((piece) => Array.from(piece).length <= 3), 'deltas carry at most chunkSize characters')
  t.same(deltas.filter((delta) => delta.type === 'signature_delta'), [{ type: 'signature_delta', signature: 'sig-stream' }])
  t.same(deltas.filter((delta) => delta.type === 'input_json_delta').at(-1), { type: 'input_json_delta', partial_json: '' }, 'empty input streams one empty piece')
  t.same(assembleBlocks(events), content, 'deltas reassemble into the reply content')

  const tail = withoutPings.slice(-2)
  t.same(tail[0].data, { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 77, output_tokens_details: { thinking_tokens: 20 } } })
  t.same(tail[1].data, { type: 'message_stop' })
  const order = withoutPings.map((event) => event.event).filter((name, index, all) => name !== all[index - 1])
  t.same(order.slice(0, 5), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start'])
})

test('spaces events by eventDelayMs and waits for drain under back-pressure', async (t) => {
  const slow = await withStub(t, { eventDelayMs: 40 })
  const started = Date.now()
  const { events } = await collectEvents(await post(slow, baseRequest({ stream: true })))
  t.equal(events.length, 10, 'start, block start, 5 deltas of 4 characters, block stop, message delta, stop')
  t.ok(Date.now() - started >= 40 * (events.length - 1) - 5, 'total time reflects the delay between events')

  // A client that never reads leaves the stub blocked on 'drain', so it has not finished when the client leaves.
  const stub = await withStub(t, { chunkSize: 64 * 1024 })
  stub.enqueue({ content: [{ type: 'text', text: 'x'.repeat(24 * 1024 * 1024) }] })
  const body = JSON.stringify(baseRequest({ stream: true }))
  await new Promise<void>((resolve) => {
    const req = httpRequest(stub.url + '/v1/messages', { method: 'POST', headers: { ...HEADERS, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.pause()
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 300)
    })
    req.end(body)
  })
  t.ok(await waitFor(() => stub.aborted === 1), 'the stub was still writing when the client left')
})

test('injects connection faults', async (t) => {
  const stub = await withStub(t)
  const streaming = baseRequest({ stream: true })

  t.test('refuse resets the connection before any response', async (t) => {
    stub.enqueue({ kind: 'fault', fault: 'refuse' })
    await t.rejects(post(stub, streaming))
    t.equal(stub.aborted, 0, 'a stub-made reset is not a client abort')
  })

  t.test('silence never answers; the client giving up counts as an abort', async (t) => {
    stub.reset()
    stub.enqueue({ kind: 'fault', fault: 'silence' })
    await t.rejects(post(stub, streaming, { signal: AbortSignal.timeout(150) }))
    t.ok(await waitFor(() => stub.aborted === 1))
    t.equal(stub.abortedAt.length, 1)
  })

  t.test('headers-then-silence sends headers only', async (t) => {
    stub.reset()
    stub.enqueue({ kind: 'fault', fault: 'headers-then-silence' }, { kind: 'fault', fault: 'headers-then-silence' })
    const res = await post(stub, streaming, { signal: AbortSignal.timeout(150) })
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /^text\/event-stream/)
    const { events, error } = await collectEvents(res)
    t.same(events, [])
    t.ok(error, 'the body never completes')
    const json = await post(stub, baseRequest(), { signal: AbortSignal.timeout(150) })
    t.match(json.headers.get('content-type'), /^application\/json/)
    await t.rejects(json.text())
    t.ok(await waitFor(() => stub.aborted === 2))
  })

  t.test('cut-mid-stream destroys the socket after afterEvents events', async (t) => {
    stub.reset()
    stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream' }, { kind: 'fault', fault: 'cut-mid-stream' })
    const { events, error } = await collectEvents(await post(stub, streaming))
    t.same(events.map((event) => event.event), ['message_start', 'content_block_start', 'content_block_delta'])
    t.ok(error, 'reading the body fails')
    const json = await post(stub, baseRequest())
    await t.rejects(json.text(), 'a non-streaming body is cut halfway')
    t.equal(stub.aborted, 0)
  })

  t.test('error-event-mid-stream sends an overloaded error event and ends', async (t) => {
    stub.reset()
    stub.enqueue({ kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 2, content: [{ type: 'text', text: 'partial answer' }] })
    const { events, error } = await collectEvents(await post(stub, streaming))
    t.equal(error, undefined, 'the stream ends cleanly')
    t.same(events.map((event) => event.event), ['message_start', 'content_block_start', 'error'])
    t.same(events[2].data, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
  })

  t.test('stall-mid-stream stops after afterEvents events but keeps the socket open', async (t) => {
    stub.reset()
    stub.enqueue({ kind: 'fault', fault: 'stall-mid-stream', afterEvents: 4 })
    const res = await post(stub, streaming, { signal: AbortSignal.timeout(200) })
    const { events, error } = await collectEvents(res)
    t.equal(events.length, 4)
    t.ok(error, 'the client times out')
    t.ok(await waitFor(() => stub.aborted === 1))
  })
})

test('picks replies from the responder, then per-key behaviour, then the FIFO queue', async (t) => {
  const stub = await withStub(t)
  const text = async (key = KEY): Promise<string | number> => {
    const res = await call(stub, baseRequest(), { headers: { ...HEADERS, 'x-api-key': key } })
    return res.status === 200 ? res.body.content[0].text : res.status
  }
  stub.enqueue({ content: [{ type: 'text', text: 'one' }] }, { content: [{ type: 'text', text: 'two' }] })
  stub.keyBehaviour.set('sk-ant-api03-limited', { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down', headers: { 'retry-after': '7' } })

  const limited = await post(stub, baseRequest(), { headers: { ...HEADERS, 'x-api-key': 'sk-ant-api03-limited' } })
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '7')
  t.match(await limited.json(), { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' }, request_id: /^req_/ })
  t.equal(await text('sk-ant-api03-limited'), 429, 'used every time for that key')

  stub.respondWith((req) => (req.body.system === 'special' ? { content: [{ type: 'text', text: 'special' }] } : undefined))
  const special = await call(stub, baseRequest({ system: 'special' }))
  t.equal(special.body.content[0].text, 'special')
  t.equal(await text(), 'one', 'a responder returning undefined falls through to the queue')
  t.equal(await text(), 'two')
  t.equal(await text(), 'Hello from the stub.')

  stub.reset()
  t.equal(stub.requests.length, 0)
  t.equal(await text('sk-ant-api03-limited'), 'Hello from the stub.', 'reset clears key behaviour and the responder')
})

test('counts tokens and lists models with pagination', async (t) => {
  const stub = await withStub(t)
  const counted = await call(stub, { model: 'claude-opus-4-7', messages: [{ role: 'user', content: 'Hello there' }] }, { path: '/v1/messages/count_tokens' })
  t.equal(counted.status, 200)
  t.type(counted.body.input_tokens, 'number')
  t.ok(counted.body.input_tokens > 0)
  const bad = await call(stub, { model: 'claude-opus-4-7', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }, { path: '/v1/messages/count_tokens' })
  t.match(bad, { status: 400, body: { error: { message: /^max_tokens: Extra inputs/ } } })

  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(stub.url + path, { headers: HEADERS })
    return { status: res.status, body: await res.json() }
  }
  const all = await get('/v1/models')
  const ids = all.body.data.map((model: Json) => model.id)
  for (const id of ['claude-opus-4-7', 'claude-haiku-4-5-20251001', 'claude-opus-4-6', 'claude-sonnet-4-6']) t.ok(ids.includes(id), id)
  for (const id of ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-20250514']) t.notOk(ids.includes(id), `${id} is retired on ${RULES_DAY} and not listed`)
  t.match(all.body.data[0], { type: 'model', id: String, display_name: String, created_at: String })
  t.equal(all.body.has_more, false)

  const page1 = await get('/v1/models?limit=2')
  t.match(page1.body, { has_more: true, first_id: ids[0], last_id: ids[1] })
  t.equal(page1.body.data.length, 2)
  const page2 = await get(`/v1/models?limit=2&after_id=${page1.body.last_id}`)
  t.same(page2.body.data.map((model: Json) => model.id), ids.slice(2, 4))
  t.equal((await get('/v1/models?limit=0')).status, 400)

  const one = await get('/v1/models/claude-opus-4-7')
  t.match(one.body, { id: 'claude-opus-4-7', capabilities: { thinking: { types: { adaptive: { supported: true }, enabled: { supported: false } } } } })
  t.match(await get('/v1/models/claude-unknown'), { status: 404, body: { type: 'error', error: { type: 'not_found_error' } } })

  const custom = await withStub(t, { models: [{ id: 'claude-x' }] })
  const res = await fetch(custom.url + '/v1/models', { headers: HEADERS })
  t.match(await res.json(), { data: [{ id: 'claude-x', type: 'model' }], first_id: 'claude-x', last_id: 'claude-x' })
})

test('close() returns promptly while responses are stalled or silent', async (t) => {
  const stub = await startAnthropicStub()
  stub.enqueue({ kind: 'fault', fault: 'stall-mid-stream' }, { kind: 'fault', fault: 'silence' })
  const stalled = post(stub, baseRequest({ stream: true })).then(collectEvents)
  const silent = post(stub, baseRequest()).catch((error: unknown) => error)
  t.ok(await waitFor(() => stub.requests.length === 2 && stub.openConnections() >= 2), 'both connections open')
  const started = Date.now()
  await stub.close()
  t.ok(Date.now() - started < 20_000, 'close did not wait for the stalled responses (which never end)')
  t.ok((await stalled).error, 'the stalled stream is cut')
  t.ok(await silent, 'the silent request fails')
  t.equal(stub.aborted, 0, 'closing the stub is not a client abort')
  t.equal(stub.openConnections(), 0)
})
