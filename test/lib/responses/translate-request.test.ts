// Request fields of the Responses API that become Anthropic request fields.
import { test } from 'tap'
import { CapabilityTable } from '../../../lib/anthropic/capabilities.js'
import { translateResponsesRequest, type ResponsesTranslateOptions } from '../../../lib/responses/translate-request.js'
import type { InputContext } from '../../../lib/responses/translate-input.js'
import type { ResponsesRequest } from '../../../schemas/responses.js'

const OPTIONS: ResponsesTranslateOptions = { capabilities: new CapabilityTable(), unsupportedFields: 'error', autoCache: false, webSearch: false }
const CONTEXT: InputContext = { unseal: () => [], thinkingById: new Map(), references: new Map() }

function translate (fields: Partial<ResponsesRequest>): ReturnType<typeof translateResponsesRequest> {
  return translateResponsesRequest({ model: 'claude-sonnet-4-6', input: 'hi', ...fields } as ResponsesRequest, [], CONTEXT, OPTIONS)
}

test('safety_identifier, or else user, is sent as metadata.user_id', async (t) => {
  t.same(translate({ safety_identifier: 'tenant-42' }).body.metadata, { user_id: 'tenant-42' })
  t.same(translate({ user: 'legacy-user' }).body.metadata, { user_id: 'legacy-user' })
  t.same(translate({ safety_identifier: 'tenant-42', user: 'legacy-user' }).body.metadata, { user_id: 'tenant-42' }, 'safety_identifier wins')
  t.equal(translate({}).body.metadata, undefined)
  t.throws(() => translate({ safety_identifier: 'x'.repeat(257) }), { status: 400, param: 'safety_identifier', message: /at most 256/ }, 'too long: the error names safety_identifier')
  t.throws(() => translate({ user: 'x'.repeat(257) }), { status: 400, param: 'user', message: /at most 256/ })
})

function translateWith (fields: Partial<ResponsesRequest>, options: Partial<ResponsesTranslateOptions> = {}): ReturnType<typeof translateResponsesRequest> {
  return translateResponsesRequest({ model: 'claude-sonnet-4-6', input: 'hi', ...fields } as ResponsesRequest, [], CONTEXT, { ...OPTIONS, ...options })
}

test('the plan: model, max_tokens within the model\'s limit, instructions first, flags from store, stream and include', async (t) => {
  const plan = translateWith({ instructions: 'Be brief.', max_output_tokens: 1_000_000 })
  t.equal(plan.body.model, 'claude-sonnet-4-6')
  t.equal(plan.requestedModel, 'claude-sonnet-4-6')
  t.equal(plan.body.max_tokens, new CapabilityTable().lookup('claude-sonnet-4-6').maxOutputTokens, 'capped at the model\'s own limit')
  t.same(plan.body.system, [{ type: 'text', text: 'Be brief.' }])
  t.same(plan.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }])
  t.same([plan.store, plan.stream, plan.encryptedReasoning, plan.searchSources, plan.summaries, plan.jsonTool], [true, false, false, false, false, null])
  t.equal(translateWith({ instructions: '  ' }).body.system, undefined, 'blank instructions are none')
  t.equal(translateWith({ max_output_tokens: 100 }).body.max_tokens, 100)
  const unstored = translateWith({ store: false, stream: true, include: ['web_search_call.action.sources'] })
  t.same([unstored.store, unstored.stream, unstored.encryptedReasoning, unstored.searchSources], [false, true, true, true], 'not stored: reasoning travels encrypted')
  t.equal(translateWith({ include: ['reasoning.encrypted_content'] }).encryptedReasoning, true)
  t.equal(translateWith({}, { resolveModel: (id) => id === 'alias' ? 'claude-opus-4-6' : id }).body.model, 'claude-sonnet-4-6')
  const aliased = translateWith({ model: 'alias' }, { resolveModel: (id) => id === 'alias' ? 'claude-opus-4-6' : id })
  t.same([aliased.body.model, aliased.requestedModel], ['claude-opus-4-6', 'alias'])
})

test('history items go before this request\'s input', async (t) => {
  const plan = translateResponsesRequest({ model: 'claude-sonnet-4-6', input: [{ role: 'user', content: 'second' }] } as ResponsesRequest, [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'reply' }], CONTEXT, OPTIONS)
  t.same(plan.body.messages.map((message) => message.role), ['user', 'assistant', 'user'])
  t.throws(() => translateResponsesRequest({ model: 'claude-sonnet-4-6', input: [{ role: 'user', content: 5 }] } as unknown as ResponsesRequest, [{ role: 'user', content: 'first' }], CONTEXT, OPTIONS), { status: 400, param: 'input[0].content', message: /./ }, 'params count this request\'s items from 0')
  t.throws(() => translateResponsesRequest({ model: 'claude-sonnet-4-6', input: [{ role: 'user', content: 'x' }] } as ResponsesRequest, [{ role: 'user', content: 5 }], CONTEXT, OPTIONS), { status: 400, param: 'previous_response_id (item 0).content', message: /./ })
})

