// Self-tests for the stub rules added so that it refuses what Anthropic refuses (issue 12): one
// test per rule, each with a request the rule refuses and one it lets through.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubBlock } from './anthropic-stub.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]
type Json = Record<string, unknown>

const KEY = 'sk-ant-api03-test'
const HEADERS: Record<string, string> = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }
const WEATHER_TOOL = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64')
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70]).toString('base64')
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1').toString('base64')
const WEBP = Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1').toString('base64')

async function withStub (t: Tap): Promise<AnthropicStub> {
  // A fixed day, so a model's rules stay testable after its retirement is announced.
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  t.teardown(() => stub.close())
  return stub
}

function request (overrides: Json = {}): Json {
  return { model: 'claude-haiku-4-5-20251001', max_tokens: 2048, messages: [{ role: 'user', content: 'Hi' }], ...overrides }
}

async function send (stub: AnthropicStub, body: unknown, headers: Record<string, string> = HEADERS): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stub.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}

async function refused (t: Tap, stub: AnthropicStub, body: unknown, pattern: RegExp, what: string, headers?: Record<string, string>): Promise<void> {
  const answer = await send(stub, body, headers)
  t.equal(answer.status, 400, `${what}: 400`)
  t.equal(answer.body.error?.type, 'invalid_request_error', `${what}: invalid_request_error`)
  t.match(answer.body.error?.message, pattern, `${what}: ${String(answer.body.error?.message).slice(0, 100)}`)
}

async function accepted (t: Tap, stub: AnthropicStub, body: unknown, what: string, headers?: Record<string, string>): Promise<void> {
  const answer = await send(stub, body, headers)
  t.equal(answer.status, 200, `${what}: ${answer.status === 200 ? 'accepted' : JSON.stringify(answer.body.error)}`)
}

