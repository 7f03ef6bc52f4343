import type { ClientRecord, GroupRecord, KeyDigestRecord, SpendCaps } from '../store/teams-store.js'
import { clientKeyLabel, digestLabel, keyDigest } from './keys.js'

/** What config.yaml's clients carry (schemas/teams.ts checks the shape first). */
export interface ClientDefinition {
  name: string
  key?: string
  key_sha256?: string
  keys?: string[]
  group?: string
  models?: string[]
  expires_at?: string
  disabled?: boolean
  limits?: ClientRecord['limits']
  spend?: SpendCaps
}

export interface GroupDefinition {
  name: string
  limits?: GroupRecord['limits']
  spend?: GroupRecord['spend']
}

/** A key as written in config.yaml: plaintext, or `sha256:<hex>`. */
function keyRecord (written: string): KeyDigestRecord {
  const digest = /^sha256:[0-9a-fA-F]{64}$/.test(written) ? written.slice(7).toLowerCase() : undefined
  if (digest !== undefined) return { digest, label: digestLabel(digest), createdAt: '', expiresAt: null }
  return { digest: keyDigest(written), label: clientKeyLabel(written), createdAt: '', expiresAt: null }
}

function keysOf (definition: ClientDefinition): KeyDigestRecord[] {
  const written = [...(definition.key === undefined ? [] : [definition.key]), ...(definition.keys ?? [])]
  if (definition.key_sha256 !== undefined) written.push(`sha256:${definition.key_sha256.replace(/^sha256:/, '')}`)
  return written.map(keyRecord)
}

/** config.yaml's clients as records; throws an Error naming the first problem (never a key). */
export function clientsFromConfig (definitions: ClientDefinition[]): ClientRecord[] {
  const names = new Set<string>()
  const digests = new Set<string>()
  return definitions.map((definition) => {
    if (names.has(definition.name)) throw new Error(`client '${definition.name}' is defined twice`)
    names.add(definition.name)
    const keys = keysOf(definition)
    if (keys.length === 0) throw new Error(`client '${definition.name}' has no key: give key, key_sha256 or keys`)
    for (const key of keys) {
      if (digests.has(key.digest)) throw new Error(`client '${definition.name}' has a key another client (or itself) has too`)
      digests.add(key.digest)
    }
    if (definition.expires_at !== undefined && Number.isNaN(Date.parse(definition.expires_at))) throw new Error(`client '${definition.name}': expires_at is not a date`)
    return {
      name: definition.name,
      group: definition.group ?? null,
      models: definition.models ?? null,
      expiresAt: definition.expires_at ?? null,
      disabled: definition.disabled ?? false,
      limits: definition.limits ?? {},
      spend: definition.spend ?? {},
      keys,
      createdAt: '',
      updatedAt: ''
    }
  })
}

export function groupsFromConfig (definitions: GroupDefinition[]): GroupRecord[] {
  const names = new Set<string>()
  return definitions.map((definition) => {
    if (names.has(definition.name)) throw new Error(`group '${definition.name}' is defined twice`)
    names.add(definition.name)
    return { name: definition.name, limits: definition.limits ?? {}, spend: definition.spend ?? {}, createdAt: '', updatedAt: '' }
  })
}
