import type { ClientRecord, GroupRecord, RateLimits, SpendCaps } from '../store/teams-store.js'
import { clientKeyLabel, keyDigest } from './keys.js'
import { ModelAccess } from './model-access.js'

/** Who a request comes from, once its key is known. */
export interface ClientIdentity {
  /** Null for the unnamed clients that APIKEY's keys become (no limits, no report name). */
  name: string | null
  /** `config` (config.yaml), `admin` (created through the admin API) or `apikey`. */
  source: 'config' | 'admin' | 'apikey'
  group: string | null
  models: ModelAccess
  /** Milliseconds since the epoch; null when the client does not expire. */
  expiresAt: number | null
  disabled: boolean
  limits: RateLimits
  spend: SpendCaps
}

/** A presented key that belongs to a client. */
export interface KeyMatch {
  client: ClientIdentity
  /** The key's label (never the key), for logs and the ledger. */
  keyLabel: string
  /** The plaintext key for APIKEY clients only: their per-caller state stays keyed as before. */
  apiKey?: string
}

interface KeyEntry { client: ClientIdentity; label: string; until: number | null; apiKey?: string }

export interface DirectorySources {
  apiKeys: readonly string[]
  configClients: readonly ClientRecord[]
  configGroups: readonly GroupRecord[]
  configOrganization: SpendCaps
  storedClients: readonly ClientRecord[]
  storedGroups: readonly GroupRecord[]
  /** The organisation caps set through the admin API: each period given wins over config.yaml's. */
  storedOrganization: SpendCaps
}

const UNLIMITED = new ModelAccess(null)

function identityOf (record: ClientRecord, source: 'config' | 'admin'): ClientIdentity {
  const expires = record.expiresAt === null ? null : Date.parse(record.expiresAt)
  return {
    name: record.name,
    source,
    group: record.group,
    models: new ModelAccess(record.models),
    expiresAt: expires === null || Number.isNaN(expires) ? null : expires,
    disabled: record.disabled,
    limits: record.limits,
    spend: record.spend
  }
}

/**
 * Every client and group the gateway knows, from config.yaml, the admin API (the store) and
 * APIKEY, with keys held by digest. A lookup hashes the presented key once and finds it in a
 * map: the digest, not the key, decides the timing, so the comparison reveals nothing of the key.
 */
export class ClientDirectory {
  private readonly byDigest = new Map<string, KeyEntry>()
  private readonly clients = new Map<string, { identity: ClientIdentity; record: ClientRecord }>()
  private readonly groups = new Map<string, { record: GroupRecord; source: 'config' | 'admin' }>()
  readonly organization: SpendCaps

  constructor (sources: DirectorySources) {
    for (const record of sources.configGroups) this.groups.set(record.name, { record, source: 'config' })
    for (const record of sources.storedGroups) if (!this.groups.has(record.name)) this.groups.set(record.name, { record, source: 'admin' })
    this.organization = { ...sources.configOrganization, ...sources.storedOrganization }
    for (const key of sources.apiKeys) {
      const client: ClientIdentity = { name: null, source: 'apikey', group: null, models: UNLIMITED, expiresAt: null, disabled: false, limits: {}, spend: {} }
      this.byDigest.set(keyDigest(key), { client, label: clientKeyLabel(key), until: null, apiKey: key })
    }
    const add = (record: ClientRecord, source: 'config' | 'admin'): void => {
      if (this.clients.has(record.name)) return
      const identity = identityOf(record, source)
      this.clients.set(record.name, { identity, record })
      for (const key of record.keys) {
        if (this.byDigest.has(key.digest)) continue
        const until = key.expiresAt === null ? null : Date.parse(key.expiresAt)
        this.byDigest.set(key.digest, { client: identity, label: key.label, until: until === null || Number.isNaN(until) ? null : until })
      }
    }
    for (const record of sources.configClients) add(record, 'config')
    for (const record of sources.storedClients) add(record, 'admin')
  }

  /** The client a presented key belongs to; a rotated-out key past its grace period belongs to none. */
  lookup (presentedKey: string, now = Date.now()): KeyMatch | undefined {
    const entry = this.byDigest.get(keyDigest(presentedKey))
    if (entry === undefined || (entry.until !== null && entry.until <= now)) return undefined
    return entry.apiKey === undefined ? { client: entry.client, keyLabel: entry.label } : { client: entry.client, keyLabel: entry.label, apiKey: entry.apiKey }
  }

  client (name: string): { identity: ClientIdentity; record: ClientRecord } | undefined {
    return this.clients.get(name)
  }

  listClients (): Array<{ identity: ClientIdentity; record: ClientRecord }> {
    return [...this.clients.values()]
  }

  group (name: string): { record: GroupRecord; source: 'config' | 'admin' } | undefined {
    return this.groups.get(name)
  }

  listGroups (): Array<{ record: GroupRecord; source: 'config' | 'admin' }> {
    return [...this.groups.values()]
  }

  membersOf (group: string): string[] {
    return this.listClients().filter(({ identity }) => identity.group === group).map(({ identity }) => identity.name!)
  }
}
