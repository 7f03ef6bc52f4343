import { test } from 'tap'
import { CLIENT_KEY_PREFIX, clientKeyLabel, digestLabel, generateClientKey, isKeyDigest, keyDigest } from '../../../lib/clients/keys.js'

test('a key is kept as the hex SHA-256 of its exact text', async (t) => {
  t.equal(keyDigest(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(keyDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.not(keyDigest('abc '), keyDigest('abc'), 'no trimming')
  t.not(keyDigest('ABC'), keyDigest('abc'), 'no case folding')
  t.ok(isKeyDigest(keyDigest('c2a-anything')), 'a digest is recognised as one')
})

test('a digest is exactly 64 lowercase hex characters', async (t) => {
  const digest = keyDigest('abc')
  t.ok(isKeyDigest(digest))
  t.ok(isKeyDigest('0123456789'.repeat(6) + '0123'), 'digits only')
  t.ok(isKeyDigest('abcdef'.repeat(10) + 'abcd'), 'letters only')
  t.notOk(isKeyDigest(digest.slice(1)), '63 characters')
  t.notOk(isKeyDigest(digest + 'a'), '65 characters')
  t.notOk(isKeyDigest('x' + digest), 'something before')
  t.notOk(isKeyDigest(digest + '\n'), 'something after')
  t.notOk(isKeyDigest(digest.toUpperCase()), 'uppercase')
  t.notOk(isKeyDigest('g' + digest.slice(1)), 'a letter past f')
  t.notOk(isKeyDigest(`sha256:${digest}`), 'the config.yaml spelling is not a bare digest')
  t.notOk(isKeyDigest(''), 'empty')
})

test('generated keys: the c2a- prefix and 43 base64url characters (256 bits), never twice the same', async (t) => {
  t.equal(CLIENT_KEY_PREFIX, 'c2a-')
  const keys = new Set(Array.from({ length: 20 }, () => generateClientKey()))
  t.equal(keys.size, 20)
  for (const key of keys) t.match(key, /^c2a-[A-Za-z0-9_-]{43}$/)
  const bytes = Buffer.from([...keys][0].slice(4), 'base64url')
  t.equal(bytes.length, 32)
})

test('a key label shows the prefix (when it has ours) and the last four characters only', async (t) => {
  t.equal(clientKeyLabel('c2a-abcdefghijklmnopWXYZ'), 'c2a-…WXYZ')
  t.equal(clientKeyLabel('sk-live-abcdefghijklmnop1234'), '…1234', 'a foreign prefix is not shown')
  t.equal(clientKeyLabel('xc2a-abcdefghijklmnop9876'), '…9876', 'the prefix only counts at the start')
  t.equal(clientKeyLabel('C2A-abcdefghijklmnopq9876'), '…9876', 'the prefix is case-sensitive')
})

test('a key too short for its last four characters to be a small part of it is labelled by its digest', async (t) => {
  t.equal(clientKeyLabel('short-key-1234'), digestLabel(keyDigest('short-key-1234')))
  t.equal(clientKeyLabel('c2a-abcdefghijklmnopXYZ'), digestLabel(keyDigest('c2a-abcdefghijklmnopXYZ')), '23 characters')
  t.equal(clientKeyLabel('c2a-abcdefghijklmnopWXYZ'), 'c2a-…WXYZ', '24 characters')
})

test('a digest label is sha256: and the first eight hex characters', async (t) => {
  const digest = keyDigest('abc')
  t.equal(digestLabel(digest), 'sha256:ba7816bf')
})
