import { test } from 'tap'
import { keyDigest } from '../../../lib/clients/keys.js'
import { parseTeamsConfig, type RawTeamsSettings } from '../../../lib/clients/teams-config.js'
import { thrown } from '../../helpers/thrown.js'

const base: RawTeamsSettings = { clients: undefined, groups: undefined, organization: undefined, adminKeys: [], adminReadKeys: [], enforcement: 'open' }

test('nothing set: no clients, no groups, no organisation caps; admin keys and enforcement passed through', async (t) => {
  t.same(parseTeamsConfig({ ...base, adminKeys: ['admin-key-1'], adminReadKeys: ['read-key-1'], enforcement: 'closed' }), {
    clients: [], groups: [], organization: {}, adminKeys: ['admin-key-1'], adminReadKeys: ['read-key-1'], enforcement: 'closed'
  })
  t.same(parseTeamsConfig({ ...base, clients: '', groups: '   ', organization: '\n' }), { clients: [], groups: [], organization: {}, adminKeys: [], adminReadKeys: [], enforcement: 'open' }, 'blank is unset')
})

test('clients, groups and the organisation caps become records', async (t) => {
  const config = parseTeamsConfig({
    ...base,
    clients: JSON.stringify([{ name: 'alice', key: 'alice-key-0123456789', group: 'backend' }]),
    groups: JSON.stringify([{ name: 'backend', spend: { monthly: 5000, pooled: true } }]),
    organization: JSON.stringify({ spend: { daily: 1000, weekly: null } })
  })
  t.same(config.clients.map((client) => [client.name, client.group, client.keys[0].digest]), [['alice', 'backend', keyDigest('alice-key-0123456789')]])
  t.same(config.groups, [{ name: 'backend', limits: {}, spend: { monthly: 5000, pooled: true }, createdAt: '', updatedAt: '' }])
  t.same(config.organization, { daily: 1000, weekly: null })
  t.same(parseTeamsConfig({ ...base, organization: '{}' }).organization, {}, 'an organisation without spend')
})

test('text that is not JSON: named by setting, a list or a mapping as each expects', async (t) => {
  t.equal(thrown(() => parseTeamsConfig({ ...base, clients: '[{' })), 'CLIENTS must be a JSON (or YAML) list')
  t.equal(thrown(() => parseTeamsConfig({ ...base, groups: 'nope' })), 'GROUPS must be a JSON (or YAML) list')
  t.equal(thrown(() => parseTeamsConfig({ ...base, organization: '{spend' })), 'ORGANIZATION must be a JSON (or YAML) mapping')
})

test('schema refusals start with the setting and the path of the first problem, and never quote a value', async (t) => {
  const secret = 'secret-value-0123456789'
  const cases: Array<[Partial<RawTeamsSettings>, string]> = [
    [{ clients: JSON.stringify({ name: 'a' }) }, 'CLIENTS must be array'],
    [{ clients: JSON.stringify([{ name: 'Alice', key: secret }]) }, 'CLIENTS/0/name must match pattern'],
    [{ clients: JSON.stringify([{ name: 'a', key: secret }, { name: 'b', key: secret, limits: { rpm: 0 } }]) }, 'CLIENTS/1/limits/rpm'],
    [{ clients: JSON.stringify([{ name: 'a', key: secret, spend: { daily: -1 } }]) }, 'CLIENTS/0/spend/daily'],
    [{ clients: JSON.stringify([{ name: 'a', key: secret, expires_at: 'tomorrow' }]) }, 'CLIENTS/0/expires_at'],
    [{ clients: JSON.stringify([{ name: 'a', key: 'short' }]) }, 'CLIENTS/0/key'],
    [{ clients: JSON.stringify([{ name: 'a', key_sha256: secret }]) }, 'CLIENTS/0/key_sha256'],
    [{ groups: JSON.stringify([{ name: 'g', spend: { pooled: 'yes' } }]) }, 'GROUPS/0/spend/pooled must be boolean'],
    [{ groups: JSON.stringify({}) }, 'GROUPS must be array'],
    [{ organization: JSON.stringify({ spend: { daily: -1 } }) }, 'ORGANIZATION/spend/daily must be >= 0'],
    [{ organization: JSON.stringify([]) }, 'ORGANIZATION must be object']
  ]
  for (const [raw, start] of cases) {
    const message = thrown(() => parseTeamsConfig({ ...base, ...raw }))
    t.ok(message.startsWith(start), `${start} (${message})`)
    t.notOk(message.includes(secret), 'no value quoted')
  }
})

test('CLIENTS are checked before GROUPS, GROUPS before ORGANIZATION', async (t) => {
  const badGroups = JSON.stringify([{ name: 'G' }])
  const badOrganization = JSON.stringify({ spend: { daily: 'x' } })
  t.match(thrown(() => parseTeamsConfig({ ...base, clients: JSON.stringify([{ name: 'A' }]), groups: badGroups, organization: badOrganization })), /^CLIENTS\//)
  t.match(thrown(() => parseTeamsConfig({ ...base, groups: badGroups, organization: badOrganization })), /^GROUPS\//)
  t.match(thrown(() => parseTeamsConfig({ ...base, organization: badOrganization })), /^ORGANIZATION\//)
})

test('the record-level checks run after the schema ones (a client defined twice, a group defined twice)', async (t) => {
  t.equal(thrown(() => parseTeamsConfig({ ...base, clients: JSON.stringify([{ name: 'a', key: 'key-one-000' }, { name: 'a', key: 'key-two-000' }]) })), "client 'a' is defined twice")
  t.equal(thrown(() => parseTeamsConfig({ ...base, groups: JSON.stringify([{ name: 'g' }, { name: 'g' }]) })), "group 'g' is defined twice")
})

test('an admin key may appear once across ADMIN_KEYS and ADMIN_READ_KEYS', async (t) => {
  const message = 'ADMIN_KEYS and ADMIN_READ_KEYS must not repeat a key'
  t.equal(thrown(() => parseTeamsConfig({ ...base, adminKeys: ['admin-key-1'], adminReadKeys: ['admin-key-1'] })), message, 'in both lists')
  t.equal(thrown(() => parseTeamsConfig({ ...base, adminKeys: ['admin-key-1', 'admin-key-1'] })), message, 'twice in one')
  t.equal(thrown(() => parseTeamsConfig({ ...base, adminReadKeys: ['read-key-1', 'read-key-1'] })), message, 'twice in the other')
  t.same(parseTeamsConfig({ ...base, adminKeys: ['admin-key-1', 'admin-key-2'], adminReadKeys: ['read-key-1'] }).adminKeys, ['admin-key-1', 'admin-key-2'])
})
