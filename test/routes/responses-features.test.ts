// Responses API features one by one, through the official `openai` SDK (and raw HTTP where the
// wire itself is the point), against the strict stub.
import OpenAI from 'openai'
import t from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { anthropicApiKey, CLIENT_KEY, startGateway } from '../helpers/gateway.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t, {}, { chunkSize: 3 })
const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/v1`, maxRetries: 0, timeout: 20_000 })
const SONNET = 'claude-haiku-4-5-20251001'
const OPUS = 'claude-opus-4-7'

interface SseEvent { type: string; data: any }

async function post (url: string, body: unknown, key = CLIENT_KEY): Promise<Response> {
  return await fetch(`${url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

/** The events of a Responses SSE body; comment lines (keep-alives) are counted apart. */
function parseEvents (text: string): { events: SseEvent[]; comments: number } {
  let comments = 0
  const events: SseEvent[] = []
  for (const chunk of text.split('\n\n').map((part) => part.trim()).filter(Boolean)) {
    if (chunk.startsWith(':')) { comments++; continue }
    const type = /^event: (.+)$/m.exec(chunk)?.[1] ?? ''
    const data = JSON.parse(/^data: (.+)$/m.exec(chunk)?.[1] ?? 'null')
    events.push({ type, data })
  }
  return { events, comments }
}

async function statusOf (call: Promise<unknown>): Promise<{ status: number; code?: string; param?: string }> {
  try {
    await call
    return { status: 0 }
  } catch (error) {
    const failure = error as { status?: number; code?: string; param?: string }
    return { status: failure.status ?? -1, code: failure.code ?? undefined, param: failure.param ?? undefined }
  }
}

t.test('reasoning: effort and summary through the capability table, summary text, reasoning tokens, encrypted_content on request', async (t) => {
  h.stub.reset()
  h.stub.enqueue({
    content: [{ type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-r-1' }, { type: 'text', text: '4' }],
    usage: { input_tokens: 10, output_tokens: 30, output_tokens_details: { thinking_tokens: 22 } }
  })
  const response = await client.responses.create({ model: OPUS, input: '2+2?', reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] })
  const sent = h.stub.requests[0].body
  t.same(sent.thinking, { type: 'adaptive', display: 'summarized' })
  t.same(sent.output_config, { effort: 'high' })
  const reasoning = response.output[0] as OpenAI.Responses.ResponseReasoningItem
  t.equal(reasoning.type, 'reasoning')
  t.match(reasoning.id, /^rs_/)
  t.same(reasoning.summary, [{ type: 'summary_text', text: 'Two plus two is four.' }])
  t.match(reasoning.encrypted_content, /^c2a1\./)
  t.notMatch(reasoning.encrypted_content ?? '', /sig-r-1|Two plus two/, 'the blob is opaque')
  t.equal(response.output_text, '4')
  t.same(response.usage?.output_tokens_details, { reasoning_tokens: 22 })
  t.same(response.reasoning, { effort: 'high', summary: 'auto' })

  h.stub.enqueue({ content: [{ type: 'thinking', thinking: 'Quiet thought.', signature: 'sig-r-2' }, { type: 'text', text: 'ok' }] })
  const plain = await client.responses.create({ model: OPUS, input: 'hm', reasoning: { effort: 'low' } })
  const quiet = plain.output[0] as OpenAI.Responses.ResponseReasoningItem
  t.same(quiet.summary, [], 'no summary unless one is asked for')
  t.equal(quiet.encrypted_content, undefined, 'no encrypted_content unless included (or store is false)')
})

t.test('streamed reasoning: summary part and text events, then the message', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'thinking', thinking: 'Thinking it over.', signature: 'sig-s-1' }, { type: 'text', text: 'Done.' }] })
  const answer = await post(h.url, { model: OPUS, input: 'go', stream: true, store: false, reasoning: { summary: 'detailed' } })
  const { events } = parseEvents(await answer.text())
  const types = events.map((event) => event.type).filter((type, index, all) => type !== all[index - 1])
  t.same(types, [
    'response.created', 'response.in_progress',
    'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
    'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done',
    'response.content_part.done', 'response.output_item.done', 'response.completed'
  ])
  const summary = events.filter((event) => event.type === 'response.reasoning_summary_text.delta').map((event) => event.data.delta).join('')
  t.equal(summary, 'Thinking it over.')
  t.ok(events.every((event) => event.data.type === event.type))
  const reasoningDone = events.find((event) => event.type === 'response.output_item.done')?.data.item
  t.match(reasoningDone.encrypted_content, /^c2a1\./, 'store:false seals the thinking for the client')
})

