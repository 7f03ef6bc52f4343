// Reasoning items given back in the input become Claude's thinking blocks again.
import { test } from 'tap'
import type { ReasoningBlock } from '../../../lib/anthropic/types.js'
import { convertInput, type InputContext, type InputItem } from '../../../lib/responses/translate-input.js'

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
