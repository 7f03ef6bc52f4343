import t from 'tap'
import type { StreamPayload } from '../../../lib/anthropic/types.js'
import { eventsOfMessage, KEEP_ALIVE, ResponsesStreamTranslator } from '../../../lib/responses/stream-translator.js'
import { ToolNames } from '../../../lib/responses/tool-names.js'
import type { ResponseObject } from '../../../schemas/responses.js'

const shell = { id: 'resp_test', object: 'response', model: 'claude-test', status: 'in_progress', output: [] } as unknown as ResponseObject

function events (text: string): Array<{ type: string; sequence_number: number; [key: string]: any }> {
  return text.split('\n\n').filter((chunk) => chunk.startsWith('event: ')).map((chunk) => JSON.parse(chunk.split('\n')[1].slice('data: '.length)))
}

function start (): StreamPayload {
  return { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 7, output_tokens: 1 } } }
}

t.test('states: awaiting-start → streaming → finished; nothing after the end', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  t.equal(translator.handle({ type: 'ping' }), '', 'nothing before message_start')
  t.equal(translator.state, 'awaiting-start')
  t.same(events(translator.handle(start())).map((event) => event.type), ['response.created', 'response.in_progress'])
  t.equal(translator.state, 'streaming')
  t.equal(translator.handle({ type: 'ping' }), KEEP_ALIVE)
  t.equal(translator.handle({ type: 'some_future_event' } as unknown as StreamPayload), '', 'unknown events are passed over')
  translator.handle({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } })
  const last = events(translator.handle({ type: 'message_stop' }))
  t.same(last.map((event) => event.type), ['response.completed'])
  t.equal(translator.state, 'finished')
  t.equal(translator.handle(start()), '')
  t.equal(translator.fail({ code: 'server_error', message: 'late' }), '', 'a finished response cannot fail')
  t.same(translator.response.usage, { input_tokens: 7, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 })
})

t.test('a failure before message_start still opens the response, then fails it', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const out = events(translator.handle({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }))
  t.same(out.map((event) => event.type), ['response.created', 'response.in_progress', 'response.failed'])
  t.same(out.map((event) => event.sequence_number), [0, 1, 2])
  t.match(out[2].response, { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Upstream: slow down' } })
  t.equal(translator.state, 'failed')
})

t.test('a whole message gives the same items as its stream; thinking, text, a call and the answer tool', async (t) => {
  const tools = new ToolNames()
  tools.add({ kind: 'function', name: 'find', namespace: 'crm' })
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: true, seal: () => 'sealed' })
  const message = {
    id: 'msg_1', type: 'message' as const, role: 'assistant' as const, model: 'claude-test', stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 2 },
    content: [
      { type: 'thinking' as const, thinking: 'hmm', signature: 's1' },
      { type: 'text' as const, text: 'Looking. ' },
      { type: 'text' as const, text: 'Still looking.' },
      { type: 'tool_use' as const, id: 'toolu_1', name: 'crm__find', input: { q: 1 } }
    ]
  }
  for (const event of eventsOfMessage(message)) translator.handle(event)
  const output = translator.response.output
  t.same(output.map((item) => item.type), ['reasoning', 'message', 'function_call'])
  t.match(output[0], { summary: [{ type: 'summary_text', text: 'hmm' }], encrypted_content: 'sealed' })
  t.match(output[1], { status: 'completed', content: [{ type: 'output_text', text: 'Looking. Still looking.' }] })
  t.match(output[2], { name: 'find', namespace: 'crm', call_id: 'toolu_1', arguments: '{"q":1}', status: 'completed' })
  t.same(translator.toolTurnReasoning, [{ callIds: ['toolu_1'], blocks: [{ type: 'thinking', thinking: 'hmm', signature: 's1' }] }])
  t.equal(translator.response.status, 'completed')
})

// --- whole event sequences ------------------------------------------------------------------------
// Every event is compared whole: type, sequence_number, indexes, item ids and payloads. Ids are
// random, so each distinct id is renamed by its kind and order of first appearance (rs_1, msg_1 …).

type Event = { type: string; sequence_number: number; [key: string]: any }

class Names {
  private readonly names = new Map<string, string>()
  private readonly counts = new Map<string, number>()

  text (text: string): string {
    return text.replace(/\b(rs|msg|fc|ctc|ws)_[0-9a-f]{32}\b/g, (id: string, prefix: string) => {
      let name = this.names.get(id)
      if (name === undefined) {
        const count = (this.counts.get(prefix) ?? 0) + 1
        this.counts.set(prefix, count)
        name = `${prefix}_${count}`
        this.names.set(id, name)
      }
      return name
    })
  }

  /** The SSE text as events; every byte must belong to an `event:`/`data:` pair whose names agree. */
  events (text: string): Event[] {
    const named = this.text(text)
    const pattern = /event: ([a-z_.]+)\ndata: ([^\n]*)\n\n/y
    const out: Event[] = []
    while (pattern.lastIndex < named.length) {
      const at = pattern.lastIndex
      const match = pattern.exec(named)
      if (match === null) throw new Error(`not an event at ${at}: ${JSON.stringify(named.slice(at, at + 80))}`)
      const data = JSON.parse(match[2]) as Event
      if (data.type !== match[1]) throw new Error(`event: ${match[1]} carries data of type ${data.type}`)
      out.push(data)
    }
    return out
  }