t.test('encrypted_content: store:false round trip across two gateway instances; altered or foreign blobs are refused', async (t) => {
  const stub = await startAnthropicStub()
  const config = { RETRY_COUNT: 1, APIKEY: `${CLIENT_KEY},second-client-key-0123456789` }
  const first = await startGateway(stub.url, { config })
  const second = await startGateway(stub.url, { config })
  t.teardown(async () => { await first.close(); await second.close(); await stub.close() })
  const tools = [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }]
  stub.enqueue({ content: [{ type: 'thinking', thinking: 'Need a lookup.', signature: 'sig-enc-1' }, { type: 'redacted_thinking', data: 'opaque-redacted-1' }, { type: 'tool_use', id: 'toolu_enc_1', name: 'lookup', input: { q: 'x' } }] })
  const turn = await (await post(first.url, { model: OPUS, input: 'find x', tools, store: false, reasoning: { effort: 'medium' } })).json() as { output: Array<Record<string, any>> }
  const replay = [{ role: 'user', content: 'find x' }, ...turn.output, { type: 'function_call_output', call_id: 'toolu_enc_1', output: 'x is 1' }]

  stub.enqueue({ content: [{ type: 'text', text: 'x is 1.' }] })
  const continued = await post(second.url, { model: OPUS, input: replay, tools, store: false, reasoning: { effort: 'medium' } })
  t.equal(continued.status, 200, 'another instance with the same configuration opens the blob')
  const upstream = stub.requests.at(-1)?.body
  t.same(upstream.messages[1].content.slice(0, 2), [{ type: 'thinking', thinking: 'Need a lookup.', signature: 'sig-enc-1' }, { type: 'redacted_thinking', data: 'opaque-redacted-1' }])

  const reasoning = turn.output[0]
  const altered = reasoning.encrypted_content.slice(0, -4) + (reasoning.encrypted_content.endsWith('AAAA') ? 'BBBB' : 'AAAA')
  const tampered = await post(second.url, { model: OPUS, input: [replay[0], { ...reasoning, encrypted_content: altered }, ...replay.slice(2)], tools, store: false })
  t.equal(tampered.status, 400)
  t.match(await tampered.json(), { error: { code: 'invalid_encrypted_content', param: 'input[1].encrypted_content', type: 'invalid_request_error' } })

  const foreign = await post(second.url, { model: OPUS, input: replay, tools, store: false }, 'second-client-key-0123456789')
  t.equal(foreign.status, 400, "another client key cannot open the caller's blob")
  t.match(await foreign.json(), { error: { code: 'invalid_encrypted_content' } })
})

