import { Compile } from 'typebox/compile'
import type { ClientRecord, GroupRecord, SpendCaps } from '../store/teams-store.js'
import { ClientsConfigSchema, GroupsConfigSchema, OrganizationConfigSchema } from '../../schemas/teams.js'
import { clientsFromConfig, groupsFromConfig } from './definitions.js'

export interface TeamsConfig {
  clients: ClientRecord[]
  groups: GroupRecord[]
  organization: SpendCaps
  /** Admin keys that may change things, and those that may only read. */
  adminKeys: string[]
  adminReadKeys: string[]
  /** What to do when limit counters cannot be read: serve anyway (`open`) or refuse (`closed`). */
  enforcement: 'open' | 'closed'
}

export interface RawTeamsSettings {
  clients: string | undefined
  groups: string | undefined
  organization: string | undefined
  adminKeys: string[]
  adminReadKeys: string[]
  enforcement: 'open' | 'closed'
}

const checkClients = Compile(ClientsConfigSchema)
const checkGroups = Compile(GroupsConfigSchema)
const checkOrganization = Compile(OrganizationConfigSchema)

function parsed (name: string, text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`${name} must be a JSON (or YAML) ${name === 'ORGANIZATION' ? 'mapping' : 'list'}`)
  }
}

/** The first schema problem, by path and message only: a value could be a key. */
function problem (name: string, errors: Array<{ instancePath?: string; message?: string }>): Error {
  const first = errors[0]
  return new Error(`${name}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`)
}

/** CLIENTS, GROUPS and ORGANIZATION checked and turned into records; throws an Error naming the first problem. */
export function parseTeamsConfig (raw: RawTeamsSettings): TeamsConfig {
  const clients = parsed('CLIENTS', raw.clients) ?? []
  if (!checkClients.Check(clients)) throw problem('CLIENTS', checkClients.Errors(clients))
  const groups = parsed('GROUPS', raw.groups) ?? []
  if (!checkGroups.Check(groups)) throw problem('GROUPS', checkGroups.Errors(groups))
  const organization = parsed('ORGANIZATION', raw.organization) ?? {}
  if (!checkOrganization.Check(organization)) throw problem('ORGANIZATION', checkOrganization.Errors(organization))
  const overlap = raw.adminKeys.concat(raw.adminReadKeys)
  if (new Set(overlap).size !== overlap.length) throw new Error('ADMIN_KEYS and ADMIN_READ_KEYS must not repeat a key')
  return {
    clients: clientsFromConfig(clients),
    groups: groupsFromConfig(groups),
    organization: organization.spend ?? {},
    adminKeys: raw.adminKeys,
    adminReadKeys: raw.adminReadKeys,
    enforcement: raw.enforcement
  }
}
