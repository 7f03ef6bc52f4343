import { test } from 'tap'
import { ModelAccess } from '../../../lib/clients/model-access.js'

test('no list: unrestricted, every model allowed', async (t) => {
  for (const models of [null, undefined]) {
    const access = new ModelAccess(models)
    t.equal(access.restricted, false)
    t.ok(access.allows('claude-opus-4-1'))
    t.ok(access.allows(''))
  }
})

test('a list restricts, even an empty one (which allows nothing)', async (t) => {
  const none = new ModelAccess([])
  t.equal(none.restricted, true)
  t.notOk(none.allows('claude-sonnet-4-5'))
  t.notOk(none.allows(''))
  t.equal(new ModelAccess(['claude-sonnet-4-5']).restricted, true)
})

test('any one pattern of the list suffices', async (t) => {
  const access = new ModelAccess(['claude-haiku-4-5', 'claude-sonnet-4-5'])
  t.ok(access.allows('claude-haiku-4-5'), 'the first')
  t.ok(access.allows('claude-sonnet-4-5'), 'the second')
  t.notOk(access.allows('claude-opus-4-1'), 'neither')
})

test('exact ids match the whole id, case-sensitively', async (t) => {
  const access = new ModelAccess(['claude-haiku-4-5'])
  t.ok(access.allows('claude-haiku-4-5'))
  t.notOk(access.allows('claude-haiku-4-5-20251001'), 'not a prefix')
  t.notOk(access.allows('x-claude-haiku-4-5'), 'not a suffix')
  t.notOk(access.allows('claude-haiku-4'), 'not a shorter id')
  t.notOk(access.allows('Claude-Haiku-4-5'), 'case matters')
  t.notOk(new ModelAccess(['Claude-Haiku-4-5']).allows('claude-haiku-4-5'), 'in the pattern too')
})

test('* is any run of characters, including none', async (t) => {
  const access = new ModelAccess(['claude-sonnet-*'])
  t.ok(access.allows('claude-sonnet-4-5'))
  t.ok(access.allows('claude-sonnet-4-5-20250929'))
  t.ok(access.allows('claude-sonnet-'), 'an empty run')
  t.notOk(access.allows('claude-sonnet'), 'the literal part must be there')
  t.notOk(access.allows('my-claude-sonnet-4'), 'anchored at the start')
  const middle = new ModelAccess(['claude-*-4-5'])
  t.ok(middle.allows('claude-haiku-4-5'))
  t.notOk(middle.allows('claude-haiku-4-5-x'), 'anchored at the end')
  t.ok(new ModelAccess(['*']).allows('anything at all'))
  t.ok(new ModelAccess(['*']).allows(''))
})

test('? is exactly one character', async (t) => {
  const access = new ModelAccess(['claude-opus-4-?'])
  t.ok(access.allows('claude-opus-4-1'))
  t.ok(access.allows('claude-opus-4-x'))
  t.notOk(access.allows('claude-opus-4-'), 'not zero')
  t.notOk(access.allows('claude-opus-4-10'), 'not two')
  t.ok(new ModelAccess(['??']).allows('ab'))
  t.notOk(new ModelAccess(['??']).allows('abc'))
})

test('every other character is literal, regular-expression characters included', async (t) => {
  t.notOk(new ModelAccess(['claude.sonnet']).allows('claude-sonnet'), 'a dot is a dot')
  t.ok(new ModelAccess(['claude.sonnet']).allows('claude.sonnet'))
  t.notOk(new ModelAccess(['a+b']).allows('aab'), 'plus is a plus')
  t.ok(new ModelAccess(['a+b']).allows('a+b'))
  for (const literal of ['m(1)', 'm[1]', 'm{1}', 'm|n', 'm^n', 'm$n', 'm\\n', 'a.b+c(d)|e[f]{g}^h$i\\j']) {
    t.ok(new ModelAccess([literal]).allows(literal), `${literal} matches itself`)
  }
  t.notOk(new ModelAccess(['m|n']).allows('m'), 'no alternation')
  t.notOk(new ModelAccess(['m[12]']).allows('m1'), 'no character class')
  t.notOk(new ModelAccess(['mn{2}']).allows('mnn'), 'no repetition')
  t.notOk(new ModelAccess(['^m']).allows('m'), 'no anchor')
})
