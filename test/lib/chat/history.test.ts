// MAX_CHAT_HISTORY_LENGTH folding over random conversations: tool pairs are never split.
import fc from 'fast-check'
import { test } from 'tap'
import { foldOldHistory } from '../../../lib/chat/history.js'
import type { ChatMessage } from '../../../schemas/chat-completion.js'

type Step = { kind: 'chat'; text: string } | { kind: 'tools'; calls: number; text: string } | { kind: 'system'; text: string }

const text = fc.string({ minLength: 1, maxLength: 60 })
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('chat' as const), text }),
  fc.record({ kind: fc.constant('tools' as const), calls: fc.integer({ min: 1, max: 3 }), text }),
  fc.record({ kind: fc.constant('system' as const), text })
)

/** A well-formed conversation: user turns, answers, tool calls each followed by all their results. */
function conversation (steps: Step[]): ChatMessage[] {
  const messages: ChatMessage[] = []
  steps.forEach((step, i) => {
    if (step.kind === 'system') {
      messages.push({ role: 'system', content: step.text })
      return
    }
    messages.push({ role: 'user', content: `${i}: ${step.text}` })
    if (step.kind === 'tools') {
      const ids = Array.from({ length: step.calls }, (_, c) => `call_${i}_${c}`)
      messages.push({ role: 'assistant', content: null, tool_calls: ids.map((id) => ({ id, type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ q: step.text }) } })) })
      for (const id of ids) messages.push({ role: 'tool', tool_call_id: id, content: `result ${id} ${step.text}` })
    }
    messages.push({ role: 'assistant', content: `answer ${i}` })
  })
  return messages
}

test('folded history keeps tool pairs whole and the newest user turn as a message', async (t) => {
  fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 400 }), (steps, limit) => {
    const messages = conversation([...steps, { kind: 'chat', text: 'the newest question' }])
    const { messages: kept, transcript } = foldOldHistory(messages, limit)
    const nonSystem = kept.filter((message) => message.role !== 'system' && message.role !== 'developer')
    const calledIds = new Set(nonSystem.flatMap((message) => (message.tool_calls ?? []).map((call) => call.id)))
    const answeredIds = new Set(nonSystem.filter((message) => message.role === 'tool').map((message) => message.tool_call_id))
    const newestUser = messages.findLast((message) => message.role === 'user')
    const systemsKept = messages.filter((message) => message.role === 'system').every((message) => kept.includes(message))
    const foldedCount = messages.length - kept.length
    return [...calledIds].every((id) => answeredIds.has(id)) && [...answeredIds].every((id) => calledIds.has(id as string)) &&
      (transcript === null ? foldedCount === 0 : nonSystem[0]?.role === 'user') &&
      kept.includes(newestUser!) && systemsKept
  }), { numRuns: 400 })
  t.pass('400 random conversations folded without splitting a tool pair')
})

test('a zero limit folds nothing', async (t) => {
  const messages = conversation([{ kind: 'chat', text: 'x'.repeat(500) }, { kind: 'tools', calls: 2, text: 'y' }])
  t.strictSame(foldOldHistory(messages, 0), { messages, transcript: null })
})

test('the transcript lists the folded turns oldest first, tool calls and results included', async (t) => {
  const messages = conversation([{ kind: 'tools', calls: 1, text: 'old' }, { kind: 'chat', text: 'new question' }])
  const { messages: kept, transcript } = foldOldHistory(messages, 40)
  t.strictSame(kept.map((message) => message.role), ['user', 'assistant'])
  t.equal(transcript, 'user: 0: old\n\nassistant: [called lookup({"q":"old"})]\n\ntool result (call_0_0): result call_0_0 old\n\nassistant: answer 0')
})

test('a newest turn longer than the limit still has everything older folded', async (t) => {
  const messages = conversation([{ kind: 'chat', text: 'old question' }, { kind: 'tools', calls: 1, text: 'z'.repeat(300) }])
  const { messages: kept, transcript } = foldOldHistory(messages, 50)
  t.match(transcript, /^user: 0: old question/)
  t.equal(kept[0].content, `1: ${'z'.repeat(300)}`, 'the kept part starts at the newest user turn')
  t.strictSame(kept.map((message) => message.role), ['user', 'assistant', 'tool', 'assistant'])
})

/** Characters a message counts for, as the folding rule defines them: its text plus its tool-call arguments. */
function sizeOf (message: ChatMessage): number {
  const text = typeof message.content === 'string' ? message.content.length : 0
  return text + (message.tool_calls ?? []).reduce((sum, call) => sum + call.function.arguments.length, 0)
}

function sizeFrom (messages: ChatMessage[], start: number): number {
  return messages.slice(start).filter((message) => message.role !== 'system').reduce((sum, message) => sum + sizeOf(message), 0)
}

test('the kept turns fit in the limit, and the cut is the earliest user turn from which they fit', async (t) => {
  // The limit is often exactly the size of the turns from some user message on, so a cut that
  // treats "exactly at the limit" as too big is caught.
  const input = fc.tuple(fc.array(stepArb, { minLength: 1, maxLength: 10 }), fc.nat(), fc.integer({ min: -1, max: 1 }))
  fc.assert(fc.property(input, ([steps, pick, delta]) => {
    const messages = conversation([...steps, { kind: 'chat', text: 'the newest question' }])
    const userStarts = messages.flatMap((message, index) => message.role === 'user' ? [index] : [])
    const limit = Math.max(1, sizeFrom(messages, userStarts[pick % userStarts.length]) + delta)
    const { messages: kept } = foldOldHistory(messages, limit)
    const firstKept = kept.find((message) => message.role !== 'system')!
    const start = messages.indexOf(firstKept)
    const newestUser = userStarts.at(-1)!
    if (start !== newestUser && sizeFrom(messages, start) > limit) return false
    // Every earlier user turn would have been too big to start from.
    return userStarts.filter((index) => index < start).every((index) => sizeFrom(messages, index) > limit)
  }), { numRuns: 500 })
  t.pass('500 conversations: the kept part fits and starts as early as it can')
})