  value (value: unknown): any {
    return JSON.parse(this.text(JSON.stringify(value)))
  }
}

function feed (translator: ResponsesStreamTranslator, names: Names, payloads: StreamPayload[]): Event[] {
  return names.events(payloads.map((payload) => translator.handle(payload)).join(''))
}

function blockStart (index: number, block: Record<string, unknown>): StreamPayload {
  return { type: 'content_block_start', index, content_block: block } as unknown as StreamPayload
}

function delta (index: number, value: Record<string, unknown>): StreamPayload {
  return { type: 'content_block_delta', index, delta: value } as unknown as StreamPayload
}

function stop (index: number): StreamPayload {
  return { type: 'content_block_stop', index }
}

function startWith (usage: Record<string, number>): StreamPayload {
  return { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage } }
}

const opened = { id: 'resp_test', object: 'response', model: 'claude-test', status: 'in_progress', output: [] }

t.test('thinking with summaries, text and a namespaced call: every event of the stream', async (t) => {
  const tools = new ToolNames()
  tools.add({ kind: 'function', name: 'find', namespace: 'crm' })
  const sealed: unknown[] = []
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: true, seal: (blocks) => { sealed.push(blocks); return 'sealed-blob' } })
  const names = new Names()
  t.equal(translator.finished, false)
  const head = feed(translator, names, [
    startWith({ input_tokens: 7, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }),
    blockStart(0, { type: 'thinking', thinking: '', signature: '' }),
    delta(0, { type: 'thinking_delta', thinking: 'Let me ' }),
    delta(0, { type: 'thinking_delta', thinking: 'think.' }),
    delta(0, { type: 'signature_delta', signature: 'sig-' }),
    delta(0, { type: 'signature_delta', signature: 'one' }),
    stop(0),
    blockStart(1, { type: 'thinking', thinking: 'Second ', signature: '' }),
    delta(1, { type: 'thinking_delta', thinking: 'thought.' }),
    stop(1),
    blockStart(2, { type: 'text', text: '' }),
    delta(2, { type: 'text_delta', text: 'Hello' })
  ])
  const rs1 = { item_id: 'rs_1', output_index: 0 }
  const summary = [{ type: 'summary_text', text: 'Let me think.' }, { type: 'summary_text', text: 'Second thought.' }]
  const reasoningDone = { type: 'reasoning', id: 'rs_1', summary, encrypted_content: 'sealed-blob' }
  const messageAdded = { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] }
  t.strictSame(head, [
    { type: 'response.created', sequence_number: 0, response: opened },
    { type: 'response.in_progress', sequence_number: 1, response: opened },
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { type: 'reasoning', id: 'rs_1', summary: [] } },
    { type: 'response.reasoning_summary_part.added', sequence_number: 3, ...rs1, summary_index: 0, part: { type: 'summary_text', text: '' } },
    { type: 'response.reasoning_summary_text.delta', sequence_number: 4, ...rs1, summary_index: 0, delta: 'Let me ' },
    { type: 'response.reasoning_summary_text.delta', sequence_number: 5, ...rs1, summary_index: 0, delta: 'think.' },
    { type: 'response.reasoning_summary_text.done', sequence_number: 6, ...rs1, summary_index: 0, text: 'Let me think.' },
    { type: 'response.reasoning_summary_part.done', sequence_number: 7, ...rs1, summary_index: 0, part: { type: 'summary_text', text: 'Let me think.' } },
    { type: 'response.reasoning_summary_part.added', sequence_number: 8, ...rs1, summary_index: 1, part: { type: 'summary_text', text: '' } },
    { type: 'response.reasoning_summary_text.delta', sequence_number: 9, ...rs1, summary_index: 1, delta: 'Second ' },
    { type: 'response.reasoning_summary_text.delta', sequence_number: 10, ...rs1, summary_index: 1, delta: 'thought.' },
    { type: 'response.reasoning_summary_text.done', sequence_number: 11, ...rs1, summary_index: 1, text: 'Second thought.' },
    { type: 'response.reasoning_summary_part.done', sequence_number: 12, ...rs1, summary_index: 1, part: { type: 'summary_text', text: 'Second thought.' } },
    { type: 'response.output_item.done', sequence_number: 13, output_index: 0, item: reasoningDone },
    { type: 'response.output_item.added', sequence_number: 14, output_index: 1, item: messageAdded },
    { type: 'response.content_part.added', sequence_number: 15, item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', sequence_number: 16, item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hello', logprobs: [] }
  ])
  const blocks = [{ type: 'thinking', thinking: 'Let me think.', signature: 'sig-one' }, { type: 'thinking', thinking: 'Second thought.', signature: '' }]
  t.strictSame(sealed, [blocks], 'the seal gets the item\'s thinking blocks, once')

  t.strictSame(names.value(translator.response), { ...opened, status: 'in_progress', error: null, incomplete_details: null, usage: null, completed_at: null, output: [reasoningDone, messageAdded] }, 'the response while streaming')
  t.equal(translator.finished, false)

  const before = Math.floor(Date.now() / 1000)
  const tail = feed(translator, names, [
    delta(2, { type: 'text_delta', text: ' world' }),
    stop(2),
    blockStart(3, { type: 'tool_use', id: 'toolu_1', name: 'crm__find', input: {} }),
    delta(3, { type: 'input_json_delta', partial_json: '{"q":' }),
    delta(3, { type: 'input_json_delta', partial_json: '1}' }),
    stop(3),
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 50 } },
    { type: 'message_stop' }
  ])
  const after = Math.floor(Date.now() / 1000)
  const part = { type: 'output_text', text: 'Hello world', annotations: [] }
  const message = { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [part] }
  const call = { type: 'function_call', id: 'fc_1', call_id: 'toolu_1', name: 'find', namespace: 'crm', arguments: '{"q":1}', status: 'completed' }
  const completedAt = tail[tail.length - 1].response.completed_at
  t.ok(completedAt >= before && completedAt <= after, `completed_at ${String(completedAt)} is the time of the end in seconds (${before}…${after})`)
  const usage = { input_tokens: 127, input_tokens_details: { cached_tokens: 100 }, output_tokens: 50, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 177 }
  t.strictSame(tail, [
    { type: 'response.output_text.delta', sequence_number: 17, item_id: 'msg_1', output_index: 1, content_index: 0, delta: ' world', logprobs: [] },
    { type: 'response.output_text.done', sequence_number: 18, item_id: 'msg_1', output_index: 1, content_index: 0, text: 'Hello world', logprobs: [] },
    { type: 'response.content_part.done', sequence_number: 19, item_id: 'msg_1', output_index: 1, content_index: 0, part },
    { type: 'response.output_item.done', sequence_number: 20, output_index: 1, item: message },
    { type: 'response.output_item.added', sequence_number: 21, output_index: 2, item: { ...call, arguments: '', status: 'in_progress' } },
    { type: 'response.function_call_arguments.delta', sequence_number: 22, item_id: 'fc_1', output_index: 2, delta: '{"q":' },
    { type: 'response.function_call_arguments.delta', sequence_number: 23, item_id: 'fc_1', output_index: 2, delta: '1}' },
    { type: 'response.function_call_arguments.done', sequence_number: 24, item_id: 'fc_1', output_index: 2, name: 'find', arguments: '{"q":1}' },
    { type: 'response.output_item.done', sequence_number: 25, output_index: 2, item: call },
    {
      type: 'response.completed',
      sequence_number: 26,
      response: { ...opened, status: 'completed', error: null, incomplete_details: null, usage, completed_at: completedAt, output: [reasoningDone, message, call] }
    }
  ])
  t.equal(translator.finished, true)
  t.strictSame(names.value([...translator.reasoningById]), [['rs_1', blocks]], 'the thinking blocks by reasoning item id')
  t.strictSame(translator.toolTurnReasoning, [{ callIds: ['toolu_1'], blocks }])
})

