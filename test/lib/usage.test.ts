// Usage mapping invariants: prompt = input + cache read + cache creation, total = prompt + completion.
import fc from 'fast-check'
import { test } from 'tap'
import type { AnthropicUsage } from '../../lib/anthropic/types.js'
import { addUsage, emptyUsage, finishReasonOf, mapStopReason, mapUsage } from '../../lib/core/usage.js'

const count = fc.integer({ min: 0, max: 10_000_000 })
const maybeCount = fc.option(count, { nil: undefined })
const nullableCount = fc.oneof(count, fc.constant(null), fc.constant(undefined))
const usageArb: fc.Arbitrary<AnthropicUsage> = fc.record({
  input_tokens: maybeCount,
  output_tokens: maybeCount,
  cache_creation_input_tokens: nullableCount,
  cache_read_input_tokens: nullableCount,
  output_tokens_details: fc.oneof(fc.constant(null), fc.constant(undefined), fc.record({ thinking_tokens: count }))
})

test('mapUsage keeps the documented invariants for any upstream usage', async (t) => {
  fc.assert(fc.property(usageArb, (usage) => {
    const mapped = mapUsage(usage)
    const read = usage.cache_read_input_tokens ?? 0
    const created = usage.cache_creation_input_tokens ?? 0
    return mapped.prompt_tokens === (usage.input_tokens ?? 0) + read + created &&
      mapped.prompt_tokens_details.cached_tokens === read &&
      mapped.completion_tokens === (usage.output_tokens ?? 0) &&
      mapped.total_tokens === mapped.prompt_tokens + mapped.completion_tokens &&
      mapped.completion_tokens_details.reasoning_tokens === (usage.output_tokens_details?.thinking_tokens ?? 0) &&
      Object.values(mapped).every((value) => typeof value !== 'number' || Number.isInteger(value))
  }), { numRuns: 500 })
  t.pass('500 random usages kept the invariants')
})

test('summing usages over choices keeps the invariants', async (t) => {
  fc.assert(fc.property(fc.array(usageArb, { maxLength: 8 }), (usages) => {
    const mapped = usages.map(mapUsage)
    const sum = mapped.reduce(addUsage, emptyUsage())
    return sum.total_tokens === sum.prompt_tokens + sum.completion_tokens &&
      sum.prompt_tokens === mapped.reduce((total, usage) => total + usage.prompt_tokens, 0) &&
      sum.prompt_tokens_details.cached_tokens === mapped.reduce((total, usage) => total + usage.prompt_tokens_details.cached_tokens, 0) &&
      sum.completion_tokens_details.reasoning_tokens === mapped.reduce((total, usage) => total + usage.completion_tokens_details.reasoning_tokens, 0)
  }), { numRuns: 300 })
  t.strictSame(emptyUsage(), { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } })
})

test('stop reasons map to OpenAI finish reasons; unknown ones read as stop', async (t) => {
  const table: Array<[string | null, string]> = [
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'], ['refusal', 'content_filter'], ['pause_turn', 'length'], [null, 'stop'], ['brand_new_reason', 'stop']
  ]
  for (const [reason, finish] of table) t.equal(mapStopReason(reason), finish, `${reason} → ${finish}`)
  t.equal(finishReasonOf('tool_use', 0), 'stop', 'tool_use with only the answer tool called: stop')
  t.equal(finishReasonOf('tool_use', 2), 'tool_calls')
  t.equal(finishReasonOf('max_tokens', 1), 'length', 'a cut answer stays length even with tool calls')
})
