import { test } from 'tap'
import { ClientDirectory, type DirectorySources } from '../../../lib/clients/directory.js'
import { clientsFromConfig } from '../../../lib/clients/definitions.js'
import { clientKeyLabel, generateClientKey, keyDigest } from '../../../lib/clients/keys.js'
import { ModelAccess } from '../../../lib/clients/model-access.js'
import { parseTeamsConfig } from '../../../lib/clients/teams-config.js'
import type { ClientRecord } from '../../../lib/store/teams-store.js'
import { thrown } from '../../helpers/thrown.js'

const empty: DirectorySources = { apiKeys: [], configClients: [], configGroups: [], configOrganization: {}, storedClients: [], storedGroups: [], storedOrganization: {} }

function stored (name: string, keys: ClientRecord['keys']): ClientRecord {
  return { name, group: null, models: null, expiresAt: null, disabled: false, limits: {}, spend: {}, keys, createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z' }
}

test('generated keys carry the prefix and 256 bits; labels show only the end', async (t) => {
  const key = generateClientKey()
  t.match(key, /^c2a-[A-Za-z0-9_-]{43}$/)
  t.not(generateClientKey(), key, 'two keys differ')
  t.equal(clientKeyLabel(key), `c2a-…${key.slice(-4)}`)
  t.equal(keyDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})

test('model access: exact ids and globs; no list allows every model', async (t) => {
  const access = new ModelAccess(['claude-sonnet-*', 'claude-haiku-4-5', 'claude-opus-4-?'])
  t.ok(access.allows('claude-sonnet-4-6'))
  t.ok(access.allows('claude-haiku-4-5'))
  t.ok(access.allows('claude-opus-4-8'))
  t.notOk(access.allows('claude-opus-4-10'), '? is one character')
  t.notOk(access.allows('claude-haiku-4-5-20251001'), 'an exact id is not a prefix')
  t.notOk(access.allows('xclaude-sonnet-4-6'), 'globs are anchored')
  t.ok(new ModelAccess(null).allows('anything'))
  t.notOk(new ModelAccess([]).allows('claude-sonnet-4-6'), 'an empty list allows nothing')
  t.notOk(new ModelAccess(['claude.sonnet']).allows('claude-sonnet'), 'a dot is a dot')
})

test('config clients: plaintext and sha256 keys, several keys; mistakes are named without the key', async (t) => {
  const digest = keyDigest('digest-only-key-123')
  const records = clientsFromConfig([
    { name: 'alice', key: 'alice-key-0123456789' },
    { name: 'bob', key_sha256: digest, keys: ['bob-second-key-0123', `sha256:${keyDigest('bob-third-key-0000')}`] }
  ])
  const directory = new ClientDirectory({ ...empty, configClients: records })
  t.equal(directory.lookup('alice-key-0123456789')?.client.name, 'alice')
  t.equal(directory.lookup('digest-only-key-123')?.client.name, 'bob')
  t.equal(directory.lookup('bob-second-key-0123')?.client.name, 'bob')
  t.equal(directory.lookup('bob-third-key-0000')?.client.name, 'bob')
  t.equal(directory.lookup('nobody-key-000000'), undefined)
  t.notOk(JSON.stringify(records).includes('alice-key-0123456789'), 'records hold digests only')
  t.throws(() => clientsFromConfig([{ name: 'x' }]), /client 'x' has no key/)
  const duplicate = thrown(() => clientsFromConfig([{ name: 'x', key: 'same-key-000000' }, { name: 'y', key: 'same-key-000000' }]))
  t.match(duplicate, /another client/)
  t.notOk(duplicate.includes('same-key'), 'the message does not quote the key')
  t.throws(() => clientsFromConfig([{ name: 'x', key: 'k1-00000000' }, { name: 'x', key: 'k2-00000000' }]), /defined twice/)
})

test('CLIENTS / GROUPS / ORGANIZATION are checked by schema, naming the field and never the value', async (t) => {
  const base = { groups: undefined, organization: undefined, adminKeys: [], adminReadKeys: [], enforcement: 'open' as const }
  const parsed = parseTeamsConfig({ ...base, clients: JSON.stringify([{ name: 'alice', key: 'alice-key-0123456789', limits: { rpm: 5 }, spend: { daily: 500, weekly: null } }]), organization: JSON.stringify({ spend: { daily: 1000 } }) })
  t.equal(parsed.clients[0].limits.rpm, 5)
  t.same(parsed.clients[0].spend, { daily: 500, weekly: null })
  t.same(parsed.organization, { daily: 1000 })
  const badName = thrown(() => parseTeamsConfig({ ...base, clients: JSON.stringify([{ name: 'Alice!', key: 'secret-value-123' }]) }))
  t.match(badName, /^CLIENTS\/0\/name/)
  t.notOk(badName.includes('secret-value'), 'the message does not quote the key')
  t.throws(() => parseTeamsConfig({ ...base, clients: JSON.stringify([{ name: 'a', key: 'secret-value-123', limits: { rpn: 1 } }]) }), /CLIENTS\/0\/limits/)
  t.throws(() => parseTeamsConfig({ ...base, clients: '[nope' }), /CLIENTS must be a JSON/)
})

test('APIKEY keys are unnamed clients; rotated keys stop after their grace; config wins over a stored client of the same name', async (t) => {
  const now = Date.parse('2026-12-02T12:00:00Z')
  const directory = new ClientDirectory({
    ...empty,
    apiKeys: ['legacy-key-000000000123456789'],
    configClients: clientsFromConfig([{ name: 'alice', key: 'alice-config-key-01' }]),
    storedClients: [
      stored('alice', [{ digest: keyDigest('alice-stored-key-01'), label: 'x', createdAt: '', expiresAt: null }]),
      stored('carol', [
        { digest: keyDigest('carol-new-key-0001'), label: 'new', createdAt: '', expiresAt: null },
        { digest: keyDigest('carol-old-key-0001'), label: 'old', createdAt: '', expiresAt: '2026-12-02T12:05:00Z' }
      ])
    ]
  })
  const legacy = directory.lookup('legacy-key-000000000123456789')
  t.equal(legacy?.client.name, null)
  t.equal(legacy?.apiKey, 'legacy-key-000000000123456789', 'an APIKEY client keeps its key for its state identity')
  t.equal(directory.lookup('alice-stored-key-01'), undefined, 'the stored alice is shadowed by config.yaml\'s')
  t.equal(directory.client('alice')?.identity.source, 'config')
  t.equal(directory.lookup('carol-old-key-0001', now)?.client.name, 'carol', 'within the grace period')
  t.equal(directory.lookup('carol-old-key-0001', now + 5 * 60000), undefined, 'after it')
  t.equal(directory.lookup('carol-new-key-0001', now + 5 * 60000)?.client.name, 'carol')
})

const key = (text: string, expiresAt: string | null = null, label = 'label'): ClientRecord['keys'][number] => ({ digest: keyDigest(text), label, createdAt: '', expiresAt })

test('a client\'s identity carries its record\'s settings, its expiry as milliseconds and its source', async (t) => {
  const directory = new ClientDirectory({
    ...empty,
    configClients: [{ ...stored('alice', [key('alice-key-000000', null, 'c2a-…0000')]), group: 'backend', models: ['claude-haiku-*'], expiresAt: '2027-01-01T00:00:00Z', disabled: true, limits: { rpm: 3 }, spend: { daily: 9 } }],
    storedClients: [stored('bob', [key('bob-key-00000000')])]
  })
  const match = directory.lookup('alice-key-000000', 0)
  t.same(match && { ...match.client, models: undefined }, { name: 'alice', source: 'config', group: 'backend', models: undefined, expiresAt: Date.parse('2027-01-01T00:00:00Z'), disabled: true, limits: { rpm: 3 }, spend: { daily: 9 } })
  t.same(match && Object.keys(match), ['client', 'keyLabel'], 'no plaintext key for a named client')
  t.equal(match?.keyLabel, 'c2a-…0000')
  t.equal(match?.client.models.allows('claude-haiku-4-5'), true)
  t.equal(match?.client.models.allows('claude-opus-4-1'), false)
  t.equal(directory.lookup('bob-key-00000000', 0)?.client.source, 'admin')
  t.equal(directory.lookup('bob-key-00000000', 0)?.client.expiresAt, null)
  t.equal(directory.lookup('bob-key-00000000', 0)?.client.models.restricted, false)
})

test('an unreadable expiry date means no expiry (for a client and for a key)', async (t) => {
  const directory = new ClientDirectory({ ...empty, storedClients: [{ ...stored('alice', [key('alice-key-000000', 'not a date')]), expiresAt: 'not a date either' }] })
  const match = directory.lookup('alice-key-000000', Date.parse('2100-01-01T00:00:00Z'))
  t.equal(match?.client.name, 'alice')
  t.equal(match?.client.expiresAt, null)
})

test('a rotated-out key works until the millisecond before its expiry, not at it', async (t) => {
  const until = '2026-12-02T12:05:00.000Z'
  const directory = new ClientDirectory({ ...empty, storedClients: [stored('carol', [key('carol-old-key-0001', until)])] })
  t.equal(directory.lookup('carol-old-key-0001', Date.parse(until) - 1)?.client.name, 'carol')
  t.equal(directory.lookup('carol-old-key-0001', Date.parse(until)), undefined)
  t.equal(directory.lookup('carol-old-key-0001'), undefined, 'by the clock, long past')
  const future = new ClientDirectory({ ...empty, storedClients: [stored('carol', [key('carol-old-key-0001', '2999-01-01T00:00:00Z')])] })
  t.equal(future.lookup('carol-old-key-0001')?.client.name, 'carol', 'by the clock, still to come')
})

test('APIKEY keys: unnamed, unlimited clients that keep their key; the first holder of a key keeps it', async (t) => {
  const directory = new ClientDirectory({
    ...empty,
    apiKeys: ['legacy-key-000000000123456789', 'shared-key-000000'],
    configClients: [stored('alice', [key('shared-key-000000'), key('alice-own-key-0000')])],
    storedClients: [stored('bob', [key('alice-own-key-0000'), key('bob-own-key-00000')])]
  })
  const legacy = directory.lookup('legacy-key-000000000123456789')
  t.same(legacy && { ...legacy, client: { ...legacy.client, models: legacy.client.models.restricted } }, {
    client: { name: null, source: 'apikey', group: null, models: false, expiresAt: null, disabled: false, limits: {}, spend: {} },
    keyLabel: '…6789',
    apiKey: 'legacy-key-000000000123456789'
  })
  t.equal(directory.lookup('shared-key-000000')?.client.name, null, 'APIKEY came first')
  t.equal(directory.lookup('alice-own-key-0000')?.client.name, 'alice', 'config.yaml before the store')
  t.equal(directory.lookup('bob-own-key-00000')?.client.name, 'bob', 'bob keeps his other key')
  t.same(directory.listClients().map(({ identity }) => identity.name), ['alice', 'bob'], 'APIKEY clients are not listed')
})

test('groups: config.yaml\'s win over stored ones of the same name; listed with their source', async (t) => {
  const configGroup = { name: 'backend', limits: { rpm: 1 }, spend: {}, createdAt: '', updatedAt: '' }
  const directory = new ClientDirectory({
    ...empty,
    configGroups: [configGroup],
    storedGroups: [{ name: 'backend', limits: { rpm: 2 }, spend: {}, createdAt: 'x', updatedAt: 'x' }, { name: 'ops', limits: {}, spend: {}, createdAt: 'x', updatedAt: 'x' }]
  })
  t.same(directory.group('backend'), { record: configGroup, source: 'config' })
  t.equal(directory.group('ops')?.source, 'admin')
  t.equal(directory.group('nobody'), undefined)
  t.same(directory.listGroups().map((entry) => [entry.record.name, entry.source, entry.record.limits.rpm]), [['backend', 'config', 1], ['ops', 'admin', undefined]])
})

test('organisation caps: the stored ones win per period, the config ones fill the rest', async (t) => {
  const directory = new ClientDirectory({ ...empty, configOrganization: { daily: 100, weekly: 200 }, storedOrganization: { weekly: null, monthly: 900 } })
  t.same(directory.organization, { daily: 100, weekly: null, monthly: 900 })
  t.same(new ClientDirectory(empty).organization, {})
})

test('clients by name, in order; members of a group', async (t) => {
  const directory = new ClientDirectory({
    ...empty,
    configClients: [{ ...stored('alice', [key('alice-key-000000')]), group: 'backend' }],
    storedClients: [{ ...stored('bob', [key('bob-key-00000000')]), group: 'ops' }, { ...stored('carol', [key('carol-key-000000')]), group: 'backend' }, stored('dave', [key('dave-key-0000000')])]
  })
  t.equal(directory.client('carol')?.record.group, 'backend')
  t.equal(directory.client('carol')?.identity.source, 'admin')
  t.equal(directory.client('nobody'), undefined)
  t.same(directory.listClients().map(({ identity }) => identity.name), ['alice', 'bob', 'carol', 'dave'])
  t.same(directory.membersOf('backend'), ['alice', 'carol'])
  t.same(directory.membersOf('ops'), ['bob'])
  t.same(directory.membersOf('nobody'), [])
})

test('a shadowed stored client adds none of its keys, not even new ones', async (t) => {
  const directory = new ClientDirectory({
    ...empty,
    configClients: [stored('alice', [key('alice-config-key-01')])],
    storedClients: [stored('alice', [key('alice-stored-only-01')])]
  })
  t.equal(directory.lookup('alice-stored-only-01'), undefined)
  t.equal(directory.listClients().length, 1)
})