t.test('redacted and unsummarised thinking, a custom tool call, and text cut short by max_tokens', async (t) => {
  const tools = new ToolNames()
  tools.add({ kind: 'custom', name: 'apply_patch' })
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: false })
  const names = new Names()
  const out = feed(translator, names, [
    startWith({ input_tokens: 3 }),
    blockStart(0, { type: 'redacted_thinking', data: 'opaque' }),
    stop(0),
    blockStart(1, { type: 'thinking', thinking: 'quiet', signature: '' }),
    delta(1, { type: 'thinking_delta', thinking: ' thoughts' }),
    delta(1, { type: 'signature_delta', signature: 'sg' }),
    stop(1),
    blockStart(2, { type: 'tool_use', id: 'toolu_2', name: 'apply_patch', input: {} }),
    delta(2, { type: 'input_json_delta', partial_json: '{"input":"*** Begin' }),
    delta(2, { type: 'input_json_delta', partial_json: ' Patch"}' }),
    stop(2),
    blockStart(3, { type: 'text', text: 'Cut' }),
    delta(3, { type: 'text_delta', text: ' sho' }),
    { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } },
    { type: 'message_delta', delta: {} },
    { type: 'message_stop' }
  ])
  const reasoning = { type: 'reasoning', id: 'rs_1', summary: [] }
  const call = { type: 'custom_tool_call', id: 'ctc_1', call_id: 'toolu_2', name: 'apply_patch', input: '*** Begin Patch', status: 'completed' }
  const part = { type: 'output_text', text: 'Cut sho', annotations: [] }
  const message = { type: 'message', id: 'msg_1', role: 'assistant', status: 'incomplete', content: [part] }
  const msg = { item_id: 'msg_1', output_index: 2, content_index: 0 }
  const completedAt = out[out.length - 1].response.completed_at
  t.type(completedAt, 'number')
  const usage = { input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 }
  t.strictSame(out, [
    { type: 'response.created', sequence_number: 0, response: opened },
    { type: 'response.in_progress', sequence_number: 1, response: opened },
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: reasoning },
    { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: reasoning },
    { type: 'response.output_item.added', sequence_number: 4, output_index: 1, item: { ...call, input: '', status: 'in_progress' } },
    { type: 'response.custom_tool_call_input.delta', sequence_number: 5, item_id: 'ctc_1', output_index: 1, delta: '*** Begin Patch' },
    { type: 'response.custom_tool_call_input.done', sequence_number: 6, item_id: 'ctc_1', output_index: 1, input: '*** Begin Patch' },
    { type: 'response.output_item.done', sequence_number: 7, output_index: 1, item: call },
    { type: 'response.output_item.added', sequence_number: 8, output_index: 2, item: { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', sequence_number: 9, ...msg, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', sequence_number: 10, ...msg, delta: 'Cut', logprobs: [] },
    { type: 'response.output_text.delta', sequence_number: 11, ...msg, delta: ' sho', logprobs: [] },
    { type: 'response.output_text.done', sequence_number: 12, ...msg, text: 'Cut sho', logprobs: [] },
    { type: 'response.content_part.done', sequence_number: 13, ...msg, part },
    { type: 'response.output_item.done', sequence_number: 14, output_index: 2, item: message },
    {
      type: 'response.incomplete',
      sequence_number: 15,
      response: { ...opened, status: 'incomplete', error: null, incomplete_details: { reason: 'max_output_tokens' }, usage, completed_at: completedAt, output: [reasoning, call, message] }
    }
  ])
  const blocks = [{ type: 'redacted_thinking', data: 'opaque' }, { type: 'thinking', thinking: 'quiet thoughts', signature: 'sg' }]
  t.strictSame(translator.toolTurnReasoning, [{ callIds: ['toolu_2'], blocks }], 'a custom tool call takes the reasoning before it too')
  t.notOk('encrypted_content' in translator.response.output[0], 'no seal, no encrypted_content')
  t.notOk('namespace' in translator.response.output[1], 'a tool outside a namespace has no namespace key')
})