test('unknown fields and unsupported values are refused, or dropped and named when so configured', async (t) => {
  t.throws(() => translateWith({ frobnicate: 1 } as Partial<ResponsesRequest>), { status: 400, param: 'frobnicate', code: 'unknown_parameter', message: /frobnicate/ })
  t.same(translateWith({ frobnicate: 1, ignored: null } as Partial<ResponsesRequest>, { unsupportedFields: 'drop' }).dropped, ['frobnicate'])
  t.throws(() => translateWith({ include: ['file_search_call.results', 'weird.thing'] }), { status: 400, param: 'include[1]', message: /weird/ })
  t.same(translateWith({ include: ['file_search_call.results', 'weird.thing'] }, { unsupportedFields: 'drop' }).dropped, ['include.weird.thing'])
  t.throws(() => translateWith({ top_logprobs: 2 }), { status: 400, param: 'top_logprobs', message: /./ })
  t.throws(() => translateWith({ truncation: 'sometimes' }), { status: 400, param: 'truncation', message: /./ })
  t.equal(translateWith({ truncation: 'auto' }).body.model, 'claude-sonnet-4-6')
  t.equal(translateWith({ truncation: 'disabled' }).body.model, 'claude-sonnet-4-6')
  t.throws(() => translateWith({ background: true }), { status: 400, param: 'background', code: 'unsupported_parameter', message: /./ })
  t.equal(translateWith({ background: false }).body.model, 'claude-sonnet-4-6')
  t.throws(() => translateWith({ conversation: 'conv_1' } as Partial<ResponsesRequest>), { status: 400, param: 'conversation', code: 'unsupported_parameter', message: /./ })
  t.throws(() => translateWith({ text: { verbosity: 'high' } } as Partial<ResponsesRequest>), { status: 400, param: 'text.verbosity', message: /./ })
  t.equal(translateWith({ text: { verbosity: 'medium' } } as Partial<ResponsesRequest>).jsonTool, null)
  t.throws(() => translateWith({ text: { format: { type: 'yaml' } } } as Partial<ResponsesRequest>), { status: 400, param: 'text.format.type', message: /./ })
  t.same(translateWith({ service_tier: 'default' }).body.service_tier, 'standard_only')
})

test('reasoning summaries are shown when asked for with a known value', async (t) => {
  t.equal(translateWith({ reasoning: { summary: 'auto' } } as Partial<ResponsesRequest>).summaries, true)
  t.equal(translateWith({ reasoning: { generate_summary: 'concise' } } as Partial<ResponsesRequest>).summaries, true)
  t.equal(translateWith({ reasoning: { effort: 'low' } } as Partial<ResponsesRequest>).summaries, false)
  t.throws(() => translateWith({ reasoning: { summary: 'long' } } as Partial<ResponsesRequest>), { status: 400, param: 'reasoning.summary', message: /long/ })
})

