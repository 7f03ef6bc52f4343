// A single linear pass over a JSON body that checks it is one well-formed JSON object and
// records where each top-level value lies, so the pass-through can read a field (the model,
// `stream`) or replace one value's bytes without parsing and re-serialising the whole body.
// It works on bytes and keeps its own stack, so neither size nor nesting depth can exhaust
// the call stack; strings are skipped with a tight loop since they are most of a body.

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null'

/** Where one top-level value lies: `bytes.subarray(start, end)` is its JSON text. */
export interface ValueSpan {
  start: number
  end: number
  kind: JsonKind
  /** For an array, where its first element lies (a request's first message, without parsing the rest). */
  first?: { start: number; end: number }
}

export type ScanResult =
  | { ok: true; fields: Map<string, ValueSpan> }
  | { ok: false; reason: string; tooDeep?: true }

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COMMA = 0x2c
const COLON = 0x3a
const MINUS = 0x2d

// What the scanner expects next.
const VALUE = 0
const VALUE_OR_CLOSE = 1 // just after '['
const KEY = 2
const KEY_OR_CLOSE = 3 // just after '{'
const COLON_NEXT = 4
const AFTER_VALUE = 5

const SIMPLE_ESCAPES = new Set([QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74])
const LITERALS: Array<[number, string, JsonKind]> = [[0x74, 'true', 'true'], [0x66, 'false', 'false'], [0x6e, 'null', 'null']]