t.test('the JSON answer tool streams as the message text', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: 'json_answer', tools: new ToolNames(), summaries: false })
  const names = new Names()
  const out = feed(translator, names, [
    startWith({ input_tokens: 1 }),
    blockStart(0, { type: 'tool_use', id: 'toolu_j', name: 'json_answer', input: {} }),
    delta(0, { type: 'input_json_delta', partial_json: '' }),
    delta(0, { type: 'input_json_delta', partial_json: '{"a":' }),
    delta(0, { type: 'text_delta', text: 'not for this block' }),
    delta(0, { type: 'input_json_delta', partial_json: '1}' }),
    stop(0),
    { type: 'message_delta', delta: { stop_reason: 'tool_use' } },
    { type: 'message_stop' }
  ])
  const msg = { item_id: 'msg_1', output_index: 0, content_index: 0 }
  const part = { type: 'output_text', text: '{"a":1}', annotations: [] }
  t.strictSame(out.slice(2, -1), [
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', sequence_number: 3, ...msg, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', sequence_number: 4, ...msg, delta: '{"a":', logprobs: [] },
    { type: 'response.output_text.delta', sequence_number: 5, ...msg, delta: '1}', logprobs: [] },
    { type: 'response.output_text.done', sequence_number: 6, ...msg, text: '{"a":1}', logprobs: [] },
    { type: 'response.content_part.done', sequence_number: 7, ...msg, part },
    { type: 'response.output_item.done', sequence_number: 8, output_index: 0, item: { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [part] } }
  ])
  t.equal(out[out.length - 1].type, 'response.completed', 'a turn that only answered through the tool completes')
  t.strictSame(translator.toolTurnReasoning, [])
})

t.test('the JSON answer tool with no input gives the text {}', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: 'json_answer', tools: new ToolNames(), summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({}), blockStart(0, { type: 'tool_use', id: 'toolu_j', name: 'json_answer', input: {} })])
  t.strictSame(feed(translator, names, [delta(0, { type: 'input_json_delta', partial_json: '' }), stop(0)]), [
    { type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: '{}', logprobs: [] }
  ])
})

t.test('a call to a tool the request did not name keeps its name; no arguments read as {}', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: 'json_answer', tools: new ToolNames(), summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({})])
  const out = feed(translator, names, [
    blockStart(0, { type: 'tool_use', id: 'toolu_9', name: 'mystery', input: {} }),
    delta(0, { type: 'input_json_delta', partial_json: '' }),
    stop(0)
  ])
  const call = { type: 'function_call', id: 'fc_1', call_id: 'toolu_9', name: 'mystery', arguments: '{}', status: 'completed' }
  t.strictSame(out, [
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { ...call, arguments: '', status: 'in_progress' } },
    { type: 'response.function_call_arguments.done', sequence_number: 3, item_id: 'fc_1', output_index: 0, name: 'mystery', arguments: '{}' },
    { type: 'response.output_item.done', sequence_number: 4, output_index: 0, item: call }
  ])
  t.notOk('namespace' in translator.response.output[0], 'no namespace key')
})

