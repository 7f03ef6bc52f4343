import fc from 'fast-check'
import t from 'tap'
import { MAX_IMAGE_BASE64_LENGTH, parseDataUrl } from '../../../lib/core/content-parts.js'
import { GatewayError } from '../../../lib/errors.js'

/** The canonicalisation as it was (three global replace passes), kept here as the oracle. */
function previousCanonical (raw: string): string | 'invalid' {
  let data = /[\s_-]/.test(raw) ? raw.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/') : raw
  const remainder = data.length % 4
  if (remainder === 2 || remainder === 3) data += '='.repeat(4 - remainder)
  if (data.length === 0 || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return 'invalid'
  return data
}

function outcome (payload: string, limit?: number): string {
  try {
    return parseDataUrl(`data:image/png;base64,${payload}`, 'p', limit).base64
  } catch (error) {
    if (error instanceof GatewayError) return `error:${error.code ?? ''}`
    throw error
  }
}

// Mostly base64 letters, with every kind of character the old passes rewrote or removed.
const piece = fc.string({
  unit: fc.constantFrom('A', 'b', 'Z', '0', '9', '+', '/', '-', '_', '=', '\n', '\r\n', ' ', '\t', '\u00a0', '\u2028', '\ufeff', '\u3000', '*', 'é', '\u{1F600}'),
  maxLength: 64
})
const letters = fc.string({ unit: fc.constantFrom('Q', 'w', '8', '-', '_', '\n'), minLength: 1, maxLength: 80 })
/** Large parts: a generated block repeated up to a few hundred KB, then a generated tail. */
const largePart = fc.tuple(letters, fc.integer({ min: 1, max: 4000 }), piece).map(([block, times, tail]) => block.repeat(times) + tail)

t.test('one-pass canonicalisation gives exactly the old result, on small and large parts', async (t) => {
  fc.assert(fc.property(fc.oneof(piece, largePart), (payload) => {
    const old = previousCanonical(payload)
    const expected = old === 'invalid' ? 'error:invalid_base64' : old
    return outcome(payload) === expected
  }), { numRuns: 300 })
  t.pass('300 generated parts agree with the old semantics')
})

t.test('with a limit: the same answer up to the limit, a refusal beyond it', async (t) => {
  fc.assert(fc.property(fc.oneof(piece, largePart), fc.integer({ min: 4, max: 200000 }), (payload, limit) => {
    const old = previousCanonical(payload)
    const result = outcome(payload, limit)
    if (old !== 'invalid' && old.length <= limit) return result === old
    if (old !== 'invalid') return result === 'error:image_too_large'
    return result === 'error:invalid_base64' || result === 'error:image_too_large'
  }), { numRuns: 300 })
  t.pass('300 generated parts and limits')
})

t.test('examples written out', async (t) => {
  t.equal(outcome('aGk'), 'aGk=', 'missing padding is added')
  t.equal(outcome('a-_b\r\nc d'), 'a+/bcd==', 'URL-safe letters and line breaks are put right')
  t.equal(outcome('a==='), 'error:invalid_base64')
  t.equal(outcome(''), 'error:invalid_base64')
  t.equal(outcome('ab*c'), 'error:invalid_base64')
  t.equal(outcome('AAAA'.repeat(3), 8), 'error:image_too_large')
  t.equal(outcome('AAAA'.repeat(2), 8), 'AAAAAAAA')
  t.equal(MAX_IMAGE_BASE64_LENGTH, 5 * 1024 * 1024, "Anthropic's documented 5 MB per image")
})
