// The top-level scanner agrees with JSON.parse: it accepts exactly the texts JSON.parse reads
// as one object, and each top-level value it points at is the value JSON.parse gives that key.
import fc from 'fast-check'
import { test } from 'tap'
import { scanTopLevel } from '../../../lib/messages/json-scanner.js'
import { readRequestHead, replaceString } from '../../../lib/messages/request-head.js'

const WHITESPACE = ['', ' ', '\n', '\t', '\r\n', '  ']

/** A deterministic pseudo-random source, so one generated seed fixes a serialisation. */
function chooser (seed: number): (n: number) => number {
  let state = seed >>> 0 || 1
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return (state >>> 8) % n
  }
}

/** JSON text of `value` with random whitespace and randomly \u-escaped string characters. */
function serialize (value: unknown, pick: (n: number) => number): string {
  const ws = (): string => WHITESPACE[pick(WHITESPACE.length)]
  const str = (text: string): string => {
    let out = '"'
    for (const char of text) {
      const code = char.charCodeAt(0)
      if (char.length === 1 && pick(4) === 0) out += '\\u' + code.toString(16).padStart(4, '0')
      else out += JSON.stringify(char).slice(1, -1)
    }
    return out + '"'
  }
  if (typeof value === 'string') return str(value)
  if (Array.isArray(value)) return `[${ws()}${value.map((item) => serialize(item, pick)).join(`${ws()},${ws()}`)}${ws()}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${ws()}${str(key)}${ws()}:${ws()}${serialize(item, pick)}${ws()}`)
    return `{${entries.join(',')}${ws()}}`
  }
  return JSON.stringify(value)
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Null when the scanner agrees with JSON.parse about `text`, else what differs. The text is
 * judged as the bytes it encodes to (a lone surrogate becomes U+FFFD), as a body arrives.
 */
function disagreement (text: string): string | null {
  const bytes = Buffer.from(text, 'utf8')
  let parsed: unknown
  let parses = true
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch {
    parses = false
  }
  const scan = scanTopLevel(bytes)
  if (scan.ok !== (parses && isObject(parsed))) return `scanner ok=${String(scan.ok)}`
  if (!scan.ok || !isObject(parsed)) return null
  const keys = Object.keys(parsed)
  if (scan.fields.size !== keys.length) return `keys ${[...scan.fields.keys()].join()} instead of ${keys.join()}`
  for (const key of keys) {
    const span = scan.fields.get(key)
    if (!span) return `no span for ${key}`
    const value: unknown = JSON.parse(bytes.toString('utf8', span.start, span.end))
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'boolean' ? String(value) : typeof value
    if (JSON.stringify(value) !== JSON.stringify(parsed[key])) return `value of ${key}`
    if (kind !== span.kind) return `kind of ${key}: ${span.kind} instead of ${kind}`
    const firstExpected = Array.isArray(value) && value.length > 0 ? JSON.stringify(value[0]) : undefined
    const firstFound = span.first === undefined ? undefined : JSON.stringify(JSON.parse(bytes.toString('utf8', span.first.start, span.first.end)))
    if (firstFound !== firstExpected) return `first element of ${key}: ${String(firstFound)} instead of ${String(firstExpected)}`
  }
  return null
}

const agrees = (text: string): boolean => disagreement(text) === null

const KEYS = fc.constantFrom('model', 'stream', 'messages', 'mod\u0065l', 'a', '', 'é', '🌦', '__proto__', 'x"y', 'back\\slash')

test('agrees with JSON.parse on generated JSON values, whitespace and escapes included', async (t) => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer(), (value, seed) => agrees(serialize(value, chooser(seed)))), { numRuns: 600 })
  t.pass('no counterexample')
})

test('agrees with JSON.parse on objects with repeated keys (the last one wins)', async (t) => {
  const pairs = fc.array(fc.tuple(KEYS, fc.jsonValue({ maxDepth: 3 })), { maxLength: 8 })
  fc.assert(fc.property(pairs, fc.integer(), (entries, seed) => {
    const pick = chooser(seed)
    const text = `{${entries.map(([key, value]) => `${serialize(key, pick)}:${serialize(value, pick)}`).join(',')}}`
    return agrees(text)
  }), { numRuns: 600 })
  t.pass('no counterexample')
})

test('agrees with JSON.parse on mutated and random texts (mostly invalid)', async (t) => {
  const valid = fc.tuple(fc.dictionary(KEYS, fc.jsonValue({ maxDepth: 3 })), fc.integer()).map(([value, seed]) => serialize(value, chooser(seed)))
  const mutated = fc.tuple(valid, fc.nat(), fc.constantFrom('', '"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.', ' ', '\u0001', 'tru', 'n'), fc.nat(3)).map(([text, at, insert, remove]) => {
    const position = text.length === 0 ? 0 : at % text.length
    return text.slice(0, position) + insert + text.slice(position + remove)
  })
  const random = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', '-', '.', 'e', 'E', '+', '0', ' ', 'a', '\\', 'u', 't', 'r', 'e', 'n', 'l', 'f', 's', '\n'), maxLength: 40 })
  fc.assert(fc.property(fc.oneof(mutated, random), agrees), { numRuns: 2000 })
  t.pass('no counterexample')
})

