// Reasoning items given back in the input become Claude's thinking blocks again.
import { test } from 'tap'
import type { ReasoningBlock } from '../../../lib/anthropic/types.js'
import { additionalTools, convertInput, inputItems, toolCallIdsOf, type InputContext, type InputItem } from '../../../lib/responses/translate-input.js'

const STORED: ReasoningBlock[] = [{ type: 'thinking', thinking: 'stored thought', signature: 'sig-stored' }]
const SEALED: ReasoningBlock[] = [{ type: 'thinking', thinking: 'sealed thought', signature: 'sig-sealed' }]

function context (): InputContext {
  return {
    unseal: (blob) => { if (blob !== 'sealed-blob') throw new Error('not ours'); return SEALED },
    thinkingById: new Map([['rs_1', STORED]]),
    references: new Map()
  }
}

function assistantTurn (items: InputItem[]): unknown {
  const converted = convertInput(items, items.map((_, index) => `input[${index}]`), context())
  return converted.messages.find((message) => message.role === 'assistant')?.content
}

const CALL: InputItem = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{}' }
const USER: InputItem = { type: 'message', role: 'user', content: 'go' }

test('a reasoning item without encrypted_content gets its stored thinking back by id', async (t) => {
  t.same(assistantTurn([USER, { type: 'reasoning', id: 'rs_1', summary: [] }, CALL]), [...STORED, { type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }])
  t.same(assistantTurn([USER, { type: 'reasoning', id: 'rs_1', encrypted_content: '', summary: [] }, CALL]), [...STORED, { type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }], 'an empty encrypted_content counts as none')
})

test('encrypted_content is unsealed when present; an unknown id without it gives nothing', async (t) => {
  t.same(assistantTurn([USER, { type: 'reasoning', id: 'rs_1', encrypted_content: 'sealed-blob', summary: [] }, CALL]), [...SEALED, { type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }])
  t.same(assistantTurn([USER, { type: 'reasoning', id: 'rs_unknown', summary: [] }, CALL]), [{ type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }])
  t.same(assistantTurn([USER, { type: 'reasoning', summary: [] }, CALL]), [{ type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }], 'no id')
})