t.test('a custom tool\'s input: the input string, else the JSON Claude sent, else the raw text', async (t) => {
  const cases: Array<[string[], string]> = [
    [['{"input":"ab', 'c"}'], 'abc'],
    [[], '{}'],
    [['{"other":', '1}'], '{"other":1}'],
    [['{"input":3}'], '{"input":3}'],
    [['{"input":"cut'], '{"input":"cut']
  ]
  for (const [partials, input] of cases) {
    const tools = new ToolNames()
    tools.add({ kind: 'custom', name: 'shell', namespace: 'box' })
    const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: false })
    const names = new Names()
    feed(translator, names, [startWith({}), blockStart(0, { type: 'tool_use', id: 'toolu_c', name: 'box__shell', input: {} })])
    const out = feed(translator, names, [...partials.map((partial) => delta(0, { type: 'input_json_delta', partial_json: partial })), stop(0)])
    const call = { type: 'custom_tool_call', id: 'ctc_1', call_id: 'toolu_c', name: 'shell', namespace: 'box', input, status: 'completed' }
    t.strictSame(out, [
      { type: 'response.custom_tool_call_input.delta', sequence_number: 3, item_id: 'ctc_1', output_index: 0, delta: input },
      { type: 'response.custom_tool_call_input.done', sequence_number: 4, item_id: 'ctc_1', output_index: 0, input },
      { type: 'response.output_item.done', sequence_number: 5, output_index: 0, item: call }
    ], JSON.stringify(partials))
  }
})

t.test('a custom tool\'s empty input string: no input delta, only the done event', async (t) => {
  const tools = new ToolNames()
  tools.add({ kind: 'custom', name: 'shell' })
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({}), blockStart(0, { type: 'tool_use', id: 'toolu_c', name: 'shell', input: {} })])
  const out = feed(translator, names, [delta(0, { type: 'input_json_delta', partial_json: '{"input":""}' }), stop(0)])
  t.strictSame(out, [
    { type: 'response.custom_tool_call_input.done', sequence_number: 3, item_id: 'ctc_1', output_index: 0, input: '' },
    { type: 'response.output_item.done', sequence_number: 4, output_index: 0, item: { type: 'custom_tool_call', id: 'ctc_1', call_id: 'toolu_c', name: 'shell', input: '', status: 'completed' } }
  ])
})

t.test('each stop reason: the response status, its details, and the status of the item left open', async (t) => {
  const cases: Array<[string | null, string, { reason: string } | null, string]> = [
    ['end_turn', 'completed', null, 'completed'],
    ['stop_sequence', 'completed', null, 'completed'],
    ['tool_use', 'completed', null, 'completed'],
    [null, 'completed', null, 'completed'],
    ['a_future_reason', 'completed', null, 'completed'],
    ['max_tokens', 'incomplete', { reason: 'max_output_tokens' }, 'incomplete'],
    ['model_context_window_exceeded', 'incomplete', { reason: 'max_output_tokens' }, 'incomplete'],
    ['pause_turn', 'incomplete', { reason: 'max_output_tokens' }, 'incomplete'],
    ['refusal', 'incomplete', { reason: 'content_filter' }, 'incomplete']
  ]
  for (const [reason, status, details, itemStatus] of cases) {
    const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
    const names = new Names()
    feed(translator, names, [startWith({ input_tokens: 2 }), blockStart(0, { type: 'text', text: 'Hi' }), { type: 'message_delta', delta: { stop_reason: reason }, usage: { output_tokens: 4 } }])
    const out = feed(translator, names, [{ type: 'message_stop' }])
    t.strictSame(out.map((event) => event.type), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', `response.${status}`], `${String(reason)}: events`)
    t.equal(out[2].item.status, itemStatus, `${String(reason)}: the open message`)
    t.match(out[3].response, { status, error: null, incomplete_details: details }, `${String(reason)}: the response`)
    t.strictSame(out[3].response.incomplete_details, details)
  }
})

t.test('an upstream error while streaming fails the response once, keeping what was sent', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({ input_tokens: 5, output_tokens: 1 }), blockStart(0, { type: 'text', text: 'Par' }), { type: 'message_delta', delta: {}, usage: { output_tokens: 2 } }])
  const out = feed(translator, names, [{ type: 'error', error: { type: 'overloaded_error', message: 'busy' } }])
  const usage = { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 }
  t.strictSame(out, [{
    type: 'response.failed',
    sequence_number: 5,
    response: {
      ...opened,
      status: 'failed',
      error: { code: 'server_is_overloaded', message: 'Upstream: busy' },
      incomplete_details: null,
      usage,
      completed_at: null,
      output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'in_progress', content: [] }]
    }
  }])
  t.equal(translator.state, 'failed')
  t.equal(translator.finished, false)
  t.equal(translator.fail({ code: 'server_error', message: 'again' }), '', 'a failed response does not fail twice')
  t.equal(translator.handle({ type: 'message_stop' }), '', 'nor completes')
})

t.test('fail() while streaming sends only response.failed', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({})])
  const out = names.events(translator.fail({ code: 'server_error', message: 'cut' }))
  t.strictSame(out.map((event) => [event.type, event.sequence_number]), [['response.failed', 2]])
  t.strictSame(out[0].response.error, { code: 'server_error', message: 'cut' })
})