function isWhitespace (byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

function isDigit (byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39
}

function isHex (byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
}

function skipWhitespace (bytes: Uint8Array, from: number): number {
  let index = from
  while (index < bytes.length && isWhitespace(bytes[index])) index++
  return index
}

/** `from` is at an opening quote; returns the index after the closing one, or -1. */
export function skipString (bytes: Uint8Array, from: number): number {
  let index = from + 1
  while (index < bytes.length) {
    const byte = bytes[index]
    if (byte === QUOTE) return index + 1
    if (byte < 0x20) return -1
    if (byte !== BACKSLASH) {
      index++
      continue
    }
    const escaped = bytes[index + 1]
    if (SIMPLE_ESCAPES.has(escaped)) index += 2
    else if (escaped === 0x75 && isHex(bytes[index + 2]) && isHex(bytes[index + 3]) && isHex(bytes[index + 4]) && isHex(bytes[index + 5])) index += 6
    else return -1
  }
  return -1
}

function skipDigits (bytes: Uint8Array, from: number): number {
  let index = from
  while (index < bytes.length && isDigit(bytes[index])) index++
  return index
}

/** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; returns the index after it, or -1. */
function skipNumber (bytes: Uint8Array, from: number): number {
  let index = bytes[from] === MINUS ? from + 1 : from
  if (bytes[index] === 0x30) index++
  else if (isDigit(bytes[index])) index = skipDigits(bytes, index)
  else return -1
  if (bytes[index] === 0x2e) {
    const fraction = skipDigits(bytes, index + 1)
    if (fraction === index + 1) return -1
    index = fraction
  }
  if (bytes[index] === 0x65 || bytes[index] === 0x45) {
    let exponent = index + 1
    if (bytes[exponent] === 0x2b || bytes[exponent] === MINUS) exponent++
    const end = skipDigits(bytes, exponent)
    if (end === exponent) return -1
    index = end
  }
  return index
}

function skipLiteral (bytes: Uint8Array, from: number, word: string): number {
  for (let offset = 0; offset < word.length; offset++) {
    if (bytes[from + offset] !== word.charCodeAt(offset)) return -1
  }
  return from + word.length
}

/** A key's text: plain UTF-8 when it has no escapes, else JSON's own decoding of the few bytes. */
function decodeKey (bytes: Uint8Array, start: number, end: number): string {
  const inner = bytes.subarray(start + 1, end - 1)
  const text = Buffer.from(inner.buffer, inner.byteOffset, inner.byteLength).toString('utf8')
  return inner.includes(BACKSLASH) ? JSON.parse(`"${text}"`) as string : text
}

function failure (reason: string, index: number): ScanResult {
  return { ok: false, reason: `${reason} at byte ${index}` }
}

/**
 * Checks `bytes` is exactly one JSON object (surrounding whitespace allowed) and maps its top-level
 * keys to their values; a repeated key keeps its last value, as JSON.parse does. Objects and arrays
 * nested deeper than `maxDepth` (the outer object being level 1) stop the scan there.
 */
export function scanTopLevel (bytes: Uint8Array, maxDepth = Infinity): ScanResult {
  const fields = new Map<string, ValueSpan>()
  const stack: number[] = []
  let index = skipWhitespace(bytes, 0)
  if (bytes[index] !== OPEN_OBJECT) return failure('expected a JSON object', index)
  let state = VALUE
  let key = ''
  let valueStart = 0
  let valueKind: JsonKind = 'null'
  let firstStart = -1
  let first: ValueSpan['first']

  /** After a complete value: a top-level one is recorded, and so is a top-level array's first element. */
  const valueDone = (end: number): void => {
    if (stack.length === 1) fields.set(key, first === undefined ? { start: valueStart, end, kind: valueKind } : { start: valueStart, end, kind: valueKind, first })
    else if (stack.length === 2 && stack[1] === OPEN_ARRAY && first === undefined) first = { start: firstStart, end }
    state = AFTER_VALUE
  }

  while (true) {
    index = skipWhitespace(bytes, index)
    if (index >= bytes.length) return failure('unexpected end of input', index)
    const byte = bytes[index]
    switch (state) {
      case VALUE_OR_CLOSE:
        if (byte === CLOSE_ARRAY) {
          stack.pop()
          index++
          valueDone(index)
        } else {
          state = VALUE // any other byte must start a value
        }
        break
      case VALUE: {
        if (stack.length === 1) {
          valueStart = index
          first = undefined
        } else if (stack.length === 2 && first === undefined) {
          firstStart = index
        }
        if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          const isObject = byte === OPEN_OBJECT
          if (stack.length === 1) valueKind = isObject ? 'object' : 'array'
          if (stack.length >= maxDepth) return { ok: false, reason: `objects or arrays nest deeper than ${maxDepth} levels at byte ${index}`, tooDeep: true }
          stack.push(byte)
          state = isObject ? KEY_OR_CLOSE : VALUE_OR_CLOSE
          index++
          break
        }
        let end = -1
        let kind: JsonKind = 'number'
        if (byte === QUOTE) {
          end = skipString(bytes, index)
          kind = 'string'
        } else if (byte === MINUS || isDigit(byte)) {
          end = skipNumber(bytes, index)
        } else {
          const literal = LITERALS.find(([initial]) => initial === byte)
          if (literal) {
            end = skipLiteral(bytes, index, literal[1])
            kind = literal[2]
          }
        }
        if (end < 0) return failure('invalid value', index)
        if (stack.length === 1) valueKind = kind
        index = end
        valueDone(end)
        break
      }
      case KEY_OR_CLOSE:
      case KEY: {
        if (state === KEY_OR_CLOSE && byte === CLOSE_OBJECT) {
          stack.pop()
          index++
          if (stack.length === 0) return finish(bytes, index, fields)
          valueDone(index)
          break
        }
        if (byte !== QUOTE) return failure('expected a key', index)
        const end = skipString(bytes, index)
        if (end < 0) return failure('invalid key', index)
        if (stack.length === 1) key = decodeKey(bytes, index, end)
        index = end
        state = COLON_NEXT
        break
      }
      case COLON_NEXT:
        if (byte !== COLON) return failure("expected ':'", index)
        index++
        state = VALUE
        break
      case AFTER_VALUE: {
        const container = stack[stack.length - 1]
        if (byte === COMMA) {
          index++
          state = container === OPEN_OBJECT ? KEY : VALUE
          break
        }
        if (byte !== (container === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return failure("expected ',' or a closing bracket", index)
        stack.pop()
        index++
        if (stack.length === 0) return finish(bytes, index, fields)
        valueDone(index)
        break
      }
    }
  }
}

function finish (bytes: Uint8Array, index: number, fields: Map<string, ValueSpan>): ScanResult {
  const rest = skipWhitespace(bytes, index)
  return rest === bytes.length ? { ok: true, fields } : failure('unexpected data after the object', rest)
}