test('tools with a type are Anthropic server tools of a known type and name; an OpenAI-shaped tool is refused', async (t) => {
  const stub = await withStub(t)
  await refused(t, stub, request({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }), /tools\.0\.type: Input tag 'function'/, 'OpenAI function tool')
  await refused(t, stub, request({ tools: [{ type: 'web_search_19990101', name: 'web_search' }] }), /tools\.0\.type: Input tag 'web_search_19990101'/, 'unknown version')
  await refused(t, stub, request({ tools: [{ type: 'bash_20250124', name: 'shell' }] }), /tools\.0\.bash_20250124\.name: Input should be 'bash'/, 'wrong name')
  await accepted(t, stub, request({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }), 'web search')
  await accepted(t, stub, request({ tools: [{ type: 'bash_20250124', name: 'bash' }, { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' }, { type: 'code_execution_20250825', name: 'code_execution' }] }), 'bash, text editor, code execution')
  await accepted(t, stub, request({ tools: [{ type: 'custom', ...WEATHER_TOOL }] }), 'custom tool')
})

test('max_tokens is limited per model, from the capability table', async (t) => {
  const stub = await withStub(t)
  await refused(t, stub, request({ model: 'claude-opus-4-1-20250805', max_tokens: 32001 }), /max_tokens: 32001 > 32000/, 'Opus 4.1 above 32000')
  await accepted(t, stub, request({ model: 'claude-opus-4-1-20250805', max_tokens: 32000 }), 'Opus 4.1 at 32000')
  await refused(t, stub, request({ model: 'claude-haiku-4-5-20251001', max_tokens: 64001 }), /64001 > 64000/, 'Haiku 4.5 above 64000')
  await accepted(t, stub, request({ model: 'claude-opus-4-7', max_tokens: 128000 }), 'Opus 4.7 at 128000')
  await refused(t, stub, request({ model: 'claude-3-haiku-20240307', max_tokens: 4097 }), /4097 > 4096/, 'Claude 3 Haiku above 4096')
})

test('thinking comes back complete, unmodified and in order', async (t) => {
  const stub = await withStub(t)
  const thoughts: StubBlock[] = [
    { type: 'thinking', thinking: 'First thought.', signature: 'sig-one' },
    { type: 'redacted_thinking', data: 'opaque-two' },
    { type: 'thinking', thinking: 'Third thought.', signature: 'sig-three' }
  ]
  stub.enqueue({ content: [...thoughts, { type: 'tool_use', id: 'toolu_seq', name: 'get_weather', input: { city: 'Paris' } }] })
  const thinking = { type: 'enabled', budget_tokens: 1024 }
  await accepted(t, stub, request({ tools: [WEATHER_TOOL], thinking }), 'turn 1')
  const call = { type: 'tool_use', id: 'toolu_seq', name: 'get_weather', input: { city: 'Paris' } }
  const continuation = (reasoning: StubBlock[]): Json => request({
    tools: [WEATHER_TOOL],
    thinking,
    messages: [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: [...reasoning, call] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_seq', content: 'Sunny' }] }
    ]
  })
  const modified = /cannot be modified/
  await refused(t, stub, continuation([thoughts[0], thoughts[2]]), modified, 'one block dropped')
  await refused(t, stub, continuation([thoughts[1], thoughts[0], thoughts[2]]), modified, 'two blocks swapped')
  await refused(t, stub, continuation([thoughts[0], thoughts[0], thoughts[1], thoughts[2]]), modified, 'a block repeated')
  await accepted(t, stub, continuation(thoughts), 'all three, as served')
})

test('anthropic-version must be a known version and POST bodies must be JSON', async (t) => {
  const stub = await withStub(t)
  await refused(t, stub, request(), /anthropic-version: invalid version '1999-01-01'/, 'unknown version', { ...HEADERS, 'anthropic-version': '1999-01-01' })
  await refused(t, stub, request(), /content-type: expected 'application\/json'/, 'text/plain body', { ...HEADERS, 'content-type': 'text/plain' })
  await accepted(t, stub, request(), '2023-06-01')
  await accepted(t, stub, request(), '2026-10-21', { ...HEADERS, 'anthropic-version': '2026-10-21' })
  await accepted(t, stub, request(), 'charset parameter', { ...HEADERS, 'content-type': 'application/json; charset=utf-8' })
})

test('a 1-hour cache breakpoint may not follow a 5-minute one', async (t) => {
  const stub = await withStub(t)
  const hour = { type: 'ephemeral', ttl: '1h' }
  const five = { type: 'ephemeral' }
  await refused(t, stub, request({ tools: [{ ...WEATHER_TOOL, cache_control: five }], system: [{ type: 'text', text: 'Rules', cache_control: hour }] }), /longer TTLs must appear before shorter ones/, '5m tool, then 1h system')
  await refused(t, stub, request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '5m' } }, { type: 'text', text: 'b', cache_control: hour }] }] }), /longer TTLs/, '5m then 1h in one message')
  await accepted(t, stub, request({ tools: [{ ...WEATHER_TOOL, cache_control: hour }], system: [{ type: 'text', text: 'Rules', cache_control: five }] }), '1h, then 5m')
})

test('Opus 5: thinking disabled is refused above effort high', async (t) => {
  const stub = await withStub(t)
  for (const effort of ['xhigh', 'max']) {
    await refused(t, stub, request({ model: 'claude-opus-5', thinking: { type: 'disabled' }, output_config: { effort } }), /"disabled" is not supported with output_config.effort/, `effort ${effort}`)
  }
  for (const effort of ['low', 'medium', 'high']) {
    await accepted(t, stub, request({ model: 'claude-opus-5', thinking: { type: 'disabled' }, output_config: { effort } }), `effort ${effort}`)
  }
  await accepted(t, stub, request({ model: 'claude-opus-4-7', thinking: { type: 'disabled' }, output_config: { effort: 'max' } }), 'Opus 4.7 at max')
})