t.test('custom tools: free-form input as custom_tool_call items, replayed with their output', async (t) => {
  h.stub.reset()
  const tools: OpenAI.Responses.Tool[] = [{ type: 'custom', name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch"' } }]
  h.stub.enqueue({ content: [{ type: 'tool_use', id: 'toolu_custom_1', name: 'apply_patch', input: { input: '*** Begin Patch\n*** End Patch' } }] })
  const first = await client.responses.create({ model: SONNET, input: 'patch it', tools })
  const sentTool = h.stub.requests[0].body.tools[0]
  t.same(sentTool.input_schema, { type: 'object', properties: { input: { type: 'string', description: 'The raw input for the tool.' } }, required: ['input'] })
  t.match(sentTool.description, /Apply a patch[\s\S]*lark grammar:\nstart: "\*\*\* Begin Patch"/)
  const call = first.output[0] as OpenAI.Responses.ResponseCustomToolCall
  t.equal(call.type, 'custom_tool_call')
  t.equal(call.name, 'apply_patch')
  t.equal(call.call_id, 'toolu_custom_1')
  t.equal(call.input, '*** Begin Patch\n*** End Patch')

  h.stub.enqueue({ content: [{ type: 'text', text: 'Patched.' }] })
  await client.responses.create({ model: SONNET, tools, input: [{ role: 'user', content: 'patch it' }, call, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done!' }] })
  const messages = h.stub.requests[1].body.messages
  t.same(messages[1].content[0], { type: 'tool_use', id: 'toolu_custom_1', name: 'apply_patch', input: { input: '*** Begin Patch\n*** End Patch' } })
  t.match(messages[2].content[0], { type: 'tool_result', tool_use_id: 'toolu_custom_1', content: 'Done!' })
})

t.test('namespace tools: offered as namespace__name, called back as name + namespace', async (t) => {
  h.stub.reset()
  const tools = [{ type: 'namespace', name: 'crm', description: 'Customer records', tools: [{ type: 'function', name: 'find_customer', description: 'Find one', parameters: { type: 'object', properties: { email: { type: 'string' } } } }] }]
  h.stub.enqueue({ content: [{ type: 'tool_use', id: 'toolu_ns_1', name: 'crm__find_customer', input: { email: 'a@b.c' } }] })
  const answer = await (await post(h.url, { model: SONNET, input: 'who is a@b.c', tools, tool_choice: { type: 'function', name: 'find_customer', namespace: 'crm' } })).json() as { output: Array<Record<string, any>> }
  const sent = h.stub.requests[0].body
  t.equal(sent.tools[0].name, 'crm__find_customer')
  t.equal(sent.tools[0].description, '(crm)\n\nFind one')
  t.same(sent.tool_choice, { type: 'tool', name: 'crm__find_customer' })
  t.match(answer.output[0], { type: 'function_call', name: 'find_customer', namespace: 'crm', call_id: 'toolu_ns_1', arguments: '{"email":"a@b.c"}' })
})

t.test('tool_choice forms, allowed_tools and max_tool_calls', async (t) => {
  h.stub.reset()
  const fn = (name: string): OpenAI.Responses.FunctionTool => ({ type: 'function', name, parameters: { type: 'object', properties: {} }, strict: false })
  const tools = [fn('alpha'), fn('beta')]
  await client.responses.create({ model: SONNET, input: 'x', tools, tool_choice: 'none' })
  await client.responses.create({ model: SONNET, input: 'x', tools, tool_choice: { type: 'function', name: 'beta' }, ...({ max_tool_calls: 1 } as object) })
  await client.responses.create({ model: SONNET, input: 'x', tools, tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'alpha' }] } })
  const [none, named, allowed] = h.stub.requests.map((request) => request.body)
  t.same(none.tool_choice, { type: 'none' })
  t.same(named.tool_choice, { type: 'tool', name: 'beta', disable_parallel_tool_use: true })
  t.same(allowed.tools.map((tool: { name: string }) => tool.name), ['alpha'])
  t.same(allowed.tool_choice, { type: 'any' })
  t.match(await statusOf(client.responses.create({ model: SONNET, input: 'x', tools, tool_choice: { type: 'function', name: 'gamma' } })), { status: 400, param: 'tool_choice' })
})

t.test('structured output: json_schema natively where the model has it, else through an answer tool', async (t) => {
  h.stub.reset()
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }
  h.stub.enqueue({ content: [{ type: 'text', text: '{"city":"Paris"}' }] })
  const native = await client.responses.create({ model: SONNET, input: 'capital of France', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } })
  t.same(h.stub.requests[0].body.output_config, { format: { type: 'json_schema', schema } })
  t.same(JSON.parse(native.output_text), { city: 'Paris' })

  h.stub.enqueue({ content: [{ type: 'tool_use', id: 'toolu_json_1', name: 'place', input: { city: 'Rome' } }] })
  const viaTool = await client.responses.create({ model: 'claude-opus-4-1-20250805', input: 'capital of Italy', text: { format: { type: 'json_schema', name: 'place', schema } } })
  const sent = h.stub.requests[1].body
  t.same(sent.tool_choice, { type: 'tool', name: 'place' })
  t.equal(viaTool.output.length, 1)
  t.equal(viaTool.output[0].type, 'message', 'the answer tool comes back as text, not as a call')
  t.same(JSON.parse(viaTool.output_text), { city: 'Rome' })
  t.equal(viaTool.status, 'completed')
})