test('function, custom and namespaced tools are offered under names Claude takes', async (t) => {
  const plan = translateWith({ tools: [
    { type: 'function', name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
    { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
    { type: 'namespace', name: 'files', tools: [{ type: 'function', name: 'read' }, { type: 'custom', name: 'write' }] }
  ] } as Partial<ResponsesRequest>)
  t.same(plan.body.tools, [
    { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, description: 'Weather now', strict: true },
    { name: 'apply_patch', input_schema: { type: 'object', properties: { input: { type: 'string', description: 'The raw input for the tool.' } }, required: ['input'] }, description: 'Patch files\n\nThe input must follow this lark grammar:\nstart: "x"' },
    { name: 'files__read', input_schema: { type: 'object' }, description: '(files)' },
    { name: 'files__write', input_schema: { type: 'object', properties: { input: { type: 'string', description: 'The raw input for the tool.' } }, required: ['input'] }, description: '(files)' }
  ])
  t.same(plan.tools.lookup('files__write'), { kind: 'custom', name: 'write', namespace: 'files' })
  t.equal(plan.body.tool_choice, undefined)
  t.same(translateWith({ tools: [{ type: 'function', name: 'f' }], parallel_tool_calls: false } as Partial<ResponsesRequest>).body.tool_choice, { type: 'auto', disable_parallel_tool_use: true })
  t.same(translateWith({ tools: [{ type: 'function', name: 'f' }], max_tool_calls: 1 } as Partial<ResponsesRequest>).body.tool_choice, { type: 'auto', disable_parallel_tool_use: true })
  const refused: Array<[unknown, string, string | null]> = [
    [{ type: 'function', name: 5 }, 'tools[0].name', null],
    [{ type: 'file_search' }, 'tools[0].type', 'unsupported_tool'],
    [{ type: 'namespace', name: '', tools: [] }, 'tools[0].name', null],
    [{ type: 'namespace', name: 'ns' }, 'tools[0].tools', null],
    [{ type: 'namespace', name: 'ns', tools: [{ type: 'web_search' }] }, 'tools[0].tools[0].type', 'unsupported_tool']
  ]
  for (const [tool, param, code] of refused) t.throws(() => translateWith({ tools: [tool] } as Partial<ResponsesRequest>), { status: 400, param, code, message: /./ }, param)
})

test('web_search tools: offered when enabled, else dropped and named once', async (t) => {
  const off = translateWith({ tools: [{ type: 'web_search' }, { type: 'web_search_preview' }] } as Partial<ResponsesRequest>, { unsupportedFields: 'drop' })
  t.equal(off.body.tools, undefined)
  t.same(off.dropped, ['tools.web_search'])
  const on = translateWith({ tools: [{ type: 'function', name: 'f' }, { type: 'web_search', external_web_access: false }], max_tool_calls: 3 } as Partial<ResponsesRequest>, { webSearch: true })
  t.match(on.body.tools, [{ name: 'f' }, { name: 'web_search', max_uses: 3 }])
  t.same(on.body.tool_choice, { type: 'auto' })
  t.ok(on.dropped.includes('tools[1].external_web_access'))
  t.same(translateWith({ tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }], tool_choice: 'required' } as Partial<ResponsesRequest>, { webSearch: true }).body.tool_choice, { type: 'any' }, 'a tool_choice given is kept')
})

test('tool_choice: none, auto, required, a named tool (namespace included) and allowed_tools', async (t) => {
  const tools = [{ type: 'function', name: 'a' }, { type: 'function', name: 'b' }, { type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'a' }] }]
  const choice = (tool_choice: unknown): unknown => translateWith({ tools, tool_choice } as Partial<ResponsesRequest>).body.tool_choice
  t.same(choice('none'), { type: 'none' })
  t.same(choice('auto'), { type: 'auto' })
  t.same(choice('required'), { type: 'any' })
  t.same(choice({ type: 'function', name: 'a' }), { type: 'tool', name: 'a' })
  t.same(choice({ type: 'function', name: 'a', namespace: 'ns' }), { type: 'tool', name: 'ns__a' })
  t.same(choice({ type: 'custom', name: 'b' }), { type: 'tool', name: 'b' })
  const allowed = translateWith({ tools, tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }, { type: 'function', name: 'a', namespace: 'ns' }] } } as Partial<ResponsesRequest>)
  t.same(allowed.body.tools?.map((tool) => tool.name), ['b', 'ns__a'])
  t.same(allowed.body.tool_choice, { type: 'any' })
  t.same(translateWith({ tools, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'custom', name: 'a' }] } } as Partial<ResponsesRequest>).body.tool_choice, { type: 'auto' })
  const mislabelled = translateWith({ tools: [{ type: 'custom', name: 'apply_patch' }], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'apply_patch' }] } } as Partial<ResponsesRequest>)
  t.same(mislabelled.tools.lookup('apply_patch'), { kind: 'custom', name: 'apply_patch', namespace: undefined }, 'an allowed_tools entry names a tool; the tool\'s own definition says what kind its calls are')
  const refused: Array<[unknown, string]> = [
    ['sometimes', 'tool_choice'],
    [{ type: 'function', name: 5 }, 'tool_choice.name'],
    [{ type: 'function', name: 'zzz' }, 'tool_choice'],
    [{ type: 'mcp' }, 'tool_choice.type'],
    [{ type: 'allowed_tools', mode: 'auto' }, 'tool_choice.tools'],
    [{ type: 'allowed_tools', mode: 'sometimes', tools: [] }, 'tool_choice.mode'],
    [{ type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function' }] }, 'tool_choice.tools[0].name']
  ]
  for (const [value, param] of refused) t.throws(() => choice(value), { status: 400, param, message: /./ }, JSON.stringify(value))
})