test('container, mcp_servers and context_management are checked for shape; what Claude Code sends passes', async (t) => {
  const stub = await withStub(t)
  await refused(t, stub, request({ container: 42 }), /container: Input should be a valid dictionary/, 'container number')
  await refused(t, stub, request({ container: { id: 'c', extra: 1 } }), /container\.extra: Extra inputs/, 'container extra key')
  await accepted(t, stub, request({ container: 'container_123' }), 'container id string')
  await refused(t, stub, request({ mcp_servers: [{ type: 'url', url: 'ftp://x', name: 'm' }] }), /mcp_servers\.0\.url: URL scheme/, 'mcp server ftp url')
  await refused(t, stub, request({ mcp_servers: { url: 'https://x' } }), /mcp_servers: Input should be a valid list/, 'mcp_servers object')
  await accepted(t, stub, request({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example', tool_configuration: { enabled: true, allowed_tools: ['a'] } }] }), 'mcp server')
  await refused(t, stub, request({ context_management: { edits: [{ type: 'forget_everything' }] } }), /context_management\.edits\.0\.type: Input tag 'forget_everything'/, 'unknown edit')
  await refused(t, stub, request({ context_management: 'on' }), /context_management: Input should be a valid dictionary/, 'context_management string')
  await accepted(t, stub, request({ context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] } }), 'clear_thinking as Claude Code sends it')
  await accepted(t, stub, request({ context_management: { edits: [{ type: 'clear_tool_uses_20250919', trigger: { type: 'input_tokens', value: 30000 }, keep: { type: 'tool_uses', value: 3 } }] } }), 'clear_tool_uses')
})

test('image bytes must match their media_type', async (t) => {
  const stub = await withStub(t)
  const image = (mediaType: string, data: string): Json => request({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: mediaType, data } }, { type: 'text', text: 'What is it?' }] }] })
  await refused(t, stub, image('image/png', JPEG), /does not match the provided media type image\/png/, 'JPEG bytes as PNG')
  await refused(t, stub, image('image/jpeg', PNG), /image\/jpeg/, 'PNG bytes as JPEG')
  await refused(t, stub, image('image/gif', WEBP), /image\/gif/, 'WebP bytes as GIF')
  await refused(t, stub, image('image/webp', Buffer.from('not an image at all').toString('base64')), /image\/webp/, 'text as WebP')
  for (const [mediaType, data] of [['image/png', PNG], ['image/jpeg', JPEG], ['image/gif', GIF], ['image/webp', WEBP]]) {
    await accepted(t, stub, image(mediaType, data), `${mediaType} with its own bytes`)
  }
})

test('Sonnet 4.6 refuses a prefill, as its capability data says', async (t) => {
  const stub = await withStub(t)
  const prefill = { messages: [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hi' }] }
  await refused(t, stub, request({ model: 'claude-sonnet-4-6', ...prefill }), /does not support assistant message prefill/, 'Sonnet 4.6')
  await accepted(t, stub, request({ model: 'claude-haiku-4-5-20251001', ...prefill }), 'Haiku 4.5 still takes one')
})

test('an image over 5 MB of base64 is refused; one at exactly 5 MB passes', async (t) => {
  const stub = await withStub(t)
  // PNG signature, then padding: 3 bytes encode to 4 base64 characters, none of them '='.
  const pngOfLength = (chars: number): string => (PNG + 'A'.repeat(chars)).slice(0, chars)
  const image = (data: string): Json => request({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: 'What is it?' }] }] })
  await refused(t, stub, image(pngOfLength(5_242_884)), /^messages\.0\.content\.0\.source\.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes$/, '5 MB and 4 characters')
  await accepted(t, stub, image(pngOfLength(5_242_880)), 'exactly 5 MB of base64')
})

test('a retired model answers 404 like an unknown one, from its retirement day on', async (t) => {
  const onDay = async (today: string, model: string): Promise<{ status: number; body: any }> => {
    const stub = await startAnthropicStub({ today })
    t.teardown(() => stub.close())
    return await send(stub, request({ model }))
  }
  t.match(await onDay('2026-11-30', 'claude-sonnet-4-5-20250929'), { status: 404, body: { type: 'error', error: { type: 'not_found_error', message: 'model: claude-sonnet-4-5-20250929' } } }, 'Sonnet 4.5 on its retirement day')
  t.match(await onDay('2026-11-29', 'claude-sonnet-4-5-20250929'), { status: 200 }, 'Sonnet 4.5 the day before')
  t.match(await onDay('2027-01-22', 'claude-opus-4-5'), { status: 404, body: { error: { message: 'model: claude-opus-4-5' } } }, 'Opus 4.5 alias on its day')
  t.match(await onDay('2026-06-15', 'claude-opus-4-0'), { status: 404 }, 'Opus 4 -0 form')

  const stub = await startAnthropicStub({ today: '2026-11-30' })
  t.teardown(() => stub.close())
  const count = await fetch(`${stub.url}/v1/messages/count_tokens`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'Hi' }] }) })
  t.equal(count.status, 404, 'count_tokens refuses it too')
  const retrieve = await fetch(`${stub.url}/v1/models/claude-sonnet-4-5-20250929`, { headers: HEADERS })
  t.equal(retrieve.status, 404, 'models/{id} does not know it')
})

