/**
 * Property-based fuzzing of POST /v1/responses: whatever items and fields a client sends, the
 * gateway answers 200 or a 4xx carrying an OpenAI error object, never a 5xx, a crash or a hang.
 */
import fc from 'fast-check'
import t from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway, CLIENT_KEY } from '../helpers/gateway.js'

const HEADERS = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }
/** The property stops early when it runs out of time, so the file stays fast on a slow CI. */
const PROPERTY_TIME_LIMIT_MS = 6_000

const stub = await startAnthropicStub()
const gateway = await buildGateway(stub.url, { config: { RETRY_COUNT: 1 } })
t.teardown(async () => { await gateway.close(); await stub.close() })

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constant(''), fc.constant('  '))
const part = fc.oneof(
  fc.record({ type: fc.constantFrom('input_text', 'output_text', 'text', 'refusal', 'input_audio', 'weird'), text, refusal: text }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(text, fc.constant('data:image/png;base64,iVBORw0KGgo='), fc.constant('https://example.com/a.png')), file_id: text }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('input_file'), file_data: fc.oneof(text, fc.constant('data:application/pdf;base64,JVBERi0=')), file_url: text, filename: text, file_id: text }, { requiredKeys: ['type'] })
)
const item = fc.oneof(
  fc.record({ type: fc.constant('message'), role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), content: fc.oneof(text, fc.array(part, { maxLength: 3 }), fc.integer()) }, { requiredKeys: ['role'] }),
  fc.record({ type: fc.constant('function_call'), call_id: fc.oneof(text, fc.constant('call_1')), name: fc.oneof(text, fc.constant('f')), arguments: fc.oneof(text, fc.constant('{"a":1}'), fc.constant('[1]')), namespace: text }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('function_call_output', 'custom_tool_call_output'), call_id: fc.oneof(text, fc.constant('call_1')), output: fc.oneof(text, fc.array(part, { maxLength: 2 }), fc.boolean()) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('custom_tool_call'), call_id: text, name: text, input: fc.oneof(text, fc.integer()) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('reasoning'), id: text, summary: fc.constant([]), encrypted_content: fc.oneof(text, fc.constant('c2a1.AAAA')) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('item_reference', 'web_search_call', 'nonsense'), id: text }, { requiredKeys: ['type'] })
)
const tool = fc.oneof(
  fc.record({ type: fc.constant('function'), name: fc.oneof(text, fc.constant('f')), parameters: fc.oneof(fc.constant({ type: 'object' }), fc.constant({ type: 'array' }), fc.constant(null)), strict: fc.boolean() }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('custom'), name: fc.oneof(text, fc.constant('c')), format: fc.constant({ type: 'grammar', syntax: 'lark', definition: 'start: "x"' }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('namespace'), name: text, tools: fc.oneof(fc.constant([{ type: 'function', name: 'g' }]), fc.constant('x'), fc.constant([{ type: 'web_search' }])) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constantFrom('web_search', 'file_search', 'mcp', 'unknown') })
)
const body = fc.record({
  model: fc.constantFrom('claude-haiku-4-5-20251001', 'claude-opus-4-7', 'claude-3-5-haiku-latest'),
  input: fc.oneof(text, fc.array(item, { maxLength: 5 })),
  instructions: fc.oneof(text, fc.constant(null)),
  tools: fc.array(tool, { maxLength: 3 }),
  tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required', 'sometimes'), fc.constant({ type: 'function', name: 'f' }), fc.constant({ type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'f' }] }), fc.constant({ type: 'mcp' })),
  reasoning: fc.record({ effort: fc.constantFrom('none', 'minimal', 'low', 'high', 'xhigh', 'extreme'), summary: fc.constantFrom('auto', 'detailed', 'verbose') }),
  text: fc.record({ format: fc.oneof(fc.constant({ type: 'text' }), fc.constant({ type: 'json_object' }), fc.constant({ type: 'json_schema', name: 'x', schema: { type: 'object' } }), fc.constant({ type: 'json_schema' }), fc.constant({ type: 'yaml' })) }),
  temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  max_output_tokens: fc.integer({ min: 1, max: 200_000 }),
  previous_response_id: fc.constantFrom('resp_nothing', 'x'),
  store: fc.boolean(),
  stream: fc.boolean(),
  include: fc.array(fc.constantFrom('reasoning.encrypted_content', 'message.output_text.logprobs', 'file_search_call.results'), { maxLength: 2 })
}, { requiredKeys: ['model'] })

t.test('any Responses body gets 200 or a 4xx OpenAI error', async (t) => {
  let runs = 0
  await fc.assert(fc.asyncProperty(body, async (request) => {
    runs++
    const answer = await gateway.inject({ method: 'POST', url: '/v1/responses', headers: HEADERS, payload: JSON.stringify(request) })
    if (answer.statusCode === 200) return true
    const parsed = JSON.parse(answer.body) as { error?: { message?: unknown; type?: unknown } }
    return answer.statusCode >= 400 && answer.statusCode < 500 && typeof parsed.error?.message === 'string' && typeof parsed.error.type === 'string'
  }), { numRuns: 300, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS })
  t.ok(runs > 0, `${runs} bodies tried`)
})
