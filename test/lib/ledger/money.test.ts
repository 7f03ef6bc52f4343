import t from 'tap'
import { centsString, NANO_USD_PER_CENT } from '../../../lib/ledger/money.js'

t.test('a cent is ten million nano-dollars', async (t) => {
  t.equal(NANO_USD_PER_CENT, 10_000_000)
})

t.test('zero and whole cents carry no fraction', async (t) => {
  t.equal(centsString(0), '0')
  t.equal(centsString(10_000_000), '1')
  t.equal(centsString(12_340_000_000), '1234')
})

t.test('fractions of a cent are exact to the nano-dollar, trailing zeros dropped', async (t) => {
  t.equal(centsString(1), '0.0000001', 'one nano-dollar keeps its leading zeros')
  t.equal(centsString(123_456_789), '12.3456789')
  t.equal(centsString(15_000_000), '1.5')
  t.equal(centsString(10_000_010), '1.000001', 'only the zeros at the end go')
  t.equal(centsString(1_000_001), '0.1000001')
  t.equal(centsString(9_999_999), '0.9999999')
})

t.test('large amounts stay exact up to the largest safe integer', async (t) => {
  // 2^53 - 1 nano-dollars: about $90 million, past where a float of cents would lose digits.
  t.equal(centsString(Number.MAX_SAFE_INTEGER), '900719925.4740991')
  t.equal(centsString(5_000_000_123), '500.0000123')
})

t.test('negative amounts keep their sign on whole and fractional parts', async (t) => {
  t.equal(centsString(-1), '-0.0000001')
  t.equal(centsString(-25_000_000), '-2.5')
  t.equal(centsString(-0), '0', 'negative zero is plain zero')
})

t.test('a fractional nano-dollar is rounded to the nearest, halves upwards', async (t) => {
  t.equal(centsString(1.4), '0.0000001')
  t.equal(centsString(1.5), '0.0000002')
  t.equal(centsString(-1.5), '-0.0000001', 'Math.round: a negative half goes towards zero')
})