test('fixed cases: numbers, literals, escapes, depth, surroundings', async (t) => {
  for (const text of [
    '{}', ' {"a":1} ', '{"a":-0.5e+10}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":1e}', '{"a":"\\u00e9\\n"}',
    '{"a":"\\x"}', '{"a":"\\u12g4"}', '{"a":"tab\there"}', '{"a":tru}', '{"a":nul}', '{"a":[1,]}', '{"a":1,}', '{,}',
    '[]', '"x"', '1', 'null', '{"a":1}{}', '{"a" 1}', '\uFEFF{}', '{"a":[[[[{"b":[]}]]]]}', '{"a":{}}',
    '{"a":"\\u00A9\\u00FF\\uABCD\\uEf09"}', '{"a":"\\u00@0"}', '{"a":"\\u00G0"}', '{"a":"\\u00`0"}', '{"a":"\\u00g0"}',
    '{"a":1E5}', '{"a":-2E-3}', '{"a":1E}'
  ]) t.equal(disagreement(text), null, JSON.stringify(text))
  const deep = '{"a":' + '['.repeat(100000) + ']'.repeat(100000) + '}'
  t.ok(scanTopLevel(Buffer.from(deep)).ok, 'deep nesting does not exhaust the stack')
  t.notOk(scanTopLevel(Buffer.from('{"a":' + '['.repeat(100000))).ok, 'unclosed deep nesting is refused')
})

test('readRequestHead reads model and stream; replaceString swaps only the model bytes', async (t) => {
  const text = '{ "stream" : true,"model":"claude-\\u0061lias" ,"messages":[{"role":"user","content":"model \\"x\\""}],"model":"claude-alias"}'
  const body = Buffer.from(text)
  const head = readRequestHead(body)
  t.equal(head.model, 'claude-alias', 'the last model wins, as in JSON.parse')
  t.equal(head.stream, true)
  const replaced = replaceString(body, head.modelSpan!, 'claude-target-1')
  t.equal(replaced.toString(), text.replace(/"claude-alias"}$/, '"claude-target-1"}'))
  t.equal(readRequestHead(Buffer.from('{"model":"m","stream":"true"}')).stream, false, 'only the JSON true streams')
  t.equal(readRequestHead(Buffer.from('{"model":5}')).model, undefined)
  t.throws(() => readRequestHead(Buffer.from('[1]')), { status: 400, message: /must be a JSON object/ })
  t.throws(() => readRequestHead(Buffer.from('')), { status: 400, message: /empty/ })
})

test('a refused body is refused where the fault lies: the bad value, or the end of the input', async (t) => {
  const reasonOf = (text: string): string | undefined => {
    const scan = scanTopLevel(Buffer.from(text))
    return scan.ok ? undefined : scan.reason
  }
  for (const text of ['{"a":"x\u0001y"}', '{"a":"\\x"}', '{"a":"abc', '{"a":-}', '{"a":1.}', '{"a":1e}', '{"a":tru}', '{"a":x}']) {
    t.equal(reasonOf(text), 'invalid value at byte 5', JSON.stringify(text))
  }
  for (const text of ['{"a":1', '{"a":[', '{"a"', '{"a":1,', '{']) t.equal(reasonOf(text), `unexpected end of input at byte ${text.length}`, JSON.stringify(text))
})

test('only the span of a non-empty array names its first element', async (t) => {
  const scan = scanTopLevel(Buffer.from('{"s":"x","o":{"k":[1]},"e":[],"a":[{"n":1},2]}'))
  if (!scan.ok) throw new Error(scan.reason)
  for (const key of ['s', 'o', 'e']) t.same(Object.keys(scan.fields.get(key)!), ['start', 'end', 'kind'], key)
  t.same(scan.fields.get('a')!.first, { start: 35, end: 42 }, 'the first element of a')
})

test('nesting is allowed up to maxDepth levels (the outer object is level 1); one more is refused as too deep', async (t) => {
  t.ok(scanTopLevel(Buffer.from('{"a":[{"b":1}]}'), 3).ok, 'three levels with a limit of 3')
  t.same(scanTopLevel(Buffer.from('{"a":[{"b":[]}]}'), 3), { ok: false, reason: 'objects or arrays nest deeper than 3 levels at byte 11', tooDeep: true })
})