t.test('input_tokens counts through count_tokens', async (t) => {
  h.stub.reset()
  const counted = await client.responses.inputTokens.count({ model: SONNET, input: 'How many tokens is this?', instructions: 'Be brief.' })
  const request = h.stub.requests[0]
  t.equal(request.path, '/v1/messages/count_tokens')
  t.equal(request.body.max_tokens, undefined, 'count_tokens gets no generation settings')
  t.same(request.body.system, [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }])
  const expected = Math.ceil(JSON.stringify({ system: request.body.system, messages: request.body.messages, tools: request.body.tools }).length / 4)
  t.same(counted, { object: 'response.input_tokens', input_tokens: expected })
})

t.test('incomplete responses: max_output_tokens and content_filter', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'Cut sh' }], stop_reason: 'max_tokens' })
  const cut = await client.responses.create({ model: SONNET, input: 'long story', max_output_tokens: 5 })
  t.equal(h.stub.requests[0].body.max_tokens, 5)
  t.equal(cut.status, 'incomplete')
  t.same(cut.incomplete_details, { reason: 'max_output_tokens' })
  t.equal((cut.output[0] as OpenAI.Responses.ResponseOutputMessage).status, 'incomplete')
  h.stub.enqueue({ content: [{ type: 'text', text: 'I cannot help.' }], stop_reason: 'refusal' })
  const refused = await client.responses.create({ model: SONNET, input: 'bad' })
  t.same(refused.incomplete_details, { reason: 'content_filter' })
})

t.test('a failure after the stream started ends with response.failed and a code Codex understands', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ kind: 'fault', fault: 'error-event-mid-stream', afterEvents: 4 })
  const overloaded = parseEvents(await (await post(h.url, { model: SONNET, input: 'go', stream: true })).text()).events
  t.equal(overloaded.at(-1)?.type, 'response.failed')
  t.match(overloaded.at(-1)?.data.response, { status: 'failed', error: { code: 'server_is_overloaded' } })
  t.notOk(overloaded.some((event) => event.type === 'response.completed'))

  h.stub.enqueue({ kind: 'fault', fault: 'cut-mid-stream', afterEvents: 4 })
  const cut = parseEvents(await (await post(h.url, { model: SONNET, input: 'go', stream: true })).text()).events
  t.equal(cut.at(-1)?.type, 'response.failed')
  t.match(cut.at(-1)?.data.response.error, { code: 'server_error' })
  const numbers = cut.map((event) => event.data.sequence_number)
  t.same(numbers, numbers.map((_, index) => index))
})

t.test('errors before the stream starts use the OpenAI error shape', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum' })
  const answer = await post(h.url, { model: SONNET, input: 'go', stream: true })
  t.equal(answer.status, 400)
  t.match(await answer.json(), { error: { type: 'invalid_request_error', message: /prompt is too long/ } })
})