t.test('events for blocks that were never started, ignored or already left behind give nothing', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: true })
  const names = new Names()
  feed(translator, names, [startWith({})])
  t.equal(translator.handle(delta(7, { type: 'text_delta', text: 'x' })), '', 'a delta for an unknown index')
  t.equal(translator.handle(stop(7)), '', 'a stop for an unknown index')
  t.equal(translator.handle(blockStart(0, { type: 'mystery_block', id: 'x_1' })), '', 'an unknown block type')
  t.equal(translator.handle(delta(0, { type: 'input_json_delta', partial_json: '{}' })), '', 'its input')
  t.equal(translator.handle(stop(0)), '', 'its stop')
  t.same(translator.response.output, [], 'no item')

  t.equal(names.events(translator.handle(blockStart(1, { type: 'text', text: '' }))).length, 2, 'a message opens')
  t.equal(translator.handle(delta(1, { type: 'text_delta', text: '' })), '', 'an empty text delta')
  t.equal(translator.handle(delta(1, { type: 'mystery_delta', value: 1 })), '', 'an unknown delta type')
  t.equal(translator.handle(delta(1, { type: 'input_json_delta', partial_json: '{}' })), '', 'input for a text block')
  t.equal(translator.handle(delta(1, { type: 'thinking_delta', thinking: 'no' })), '', 'thinking for a text block')
  t.equal(translator.handle(stop(1)), '', 'a text block stops silently')

  // A thinking block whose reasoning item a text block has closed
  t.equal(names.events(translator.handle(blockStart(2, { type: 'thinking', thinking: '', signature: '' }))).map((event) => event.type).join(), 'response.output_text.done,response.content_part.done,response.output_item.done,response.output_item.added')
  t.equal(names.events(translator.handle(blockStart(3, { type: 'text', text: '' }))).length, 3, 'the reasoning item closes, a message opens')
  t.equal(translator.handle(delta(2, { type: 'thinking_delta', thinking: 'late' })), '', 'thinking for a closed reasoning item')
  t.equal(translator.handle(stop(2)), '', 'its stop')
  t.equal(translator.handle(blockStart(4, { type: 'redacted_thinking', data: 'r' })).length > 0, true, 'redacted thinking opens a reasoning item')
  t.equal(translator.handle(delta(4, { type: 'thinking_delta', thinking: 'no' })), '', 'thinking for a redacted block, its reasoning item open')
  t.equal(translator.handle(blockStart(5, { type: 'text', text: '' })).length > 0, true, 'a message closes it')
  t.equal(translator.handle(stop(4)), '', 'the redacted block stops after its item closed')
  t.equal(translator.handle(delta(2, { type: 'signature_delta', signature: 'late' })), '')
  t.strictSame(names.value([...translator.reasoningById]), [['rs_1', []], ['rs_2', []]], 'blocks that stopped after their item closed are not kept')
})

t.test('events for blocks of an item a tool call closed give nothing', async (t) => {
  const tools = new ToolNames()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: 'json_answer', tools, summaries: true, seal: () => 'sealed-blob' })
  const names = new Names()
  feed(translator, names, [startWith({})])
  feed(translator, names, [blockStart(0, { type: 'thinking', thinking: '', signature: '' }), blockStart(1, { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} })])
  t.equal(translator.handle(delta(0, { type: 'thinking_delta', thinking: 'late' })), '', 'thinking after its item closed')
  t.equal(translator.handle(stop(0)), '', 'its stop')
  feed(translator, names, [blockStart(2, { type: 'redacted_thinking', data: 'r' }), blockStart(3, { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} })])
  t.equal(translator.handle(stop(2)), '', 'a redacted block stopping after its item closed')
  feed(translator, names, [blockStart(4, { type: 'text', text: '' }), blockStart(5, { type: 'tool_use', id: 'toolu_3', name: 'h', input: {} })])
  t.equal(translator.handle(delta(4, { type: 'text_delta', text: 'late' })), '', 'text after its message closed')
  feed(translator, names, [blockStart(6, { type: 'tool_use', id: 'toolu_j', name: 'json_answer', input: {} }), blockStart(7, { type: 'tool_use', id: 'toolu_4', name: 'k', input: {} })])
  t.equal(translator.handle(stop(6)), '', 'the answer tool stopping after its message closed')
  const output = names.value(translator.response.output)
  t.strictSame(output.filter((item: { type: string }) => item.type === 'reasoning'), [{ type: 'reasoning', id: 'rs_1', summary: [] }, { type: 'reasoning', id: 'rs_2', summary: [] }], 'no blocks, nothing sealed')
  t.strictSame(translator.toolTurnReasoning, [], 'reasoning items without blocks give the thinking store nothing')
})

t.test('reasoning followed by text only gives the thinking store nothing', async (t) => {
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const names = new Names()
  feed(translator, names, [startWith({}), blockStart(0, { type: 'thinking', thinking: 'a', signature: '' }), delta(0, { type: 'signature_delta', signature: 's' }), stop(0), blockStart(1, { type: 'text', text: 'b' }), stop(1), { type: 'message_stop' }])
  t.strictSame(names.value([...translator.reasoningById]), [['rs_1', [{ type: 'thinking', thinking: 'a', signature: 's' }]]])
  t.strictSame(translator.toolTurnReasoning, [])
})

