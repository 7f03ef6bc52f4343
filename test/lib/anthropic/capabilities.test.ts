import { test } from 'tap'
import { CapabilityTable } from '../../../lib/anthropic/capabilities.js'

const table = new CapabilityTable()

test('each known generation gets its thinking style', async (t) => {
  const styles: Array<[string, string]> = [
    ['claude-3-5-haiku-20241022', 'none'],
    ['claude-sonnet-4-20250514', 'budget'],
    ['claude-sonnet-4-5-20250929', 'budget'],
    ['claude-opus-4-6', 'both'],
    ['claude-sonnet-4-6', 'both'],
    ['claude-opus-4-7', 'adaptive'],
    ['claude-opus-5', 'adaptive'],
    ['claude-fable-5', 'adaptive']
  ]
  for (const [model, style] of styles) t.equal(table.lookup(model).thinking, style, model)
  t.ok(table.lookup('claude-fable-5').thinkingAlwaysOn, 'Fable always thinks')
  t.ok(table.lookup('claude-opus-5').thinkingOnByDefault, 'Opus 5 thinks unless told not to')
  t.ok(table.lookup('claude-sonnet-4-5-20250929').temperatureOrTopP, 'Sonnet 4.5 takes temperature or top_p')
})

test('ids newer than the table are treated like the newest generation, not the oldest', async (t) => {
  for (const model of ['claude-opus-6', 'claude-haiku-5', 'claude-sonnet-7-20280101', 'claude-opus-4-9']) {
    const caps = table.lookup(model)
    t.equal(caps.thinking, 'adaptive', `${model} thinks adaptively`)
    t.ok(caps.samplingLocked, `${model} keeps default sampling`)
    t.notOk(caps.prefill, `${model} takes no prefill`)
  }
  t.equal(table.lookup('claude-sonnet-4-20250514').thinking, 'budget', 'a 4.0 id is not mistaken for a new generation')
})

test('configured rules go in front of the built-in table', async (t) => {
  const custom = new CapabilityTable([{ match: 'claude-opus-4-7', thinking: 'budget', maxOutputTokens: 1000, defaultMaxTokens: 5000 }])
  const caps = custom.lookup('claude-opus-4-7')
  t.equal(caps.thinking, 'budget')
  t.equal(caps.maxOutputTokens, 1000)
  t.equal(caps.defaultMaxTokens, 1000, 'the default never exceeds the model limit')
  t.equal(custom.lookup('claude-opus-4-6').thinking, 'both', 'other models keep their built-in rule')
})
