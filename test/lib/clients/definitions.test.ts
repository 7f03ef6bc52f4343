import { test } from 'tap'
import { clientsFromConfig, groupsFromConfig } from '../../../lib/clients/definitions.js'
import { keyDigest } from '../../../lib/clients/keys.js'
import { thrown } from '../../helpers/thrown.js'

const HEX = keyDigest('some-key-0123456789')

test('a client with only a name and a key gets every default', async (t) => {
  t.same(clientsFromConfig([{ name: 'alice', key: 'alice-key-000000000123456789' }]), [{
    name: 'alice',
    group: null,
    models: null,
    expiresAt: null,
    disabled: false,
    limits: {},
    spend: {},
    keys: [{ digest: keyDigest('alice-key-000000000123456789'), label: '…6789', createdAt: '', expiresAt: null }],
    createdAt: '',
    updatedAt: ''
  }])
})

test('every field given is kept', async (t) => {
  const [record] = clientsFromConfig([{ name: 'bob', key: 'c2a-bob-key-000000000123456789', group: 'backend', models: ['claude-*'], expires_at: '2027-01-01T00:00:00Z', disabled: true, limits: { rpm: 5 }, spend: { daily: 100, weekly: null } }])
  t.same({ ...record, keys: record.keys.map((key) => key.label) }, {
    name: 'bob',
    group: 'backend',
    models: ['claude-*'],
    expiresAt: '2027-01-01T00:00:00Z',
    disabled: true,
    limits: { rpm: 5 },
    spend: { daily: 100, weekly: null },
    keys: ['c2a-…6789'],
    createdAt: '',
    updatedAt: ''
  })
})

test('keys: key, then keys, then key_sha256; plaintext is hashed, sha256:<hex> is taken as the digest', async (t) => {
  const [record] = clientsFromConfig([{ name: 'carol', key_sha256: HEX, keys: ['second-key-0000', `sha256:${keyDigest('third-key-0000')}`], key: 'first-key-0000' }])
  t.same(record.keys, [
    { digest: keyDigest('first-key-0000'), label: `sha256:${keyDigest('first-key-0000').slice(0, 8)}`, createdAt: '', expiresAt: null },
    { digest: keyDigest('second-key-0000'), label: `sha256:${keyDigest('second-key-0000').slice(0, 8)}`, createdAt: '', expiresAt: null },
    { digest: keyDigest('third-key-0000'), label: `sha256:${keyDigest('third-key-0000').slice(0, 8)}`, createdAt: '', expiresAt: null },
    { digest: HEX, label: `sha256:${HEX.slice(0, 8)}`, createdAt: '', expiresAt: null }
  ])
  t.notOk(JSON.stringify(record).includes('first-key'), 'no plaintext in the record')
})

test('key_sha256 may carry the sha256: prefix or not; uppercase hex becomes lowercase', async (t) => {
  const [plain] = clientsFromConfig([{ name: 'a', key_sha256: HEX }])
  const [prefixed] = clientsFromConfig([{ name: 'a', key_sha256: `sha256:${HEX}` }])
  const [upper] = clientsFromConfig([{ name: 'a', key_sha256: HEX.toUpperCase() }])
  const [upperInKeys] = clientsFromConfig([{ name: 'a', keys: [`sha256:${HEX.toUpperCase()}`] }])
  for (const record of [plain, prefixed, upper, upperInKeys]) t.equal(record.keys[0].digest, HEX)
  t.equal(upper.keys[0].label, `sha256:${HEX.slice(0, 8)}`)
})

test('only sha256: followed by exactly 64 hex characters is a digest; anything else is a plaintext key', async (t) => {
  for (const written of [`sha256:${HEX.slice(1)}`, `sha256:${HEX}0`, `xsha256:${HEX}`, `SHA256:${HEX}`, `sha256:${HEX.slice(1)}g`, HEX]) {
    const [record] = clientsFromConfig([{ name: 'a', key: written }])
    t.equal(record.keys[0].digest, keyDigest(written), `${written.slice(0, 12)}… is hashed`)
    t.equal(record.keys[0].label, `…${written.slice(-4)}`)
  }
})

test('refusals name the client and the problem, never the key', async (t) => {
  t.equal(thrown(() => clientsFromConfig([{ name: 'x', key: 'k1-00000000' }, { name: 'x', key: 'k2-00000000' }])), "client 'x' is defined twice")
  t.equal(thrown(() => clientsFromConfig([{ name: 'x' }])), "client 'x' has no key: give key, key_sha256 or keys")
  t.equal(thrown(() => clientsFromConfig([{ name: 'x', keys: [] }])), "client 'x' has no key: give key, key_sha256 or keys")
  const clash = "client 'y' has a key another client (or itself) has too"
  t.equal(thrown(() => clientsFromConfig([{ name: 'x', key: 'same-key-00000' }, { name: 'y', keys: ['other-key-0000', 'same-key-00000'] }])), clash)
  t.equal(thrown(() => clientsFromConfig([{ name: 'x', key: 'same-key-00000' }, { name: 'y', key_sha256: keyDigest('same-key-00000') }])), clash, 'a digest of another client\'s plaintext key')
  t.equal(thrown(() => clientsFromConfig([{ name: 'y', key: 'same-key-00000', keys: ['same-key-00000'] }])), clash, 'the same key twice in one client')
  t.equal(thrown(() => clientsFromConfig([{ name: 'x', key: 'k1-00000000', expires_at: 'next tuesday' }])), "client 'x': expires_at is not a date")
  t.same(clientsFromConfig([]), [])
})

test('distinct clients with distinct keys all pass, in order', async (t) => {
  const records = clientsFromConfig([{ name: 'a', key: 'key-a-00000000' }, { name: 'b', key: 'key-b-00000000', expires_at: '2027-06-01T00:00:00Z' }, { name: 'c', key_sha256: HEX }])
  t.same(records.map((record) => record.name), ['a', 'b', 'c'])
})

test('groups: defaults, kept fields, a name defined twice refused', async (t) => {
  t.same(groupsFromConfig([{ name: 'backend' }, { name: 'ops', limits: { rpm: 9 }, spend: { monthly: 500, pooled: true } }]), [
    { name: 'backend', limits: {}, spend: {}, createdAt: '', updatedAt: '' },
    { name: 'ops', limits: { rpm: 9 }, spend: { monthly: 500, pooled: true }, createdAt: '', updatedAt: '' }
  ])
  t.equal(thrown(() => groupsFromConfig([{ name: 'ops' }, { name: 'backend' }, { name: 'ops' }])), "group 'ops' is defined twice")
  t.same(groupsFromConfig([]), [])
})