test('a JSON text format is carried out', async (t) => {
  const plan = translateWith({ text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { n: { type: 'number' } } }, strict: true } } } as Partial<ResponsesRequest>)
  t.equal(plan.jsonTool, null, 'Sonnet 4.6 takes the schema natively: no tool carries it')
  t.same(plan.body.output_config, { format: { type: 'json_schema', schema: { type: 'object', properties: { n: { type: 'number' } } } } })
  t.equal(translateWith({ text: { format: { type: 'text' } } } as Partial<ResponsesRequest>).jsonTool, null)
})

function translateOn (model: string, fields: Partial<ResponsesRequest>, options: Partial<ResponsesTranslateOptions> = {}): ReturnType<typeof translateResponsesRequest> {
  return translateWith({ model, ...fields }, options)
}

test('a retired model is answered with a 404 naming its replacement', async (t) => {
  t.throws(() => translateOn('claude-3-5-sonnet-20241022', {}), { status: 404, param: 'model', code: 'model_retired', message: /claude-sonnet-4-6/ })
})

test('the conversation Claude gets: opened by a user turn, called tools declared when none are offered', async (t) => {
  const opened = translateWith({ input: [{ role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'hi' }] } as Partial<ResponsesRequest>)
  t.same(opened.body.messages[0], { role: 'user', content: [{ type: 'text', text: '(start of conversation)' }] })
  const called = translateWith({ input: [{ role: 'user', content: 'go' }, { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{}' }, { type: 'function_call_output', call_id: 'call_1', output: 'found' }] } as Partial<ResponsesRequest>)
  t.same(called.body.tools, [{ name: 'lookup', input_schema: { type: 'object' } }])
  t.same(called.body.tool_choice, { type: 'none' })
})

test('reasoning: effort turns thinking on, summaries make it readable, a model that cannot think drops it', async (t) => {
  const effort = translateWith({ reasoning: { effort: 'high' } } as Partial<ResponsesRequest>)
  t.same([effort.thinking, effort.body.thinking, effort.body.output_config], [true, { type: 'adaptive' }, { effort: 'high' }])
  t.same(translateWith({ reasoning: { effort: 'high', summary: 'auto' } } as Partial<ResponsesRequest>).body.thinking, { type: 'adaptive', display: 'summarized' })
  const cannot = translateOn('claude-3-5-haiku-20241022', { reasoning: { effort: 'low' } } as Partial<ResponsesRequest>)
  t.same([cannot.thinking, cannot.body.thinking, cannot.dropped], [false, undefined, ['reasoning.effort']])
})

test('temperature and top_p are sent', async (t) => {
  const plan = translateWith({ temperature: 0.5, top_p: 0.9 })
  t.same([plan.body.temperature, plan.body.top_p], [0.5, 0.9])
})

test('a forced tool with budget thinking is refused', async (t) => {
  t.throws(() => translateOn('claude-opus-4-1', { reasoning: { effort: 'low' }, tools: [{ type: 'function', name: 'f' }], tool_choice: 'required' } as Partial<ResponsesRequest>), { status: 400, param: 'tool_choice', code: 'thinking_with_forced_tool', message: /./ })
})

test('a prefill the model refuses is a 400 naming the last input item', async (t) => {
  const input = [{ role: 'user', content: 'q' }, { role: 'user', content: 'r' }, { role: 'assistant', content: 'Sure,' }]
  t.throws(() => translateWith({ input } as Partial<ResponsesRequest>), { status: 400, param: 'input[2]', code: 'prefill_not_supported', message: /prefill/ })
  t.throws(() => translateResponsesRequest({ model: 'claude-sonnet-4-6', input: '  ' } as ResponsesRequest, [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Sure,' }], CONTEXT, OPTIONS), { status: 400, param: /^input$/, code: 'prefill_not_supported', message: /prefill/ }, 'a string input is named input, not input[0]')
})

test('automatic caching marks the prompt when enabled', async (t) => {
  t.match(translateWith({ instructions: 'Be brief.' }, { autoCache: true }).body.system, [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }])
})

test('fields given as null or undefined count as absent', async (t) => {
  t.equal(translateWith({ frobnicate: undefined } as Partial<ResponsesRequest>).body.model, 'claude-sonnet-4-6', 'an unknown field left undefined is not refused')
  t.equal(translateWith({ conversation: null } as Partial<ResponsesRequest>).body.model, 'claude-sonnet-4-6')
  const plan = translateWith({ tools: [{ type: 'function', name: 'f' }], tool_choice: null } as Partial<ResponsesRequest>)
  t.same([plan.body.tools?.map((tool) => tool.name), plan.body.tool_choice], [['f'], undefined])
})

test('tool descriptions: only a string description, a grammar only with its definition', async (t) => {
  const plan = translateWith({ tools: [
    { type: 'function', name: 'f', description: 42 },
    { type: 'custom', name: 'g', description: 'Free text', format: { type: 'grammar', syntax: 'lark' } }
  ] } as Partial<ResponsesRequest>)
  t.same(plan.body.tools?.map((tool) => tool.description), [undefined, 'Free text'])
})

test('a namespace entry that is not an object is refused with a 400', async (t) => {
  t.throws(() => translateWith({ tools: [{ type: 'namespace', name: 'ns', tools: [null] }] } as Partial<ResponsesRequest>), { status: 400, param: 'tools[0].tools[0].type', code: 'unsupported_tool', message: /./ })
})

test('web_search settings carry over; those Claude lacks are named as dropped', async (t) => {
  const plan = translateWith({ tools: [{ type: 'web_search', external_web_access: true, user_location: { type: 'approximate', city: 'Paris' }, filters: { allowed_domains: ['example.com'] }, search_context_size: 'high' }] } as Partial<ResponsesRequest>, { webSearch: true })
  t.same(plan.body.tools, [{ type: 'web_search_20250305', name: 'web_search', allowed_domains: ['example.com'], user_location: { type: 'approximate', city: 'Paris' } }])
  t.same(plan.body.tool_choice, { type: 'auto' })
  t.same(plan.dropped, ['tools[0].search_context_size'], 'external_web_access: true asks for the default')
})

test('tool_choice names a tool by the name and namespace the client gave it', async (t) => {
  const plan = translateWith({ tools: [{ type: 'function', name: 'my.tool' }], tool_choice: { type: 'function', name: 'my.tool', namespace: null } } as Partial<ResponsesRequest>)
  t.same(plan.body.tool_choice, { type: 'tool', name: 'my_tool' }, 'a name Claude cannot take is matched to its offered form; a null namespace is none')
})

test('allowed_tools entries: each must be an object with a name, and keeps the tool as the client knows it', async (t) => {
  t.throws(() => translateWith({ tools: [{ type: 'function', name: 'a' }], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [null] } } as Partial<ResponsesRequest>), { status: 400, param: 'tool_choice.tools[0].name', message: /./ })
  const plan = translateWith({
    tools: [{ type: 'function', name: 'a' }, { type: 'custom', name: 'b' }],
    tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'a', namespace: null }, { type: 'custom', name: 'b' }] }
  } as Partial<ResponsesRequest>)
  t.strictSame(plan.tools.lookup('a'), { kind: 'function', name: 'a', namespace: undefined })
  t.strictSame(plan.tools.lookup('b'), { kind: 'custom', name: 'b', namespace: undefined })
})

test('JSON output through a tool: forced when the client offers no callable tools, else asked for in the system prompt', async (t) => {
  const json = { text: { format: { type: 'json_object' } } }
  const alone = translateWith(json as Partial<ResponsesRequest>)
  t.same([alone.jsonTool, alone.body.tool_choice, alone.body.system], ['json_response', { type: 'tool', name: 'json_response' }, undefined])
  const withTools = translateWith({ ...json, tools: [{ type: 'function', name: 'f' }] } as Partial<ResponsesRequest>)
  t.same(withTools.body.tool_choice, { type: 'auto' })
  t.match(withTools.body.system, [{ text: /json_response/ }])
  const toolsOff = translateWith({ ...json, tools: [{ type: 'function', name: 'f' }], tool_choice: 'none' } as Partial<ResponsesRequest>)
  t.same(toolsOff.body.tool_choice, { type: 'tool', name: 'json_response' }, "tool_choice 'none': the client's tools are not callable")
})

test('a json_schema format on a model without native structured output: the tool takes the format\'s name', async (t) => {
  const schema = { type: 'object', properties: { n: { type: 'number' } } }
  t.equal(translateOn('claude-opus-4-1', { text: { format: { type: 'json_schema', name: 'answer', schema } } } as Partial<ResponsesRequest>).jsonTool, 'answer')
  t.equal(translateOn('claude-opus-4-1', { text: { format: { type: 'json_schema', name: 42, schema } } } as Partial<ResponsesRequest>).jsonTool, 'json_response', 'a name that is not a string is none')
})

test('a namespace needs a name that is a non-empty string', async (t) => {
  for (const name of [5, '', undefined]) {
    t.throws(() => translateWith({ tools: [{ type: 'namespace', name, tools: [{ type: 'function', name: 'a' }] }] } as unknown as Partial<ResponsesRequest>), { status: 400, param: 'tools[0].name', message: 'tools[0].name must be a non-empty string' }, `name ${String(name)}`)
  }
})
