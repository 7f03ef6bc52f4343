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