test('the web search tool takes a use cap, one kind of domain list and an approximate location, nothing else', async (t) => {
  const stub = await withStub(t)
  const search = (settings: Json): Json => request({ tools: [{ type: 'web_search_20250305', name: 'web_search', ...settings }] })
  await accepted(t, stub, search({ max_uses: 2, allowed_domains: ['example.com'], user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' } }), 'all settings')
  await refused(t, stub, search({ search_context_size: 'high' }), /web_search_20250305\.search_context_size: Extra inputs are not permitted/, 'an OpenAI setting')
  await refused(t, stub, search({ allowed_domains: ['a.example'], blocked_domains: ['b.example'] }), /Cannot specify both allowed_domains and blocked_domains/, 'both lists')
  await refused(t, stub, search({ user_location: { type: 'exact', city: 'Lyon' } }), /user_location\.type/, 'a location of another type')
  await refused(t, stub, search({ user_location: { type: 'approximate', approximate: { city: 'Lyon' } } }), /user_location\.approximate: Extra inputs/, 'chat\'s nested shape')
  await refused(t, stub, search({ max_uses: 0 }), /max_uses/, 'no uses')
})

test('defer_loading and tool_reference blocks pass as Anthropic\'s tool search docs describe them; all-deferred tools and unknown references are refused', async (t) => {
  const stub = await withStub(t)
  const searchTool = { type: 'tool_search_tool_regex_20251119', name: 'tool_search_tool_regex' }
  const deferred = { ...WEATHER_TOOL, defer_loading: true }
  const withBeta = { ...HEADERS, 'anthropic-beta': 'claude-code-20250219,advanced-tool-use-2025-11-20' }
  await accepted(t, stub, request({ tools: [searchTool, deferred] }), 'a deferred tool with the beta header Claude Code sends', withBeta)
  await accepted(t, stub, request({ tools: [searchTool, deferred] }), 'a deferred tool without a beta header (tool search is GA)')
  await accepted(t, stub, request({ tools: [{ type: 'web_search_20250305', name: 'web_search', defer_loading: true }, { ...WEATHER_TOOL, defer_loading: false }] }), 'a deferred server tool beside a loaded one')
  await refused(t, stub, request({ tools: [searchTool, { ...WEATHER_TOOL, defer_loading: 'yes' }] }), /^tools\.1\.custom\.defer_loading: Input should be a valid boolean$/, 'defer_loading not a boolean')
  await refused(t, stub, request({ tools: [{ ...searchTool, defer_loading: true }, deferred] }), /^All tools have defer_loading set\. At least one tool must be non-deferred\.$/, 'every tool deferred, the search tool too')

  // Claude Code's own ToolSearch is a custom tool whose result carries tool_reference blocks.
  const finder = { name: 'ToolSearch', description: 'Finds tools', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }
  const afterSearch = (reference: Json): Json => request({
    tools: [finder, deferred],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_find', name: 'ToolSearch', input: { query: 'weather' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_find', content: [reference] }] }
    ]
  })
  await accepted(t, stub, afterSearch({ type: 'tool_reference', tool_name: 'get_weather' }), 'a tool_reference to a defined tool in a tool_result')
  await refused(t, stub, afterSearch({ type: 'tool_reference', tool_name: 'unknown_tool' }), /^Tool reference 'unknown_tool' has no corresponding tool definition$/, 'a tool_reference to no tool')
  await refused(t, stub, afterSearch({ type: 'tool_reference' }), /^messages\.2\.content\.0\.content\.0\.tool_name: Field required$/, 'a tool_reference without tool_name')
  await refused(t, stub, request({ tools: [deferred, finder], messages: [{ role: 'user', content: [{ type: 'tool_reference', tool_name: 'get_weather' }] }] }), /^messages\.0\.content\.0\.type: `tool_reference` blocks are not allowed in `user` messages$/, 'a tool_reference outside a tool_result')

  const count = await fetch(`${stub.url}/v1/messages/count_tokens`, { method: 'POST', headers: withBeta, body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }], tools: [searchTool, deferred] }) })
  t.equal(count.status, 200, 'count_tokens takes a deferred tool too')
})