function convert (items: InputItem[], extra: Partial<InputContext> = {}): ReturnType<typeof convertInput> {
  return convertInput(items, items.map((_, index) => `input[${index}]`), { ...context(), ...extra })
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

test('messages of each role: system and developer text becomes the system prompt, turns alternate', async (t) => {
  const converted = convert([
    { type: 'message', role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'input_text', text: 'Use metric units.' }, { type: 'text', text: '   ' }] },
    { role: 'user', content: [{ type: 'input_text', text: 'Hello' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}` }] },
    { role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }, { type: 'refusal', refusal: 'No.' }, { type: 'input_text', text: 'more' }, { type: 'text', text: 'end' }] },
    { role: 'user', content: 'Next' },
    { role: 'user', content: [{ type: 'text', text: 'merged' }] }
  ])
  t.same(converted.system, [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use metric units.' }])
  t.same(converted.messages, [
    { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'No.' }, { type: 'text', text: 'more' }, { type: 'text', text: 'end' }] },
    { role: 'user', content: [{ type: 'text', text: 'Next' }, { type: 'text', text: 'merged' }] }
  ])
  t.same([...converted.historyToolNames], [])
})

test('tool calls and their outputs become tool_use and tool_result blocks; called tools are remembered', async (t) => {
  const converted = convert([
    USER,
    { type: 'function_call', call_id: 'call.1', name: 'read', namespace: 'files', arguments: '{"path":"a"}' },
    { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: '*** patch' },
    { type: 'function_call_output', call_id: 'call.1', output: 'file text' },
    { type: 'custom_tool_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'done' }] },
    { type: 'function_call_output', call_id: 'call_3', output: '  ' },
    { type: 'web_search_call', id: 'ws_1', status: 'completed' }
  ])
  t.same(converted.messages.slice(1), [
    { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'files__read', input: { path: 'a' } }, { type: 'tool_use', id: 'call_2', name: 'apply_patch', input: { input: '*** patch' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'file text' }, { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'done' }] }, { type: 'tool_result', tool_use_id: 'call_3', content: [] }] }
  ])
  t.same([...converted.historyToolNames], ['files__read', 'apply_patch'])
})

test('files: base64 file_data (bare or data URL) and file_url become documents', async (t) => {
  const pdf = Buffer.from('%PDF-1.4 tiny').toString('base64')
  const converted = convert([{ role: 'user', content: [
    { type: 'input_file', filename: 'a.pdf', file_data: pdf },
    { type: 'input_file', file_data: `data:application/pdf;base64,${pdf}` },
    { type: 'input_file', filename: 'b.pdf', file_url: 'https://example.com/b.pdf' }
  ] }])
  t.match(converted.messages[0].content, [
    { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } },
    { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } },
    { type: 'document', source: { type: 'url', url: 'https://example.com/b.pdf' }, title: 'b.pdf' }
  ])
})

test('an item_reference is replaced by the stored item it names; an unknown one is a 400', async (t) => {
  const references = new Map<string, InputItem>([['msg_old', { type: 'message', role: 'user', content: 'from before' }]])
  t.same(convert([{ type: 'item_reference', id: 'msg_old' }], { references }).messages, [{ role: 'user', content: [{ type: 'text', text: 'from before' }] }])
  t.throws(() => convert([{ type: 'item_reference', id: 'msg_none' }], { references }), { status: 400, param: 'input[0].id', code: 'item_not_found', message: /msg_none/ })
})

test('malformed items are refused with a 400 naming the field', async (t) => {
  const cases: Array<[InputItem[], string, string | null]> = [
    [[{ role: 'tool', content: 'x' }], 'input[0].role', null],
    [[{ role: 'user', content: 5 }], 'input[0].content', null],
    [[{ role: 'user', content: [null] }], 'input[0].content[0]', null],
    [[{ role: 'user', content: [7] }], 'input[0].content[0]', null],
    [[{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x' }] }], 'input[0].content[0].type', null],
    [[{ role: 'assistant', content: [{ type: 'input_image' }] }], 'input[0].content[0].type', null],
    [[{ role: 'user', content: [{ type: 'input_audio' }] }], 'input[0].content[0].type', 'unsupported_content_type'],
    [[{ role: 'user', content: [{ type: 'video' }] }], 'input[0].content[0].type', 'unsupported_content_type'],
    [[{ role: 'user', content: [{ type: 'input_text', text: 5 }] }], 'input[0].content[0].text', null],
    [[{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }], 'input[0].content[0].file_id', 'unsupported_file'],
    [[{ role: 'user', content: [{ type: 'input_image', image_url: '' }] }], 'input[0].content[0].image_url', null],
    [[{ role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] }], 'input[0].content[0].file_id', 'unsupported_file'],
    [[{ role: 'user', content: [{ type: 'input_file', file_data: '', file_url: '' }] }], 'input[0].content[0].file_data', null],
    [[USER, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{' }], 'input[1].arguments', 'invalid_tool_arguments'],
    [[USER, { type: 'function_call', call_id: '', name: 'f', arguments: '{}' }], 'input[1].call_id', null],
    [[USER, { type: 'function_call_output', call_id: 'c', output: 5 }], 'input[1].output', null],
    [[{ type: 'mystery' }], 'input[0].type', 'unsupported_item_type'],
    [[{ content: 'no role, no type' }], 'input[0].type', 'unsupported_item_type']
  ]
  for (const [items, param, code] of cases) {
    t.throws(() => convert(items), { status: 400, param, code, message: /./ }, param)
  }
  t.throws(() => convert([{ role: 'system', content: 'only a system prompt' }]), { status: 400, param: 'input', message: /at least one/ })
  t.throws(() => convert([]), { status: 400, param: 'input', message: /at least one/ })
})

test('tool turns without their thinking get it back from the thinking store', async (t) => {
  const loaded: string[][] = []
  const thinkingStore = { load: (ids: string[]) => { loaded.push(ids); return ids.includes('call_1') ? STORED : undefined } }
  const converted = convert([USER, CALL, { type: 'function_call_output', call_id: 'call_1', output: 'r' }, { role: 'assistant', content: 'plain answer' }, { type: 'message', role: 'user', content: 'more' }, { type: 'reasoning', id: 'rs_1', summary: [] }, { type: 'function_call', call_id: 'call_9', name: 'lookup', arguments: '' }], { thinkingStore })
  t.same(converted.messages[1].content, [...STORED, { type: 'tool_use', id: 'call_1', name: 'lookup', input: {} }])
  t.same(converted.messages[5].content, [...STORED, { type: 'tool_use', id: 'call_9', name: 'lookup', input: {} }], 'a turn that has its thinking keeps it')
  t.same(loaded, [['call_1']], 'only tool turns without thinking are looked up')
})

test('the tool-call ids of the input, as they are sent upstream', async (t) => {
  t.same(toolCallIdsOf([USER, CALL, { type: 'custom_tool_call', call_id: 'x.y', name: 'n', input: '' }, { type: 'function_call', call_id: '' }, { type: 'function_call_output', call_id: 'call_1' }]), ['call_1', 'x_y'])
  t.same(toolCallIdsOf([{ type: 'function_call', name: 'f', arguments: '{}' }, { type: 'custom_tool_call', call_id: 7, name: 'g', input: '' }]), [], 'a call without a string call_id is left to the translation to refuse')
  t.same(inputItems('hi'), [{ type: 'message', role: 'user', content: 'hi' }])
  t.same(inputItems(undefined), [])
  t.same(inputItems([USER]), [USER])
})

test('a compaction item becomes a user turn holding the summary it seals, at its place in the input', async (t) => {
  const opened: string[] = []
  const uncompact = (blob: string, param: string): string => { opened.push(`${blob} at ${param}`); return 'We fixed the parser.' }
  const converted = convert([{ type: 'compaction', id: 'cmp_1', encrypted_content: 'sealed-summary' }, USER], { uncompact })
  t.same(converted.messages, [{ role: 'user', content: [
    { type: 'text', text: 'Summary of the earlier conversation, which it replaces:\n\nWe fixed the parser.' },
    { type: 'text', text: 'go' }
  ] }])
  t.same(opened, ['sealed-summary at input[0].encrypted_content'])
  t.throws(() => convert([{ type: 'compaction', encrypted_content: 'sealed-summary' }, USER]), { status: 400, param: 'input[0].type', code: 'unsupported_item_type', message: /compaction/ }, 'refused where no summary can be opened')
})

test('items that add nothing to the conversation: a past web search and additional_tools', async (t) => {
  const converted = convert([USER, { type: 'web_search_call', id: 'ws_1', status: 'completed' }, { type: 'additional_tools', tools: [{ type: 'function', name: 'f' }] }, { role: 'user', content: 'more' }])
  t.same(converted.messages, [{ role: 'user', content: [{ type: 'text', text: 'go' }, { type: 'text', text: 'more' }] }])
})

test('tool search and compaction_trigger items are refused, each saying what to do instead', async (t) => {
  t.throws(() => convert([USER, { type: 'tool_search_call', id: 'ts_1' }]), { status: 400, param: 'input[1].type', code: 'unsupported_item_type', message: /tool search/ })
  t.throws(() => convert([USER, { type: 'tool_search_output', id: 'ts_1' }]), { status: 400, param: 'input[1].type', code: 'unsupported_item_type', message: /tool search/ })
  t.throws(() => convert([USER, { type: 'compaction_trigger' }]), { status: 400, param: 'input[1].type', code: 'unsupported_item_type', message: /responses\/compact/ })
  t.throws(() => convert([{ role: 'user', content: [{ type: 'input_audio' }] }]), { status: 400, message: /audio input is not supported/ })
})

test('additional_tools items give their tools in order, each named by where it sits in the input', async (t) => {
  const read = { type: 'function', name: 'read' }
  const patch = { type: 'custom', name: 'apply_patch' }
  const params = ['input[0]', 'input[1]', 'input[2]']
  t.same(additionalTools([USER, { type: 'additional_tools', tools: [read, patch] }, { type: 'additional_tools', tools: [] }], params), [
    { tool: read, param: 'input[1].tools[0]' },
    { tool: patch, param: 'input[1].tools[1]' }
  ])
  t.same(additionalTools([USER], params), [])
  t.throws(() => additionalTools([USER, { type: 'additional_tools' }], params), { status: 400, param: 'input[1].tools', message: /./ })
  t.throws(() => additionalTools([USER, { type: 'additional_tools', tools: [read, null] }], params), { status: 400, param: 'input[1].tools[1]', message: /object/ })
  t.throws(() => additionalTools([USER, { type: 'additional_tools', tools: ['read'] }], params), { status: 400, param: 'input[1].tools[0]', message: /object/ })
})

test('a message whose parts are all blank is no turn at all', async (t) => {
  t.throws(() => convert([{ role: 'user', content: '   ' }]), { status: 400, param: 'input', message: /at least one/ })
  t.same(convert([USER, { role: 'assistant', content: [{ type: 'output_text', text: ' ' }] }, { role: 'user', content: 'more' }]).messages, [{ role: 'user', content: [{ type: 'text', text: 'go' }, { type: 'text', text: 'more' }] }], 'the user turns around it merge')
})

test('a namespace or filename that is not a string is ignored', async (t) => {
  const converted = convert([
    { role: 'user', content: [{ type: 'input_file', filename: 5, file_url: 'https://example.com/c.pdf' }] },
    { type: 'function_call', call_id: 'call_1', name: 'read', namespace: 7, arguments: '{}' },
    { type: 'custom_tool_call', call_id: 'call_2', name: 'write', namespace: ['tools'], input: 'x' },
    { type: 'custom_tool_call', call_id: 'call_3', name: 'patch', namespace: 'files', input: 'y' }
  ])
  t.same(converted.messages[0].content, [{ type: 'document', source: { type: 'url', url: 'https://example.com/c.pdf' } }])
  t.same(converted.messages[1].content.map((block) => block.type === 'tool_use' ? block.name : block.type), ['read', 'write', 'files__patch'])
  t.same([...converted.historyToolNames], ['read', 'write', 'files__patch'])
})