t.test('eventsOfMessage: every block as start, deltas and stop', async (t) => {
  const message = {
    id: 'msg_1', type: 'message' as const, role: 'assistant' as const, model: 'claude-test', stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 2 },
    content: [
      { type: 'redacted_thinking' as const, data: 'opaque' },
      { type: 'thinking' as const, thinking: 'hmm', signature: 's1' },
      { type: 'text' as const, text: 'Hi' },
      { type: 'tool_use' as const, id: 'toolu_1', name: 'f', input: { q: 1 } }
    ]
  }
  t.strictSame(eventsOfMessage(message), [
    { type: 'message_start', message: { ...message, content: [] } },
    { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'opaque' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'thinking', thinking: '', signature: '' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'thinking_delta', thinking: 'hmm' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'signature_delta', signature: 's1' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
    { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"q":1}' } },
    { type: 'content_block_stop', index: 3 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 1, output_tokens: 2 } },
    { type: 'message_stop' }
  ])
})

// --- web search -------------------------------------------------------------------------------------

const SEARCH_PAGES = [
  { type: 'web_search_result', url: 'https://a.example/release', title: 'A', encrypted_content: 'enc-a', page_age: null },
  { type: 'web_search_result', url: 'https://b.example/news', title: 'B', encrypted_content: 'enc-b', page_age: '2 days' }
]

t.test('a web search streams as a web_search_call item: in progress, searching, completed, with its sources when asked', async (t) => {
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false, searchSources: true })
  const out = feed(translator, names, [
    startWith({ input_tokens: 5, output_tokens: 1 }),
    blockStart(0, { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }),
    delta(0, { type: 'input_json_delta', partial_json: '{"query": "claude' }),
    delta(0, { type: 'input_json_delta', partial_json: ' release"}' }),
    stop(0),
    blockStart(1, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: SEARCH_PAGES }),
    stop(1),
    blockStart(2, { type: 'text', text: '' }),
    delta(2, { type: 'text_delta', text: 'It is out.' }),
    stop(2),
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } },
    { type: 'message_stop' }
  ])
  const searching = { type: 'web_search_call', id: 'ws_1', status: 'in_progress', action: { type: 'search', query: '' } }
  const done = { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'claude release', sources: [{ type: 'url', url: 'https://a.example/release' }, { type: 'url', url: 'https://b.example/news' }] } }
  t.same(out.slice(2, 7), [
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: searching },
    { type: 'response.web_search_call.in_progress', sequence_number: 3, item_id: 'ws_1', output_index: 0 },
    { type: 'response.web_search_call.searching', sequence_number: 4, item_id: 'ws_1', output_index: 0 },
    { type: 'response.web_search_call.completed', sequence_number: 5, item_id: 'ws_1', output_index: 0 },
    { type: 'response.output_item.done', sequence_number: 6, output_index: 0, item: done }
  ])
  t.same(out.slice(7).map((event) => event.type), ['response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'])
  t.equal(out[7].output_index, 1, 'the answer is the next item')
  t.same(names.value(translator.response.output).map((item: { type: string }) => item.type), ['web_search_call', 'message'])
  t.same(names.value(translator.response.output[0]), done)
})

t.test('a whole message with a web search gives the same item; sources only when include asks', async (t) => {
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const message = {
    id: 'msg_1', type: 'message' as const, role: 'assistant' as const, model: 'claude-test', stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 2 },
    content: [
      { type: 'server_tool_use', id: 'srvtoolu_9', name: 'web_search', input: { query: 'weather in Lyon' } },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_9', content: SEARCH_PAGES },
      { type: 'text' as const, text: 'Sunny.' }
    ]
  } as unknown as Parameters<typeof eventsOfMessage>[0]
  for (const event of eventsOfMessage(message)) translator.handle(event)
  t.same(names.value(translator.response.output), [
    { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'weather in Lyon' } },
    { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Sunny.', annotations: [] }] }
  ])
})

t.test('a failed search, a search left without a result, and other server tools', async (t) => {
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false, searchSources: true })
  const out = feed(translator, names, [
    startWith({ input_tokens: 5, output_tokens: 1 }),
    blockStart(0, { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'first' } }),
    stop(0),
    blockStart(1, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } }),
    stop(1),
    blockStart(2, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_unknown', content: SEARCH_PAGES }),
    stop(2),
    blockStart(3, { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_fetch', input: { url: 'https://a.example' } }),
    stop(3),
    blockStart(4, { type: 'server_tool_use', id: 'srvtoolu_3', name: 'web_search', input: { query: 'second' } }),
    stop(4),
    { type: 'message_delta', delta: { stop_reason: 'pause_turn' } },
    { type: 'message_stop' }
  ])
  t.notOk(out.some((event) => event.type === 'response.web_search_call.completed'), 'no search completed')
  t.same(names.value(translator.response.output), [
    { type: 'web_search_call', id: 'ws_1', status: 'failed', action: { type: 'search', query: 'first' } },
    { type: 'web_search_call', id: 'ws_2', status: 'failed', action: { type: 'search', query: 'second' } }
  ], 'the error result fails the first; the second, paused before its result, ends failed; a result for no search and web_fetch add nothing')
  t.equal(out.at(-1)?.type, 'response.incomplete')
})