t.test('web_search: dropped and named without WEB_SEARCH, Anthropic web search with it', async (t) => {
  h.stub.reset()
  const answer = await post(h.url, { model: SONNET, input: 'news?', tools: [{ type: 'web_search', external_web_access: false }] })
  t.equal(answer.status, 200)
  t.equal(answer.headers.get('x-claude2api-dropped-fields'), 'tools.web_search')
  t.equal(h.stub.requests[0].body.tools, undefined)

  const withSearch = await openHarness(t, { WEB_SEARCH: true })
  const searched = await post(withSearch.url, { model: SONNET, input: 'news?', tools: [{ type: 'web_search' }], max_tool_calls: 3 })
  t.equal(searched.status, 200)
  t.same(withSearch.stub.requests[0].body.tools, [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3, cache_control: { type: 'ephemeral' } }])

  withSearch.stub.reset()
  const located = await post(withSearch.url, {
    model: SONNET,
    input: 'weather?',
    tools: [{ type: 'web_search', user_location: { type: 'approximate', city: 'Lyon', country: 'FR', region: null, timezone: 'Europe/Paris' }, filters: { allowed_domains: ['meteo.example'] }, search_context_size: 'high' }]
  })
  t.equal(located.status, 200)
  t.same(withSearch.stub.requests[0].body.tools, [{ type: 'web_search_20250305', name: 'web_search', allowed_domains: ['meteo.example'], user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' }, cache_control: { type: 'ephemeral' } }], 'location and domains carry over')
  t.equal(located.headers.get('x-claude2api-dropped-fields'), 'tools[0].search_context_size', 'the context size has no Claude setting and is named')
  const badLocation = await post(withSearch.url, { model: SONNET, input: 'weather?', tools: [{ type: 'web_search', user_location: { type: 'approximate', city: 7 } }] })
  t.equal(badLocation.status, 400)
  t.match(await badLocation.json(), { error: { param: 'tools[0].user_location.city' } })

  // A client sending its earlier output back (store off, as Codex does) includes the search item.
  withSearch.stub.reset()
  const replay = await post(withSearch.url, {
    model: SONNET,
    store: false,
    tools: [{ type: 'web_search' }],
    input: [
      { role: 'user', content: 'news?' },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'news today' } },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Here is the news.' }] },
      { role: 'user', content: 'more?' }
    ]
  })
  t.equal(replay.status, 200, 'a web_search_call input item is accepted')
  const withoutBreakpoints = JSON.parse(JSON.stringify(withSearch.stub.requests[0].body.messages, (key, value: unknown) => key === 'cache_control' ? undefined : value))
  t.same(withoutBreakpoints, [
    { role: 'user', content: [{ type: 'text', text: 'news?' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Here is the news.' }] },
    { role: 'user', content: [{ type: 'text', text: 'more?' }] }
  ], 'the search itself goes nowhere: the answer built on it stays (cache breakpoints aside)')
})

t.test('refused by name: background, conversation, other built-in tools, file_id, unknown fields', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ background: true }, 'background'],
    [{ conversation: 'conv_1' }, 'conversation'],
    [{ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type'],
    [{ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id'],
    [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-2' }] }] }, 'input[0].content[0].file_id'],
    [{ frobnicate: 1 }, 'frobnicate']
  ]
  for (const [extra, param] of cases) {
    const answer = await post(h.url, { model: SONNET, input: 'x', ...extra })
    t.equal(answer.status, 400, param)
    t.match(await answer.json(), { error: { type: 'invalid_request_error', param } })
  }
})

t.test('accepted with no effect: the fields Codex sends', async (t) => {
  h.stub.reset()
  const answer = await post(h.url, {
    model: SONNET, input: 'x', store: false, stream: false, parallel_tool_calls: true, prompt_cache_key: 'session-1', client_metadata: { a: 'b' },
    include: ['reasoning.encrypted_content', 'web_search_call.action.sources'], truncation: 'auto', text: { verbosity: 'medium' }, service_tier: 'auto'
  })
  t.equal(answer.status, 200)
  t.equal(answer.headers.get('x-claude2api-dropped-fields'), null)
  t.equal(h.stub.requests[0].body.service_tier, 'auto')
})

t.test('stored responses belong to the key that made them', async (t) => {
  const other = 'another-client-key-0123456789'
  const pair = await openHarness(t, { APIKEY: `${CLIENT_KEY},${other}` })
  const mine = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${pair.url}/v1`, maxRetries: 0 })
  const theirs = new OpenAI({ apiKey: other, baseURL: `${pair.url}/v1`, maxRetries: 0 })
  const created = await mine.responses.create({ model: SONNET, input: 'secret plans' })
  t.equal((await statusOf(theirs.responses.retrieve(created.id))).status, 404)
  t.equal((await statusOf(theirs.responses.inputItems.list(created.id))).status, 404)
  t.equal((await statusOf(theirs.responses.delete(created.id))).status, 404)
  t.match(await statusOf(theirs.responses.create({ model: SONNET, input: 'go on', previous_response_id: created.id })), { status: 400, code: 'previous_response_not_found' })
  t.equal((await mine.responses.retrieve(created.id)).id, created.id, 'the owner still has it')
})

t.test('long pauses are kept alive with SSE comments', async (t) => {
  const slow = await openHarness(t, { SSE_KEEPALIVE_MS: 20 }, { eventDelayMs: 150 })
  slow.stub.enqueue({ content: [{ type: 'text', text: 'slow' }] })
  const { events, comments } = parseEvents(await (await post(slow.url, { model: SONNET, input: 'go', stream: true })).text())
  t.ok(comments > 0, 'keep-alive comments were written while the upstream was quiet')
  t.equal(events.at(-1)?.type, 'response.completed')
})

t.test('stored thinking goes back with previous_response_id and with item_reference', async (t) => {
  const fresh = await openHarness(t)
  const tools = [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } }]
  fresh.stub.enqueue({ content: [{ type: 'thinking', thinking: 'Look it up.', signature: 'sig-store-1' }, { type: 'tool_use', id: 'toolu_store_1', name: 'lookup', input: {} }] })
  const first = await (await post(fresh.url, { model: OPUS, input: 'q', tools, reasoning: { effort: 'low' } })).json() as { id: string; output: Array<Record<string, any>> }
  t.equal(first.output[0].encrypted_content, undefined, 'nothing sealed: the thinking stays on the server')

  fresh.stub.enqueue({ content: [{ type: 'text', text: 'found' }] })
  const chained = await post(fresh.url, { model: OPUS, tools, reasoning: { effort: 'low' }, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: 'toolu_store_1', output: 'r' }] })
  t.equal(chained.status, 200)
  t.same(fresh.stub.requests.at(-1)?.body.messages[1].content[0], { type: 'thinking', thinking: 'Look it up.', signature: 'sig-store-1' })

  fresh.stub.enqueue({ content: [{ type: 'text', text: 'found again' }] })
  const referenced = await post(fresh.url, {
    model: OPUS, tools, reasoning: { effort: 'low' },
    input: [{ role: 'user', content: 'q' }, { type: 'item_reference', id: first.output[0].id }, { type: 'item_reference', id: first.output[1].id }, { type: 'function_call_output', call_id: 'toolu_store_1', output: 'r' }]
  })
  t.equal(referenced.status, 200)
  t.same(fresh.stub.requests.at(-1)?.body.messages[1].content.map((block: { type: string }) => block.type), ['thinking', 'tool_use'])
  const missing = await post(fresh.url, { model: OPUS, input: [{ type: 'item_reference', id: 'msg_unknown' }] })
  t.match(await missing.json(), { error: { code: 'item_not_found', param: 'input[0].id' } })
})

t.test('under the mirror prefix the caller’s own Anthropic key owns its responses', async (t) => {
  const mirror = await openHarness(t, { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' })
  const key = anthropicApiKey('responses-mirror-caller')
  const other = anthropicApiKey('responses-mirror-other')
  const mine = new OpenAI({ apiKey: key, baseURL: `${mirror.url}/mirror/v1`, maxRetries: 0 })
  const created = await mine.responses.create({ model: SONNET, input: 'hello' })
  t.equal(mirror.stub.requests[0].key, key, 'the upstream call uses the caller’s key')
  t.equal((await mine.responses.retrieve(created.id)).id, created.id)
  const theirs = new OpenAI({ apiKey: other, baseURL: `${mirror.url}/mirror/v1`, maxRetries: 0 })
  t.equal((await statusOf(theirs.responses.retrieve(created.id))).status, 404)
})

t.test('streamed tool calls: arguments deltas, custom input, each call its own item', async (t) => {
  h.stub.reset()
  const tools = [
    { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    { type: 'custom', name: 'run_sql' }
  ]
  h.stub.enqueue({ content: [
    { type: 'tool_use', id: 'toolu_stream_1', name: 'get_weather', input: { city: 'Paris' } },
    { type: 'tool_use', id: 'toolu_stream_2', name: 'run_sql', input: { input: 'select 1' } }
  ] })
  const { events } = parseEvents(await (await post(h.url, { model: SONNET, input: 'go', tools, stream: true })).text())
  const types = events.map((event) => event.type).filter((type, index, all) => type !== all[index - 1])
  t.same(types, [
    'response.created', 'response.in_progress',
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
    'response.output_item.added', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done',
    'response.completed'
  ])
  const args = events.filter((event) => event.type === 'response.function_call_arguments.delta').map((event) => event.data.delta).join('')
  t.equal(args, '{"city":"Paris"}')
  const done = events.filter((event) => event.type === 'response.output_item.done').map((event) => event.data.item)
  t.match(done[0], { type: 'function_call', call_id: 'toolu_stream_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' })
  t.match(done[1], { type: 'custom_tool_call', call_id: 'toolu_stream_2', name: 'run_sql', input: 'select 1' })
  t.same(events.at(-1)?.data.response.output.map((item: { type: string }) => item.type), ['function_call', 'custom_tool_call'])
})

t.test('MODEL_ALIASES: the stub sees the target id, the client sees the alias it asked for', async (t) => {
  const aliased = await openHarness(t, { MODEL_ALIASES: 'gpt-5-codex=claude-opus-4-7' })
  const aliasClient = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${aliased.url}/v1`, maxRetries: 0, timeout: 20_000 })
  aliased.stub.enqueue({ content: [{ type: 'text', text: 'plain' }] })
  const plain = await aliasClient.responses.create({ model: 'gpt-5-codex', input: 'hi', reasoning: { effort: 'high' } })
  t.equal(aliased.stub.requests[0].body.model, 'claude-opus-4-7')
  t.same(aliased.stub.requests[0].body.output_config, { effort: 'high' }, 'capabilities are those of the target')
  t.equal(plain.model, 'gpt-5-codex')
  t.equal((await aliasClient.responses.retrieve(plain.id)).model, 'gpt-5-codex', 'the stored response keeps the alias')

  aliased.stub.enqueue({ content: [{ type: 'text', text: 'streamed' }] })
  const text = await (await post(aliased.url, { model: 'gpt-5-codex', input: 'hi', stream: true })).text()
  t.equal(aliased.stub.requests[1].body.model, 'claude-opus-4-7')
  const { events } = parseEvents(text)
  t.equal(events.at(-1)?.data.response.model, 'gpt-5-codex')
  t.notMatch(text, /claude-opus-4-7/, 'the target id never reaches the client')

  const counted = await aliasClient.responses.inputTokens.count({ model: 'gpt-5-codex', input: 'hi' })
  t.ok(counted.input_tokens > 0)
  t.equal(aliased.stub.requests.at(-1)?.path, '/v1/messages/count_tokens')
  t.equal(aliased.stub.requests.at(-1)?.body.model, 'claude-opus-4-7')
})