t.test('web search citations on a text block become url_citation annotations over that block', async (t) => {
  const cite = (url: string, title: string): Record<string, unknown> => ({ type: 'web_search_result_location', url, title, encrypted_index: 'e', cited_text: 'x' })
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const out = feed(translator, names, [
    startWith({ input_tokens: 5, output_tokens: 1 }),
    blockStart(0, { type: 'text', text: 'Plain. ' }),
    stop(0),
    blockStart(1, { type: 'text', text: '', citations: [] }),
    delta(1, { type: 'citations_delta', citation: cite('https://a.example/release', 'A') }),
    delta(1, { type: 'citations_delta', citation: { type: 'char_location', document_index: 0, start_char_index: 0, end_char_index: 3, cited_text: 'abc' } }),
    delta(1, { type: 'text_delta', text: 'It is out.' }),
    delta(1, { type: 'citations_delta', citation: cite('https://b.example/news', 'B') }),
    stop(1),
    { type: 'message_delta', delta: { stop_reason: 'end_turn' } },
    { type: 'message_stop' }
  ])
  const annotations = [
    { type: 'url_citation', start_index: 7, end_index: 17, url: 'https://a.example/release', title: 'A' },
    { type: 'url_citation', start_index: 7, end_index: 17, url: 'https://b.example/news', title: 'B' }
  ]
  t.same(out.filter((event) => event.type === 'response.output_text.annotation.added').map(({ sequence_number: _, ...event }) => event), annotations.map((annotation, index) => ({ type: 'response.output_text.annotation.added', item_id: 'msg_1', output_index: 0, content_index: 0, annotation_index: index, annotation })), 'announced at the end of the cited block; a document location has no URL and is left out')
  t.same(names.value(translator.response.output), [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Plain. It is out.', annotations }] }])

  const whole = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false })
  const message = {
    id: 'msg_1', type: 'message' as const, role: 'assistant' as const, model: 'claude-test', stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 2 },
    content: [{ type: 'text' as const, text: 'Plain. ' }, { type: 'text' as const, text: 'It is out.', citations: [cite('https://a.example/release', 'A'), cite('https://b.example/news', 'B')] }]
  }
  for (const event of eventsOfMessage(message)) whole.handle(event)
  t.same((whole.response.output[0] as { content: Array<{ annotations: unknown[] }> }).content[0].annotations, annotations, 'a whole message gives the same annotations')
})

t.test('odd search and citation inputs: no input field, unreadable or non-string queries, pages and citations without a URL or title', async (t) => {
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools: new ToolNames(), summaries: false, searchSources: true })
  feed(translator, names, [
    startWith({ input_tokens: 5, output_tokens: 1 }),
    blockStart(0, { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search' }),
    delta(0, { type: 'input_json_delta', partial_json: '{"query": "from deltas"}' }),
    stop(0),
    blockStart(1, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', title: 'no url' }, { type: 'web_search_result', url: 'https://c.example/' }] }),
    blockStart(2, { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_search', input: { query: 5 } }),
    stop(2),
    blockStart(3, { type: 'server_tool_use', id: 'srvtoolu_3', name: 'web_search', input: {} }),
    delta(3, { type: 'input_json_delta', partial_json: '{"query": "cut' }),
    stop(3),
    blockStart(4, { type: 'text', text: 'Cited.' }),
    delta(4, { type: 'citations_delta', citation: { type: 'web_search_result_location', title: 'no url' } }),
    delta(4, { type: 'citations_delta', citation: { type: 'char_location', url: 'https://not-a-web-result.example/' } }),
    delta(4, { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://d.example/' } }),
    stop(4),
    { type: 'message_delta', delta: { stop_reason: 'end_turn' } },
    { type: 'message_stop' }
  ])
  t.same(names.value(translator.response.output), [
    { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'from deltas', sources: [{ type: 'url', url: 'https://c.example/' }] } },
    { type: 'web_search_call', id: 'ws_2', status: 'failed', action: { type: 'search', query: '' } },
    { type: 'web_search_call', id: 'ws_3', status: 'failed', action: { type: 'search', query: '' } },
    { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Cited.', annotations: [{ type: 'url_citation', start_index: 0, end_index: 6, url: 'https://d.example/', title: '' }] }] }
  ], 'a query read from deltas; a number or cut JSON is no query; only web results with a URL count')
})

t.test('citations for a block that is no text, or whose message a tool call closed, give nothing', async (t) => {
  const tools = new ToolNames()
  tools.add({ kind: 'function', name: 'look' })
  const names = new Names()
  const translator = new ResponsesStreamTranslator(shell, { jsonTool: null, tools, summaries: true })
  const cite = { type: 'web_search_result_location', url: 'https://e.example/', title: 'E' }
  feed(translator, names, [startWith({}), blockStart(0, { type: 'thinking', thinking: '' })])
  t.equal(translator.handle(delta(0, { type: 'citations_delta', citation: cite })), '', 'on a thinking block')
  feed(translator, names, [stop(0), blockStart(1, { type: 'text', text: 'Cited' })])
  t.equal(translator.handle(delta(1, { type: 'citations_delta', citation: cite })), '')
  feed(translator, names, [blockStart(2, { type: 'tool_use', id: 'toolu_1', name: 'look', input: {} })])
  t.equal(translator.handle(stop(1)), '', 'the text block stops after a tool call closed its message')
  feed(translator, names, [stop(2), { type: 'message_stop' }])
  t.same((translator.response.output[1] as { content: Array<{ annotations: unknown[] }> }).content[0].annotations, [])
})
