import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto'
import { isReasoningBlock, type ReasoningBlock } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const PREFIX = 'c2a1.'
const SUMMARY_PREFIX = 'c2c1.'

/**
 * Seals Claude's thinking blocks (text, signatures, redacted thinking) into a reasoning item's
 * `encrypted_content`, so a client that keeps no server state (Codex with store:false) can give
 * them back on the next turn. AES-256-GCM under a key derived (HKDF-SHA256) from configuration,
 * with the caller's identity as associated data: a blob is opaque to the client, any change to it
 * is detected, and one tenant's blob does not open for another.
 */
export class ReasoningSeal {
  private readonly key: Buffer

  constructor (secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'claude2api-responses', 'reasoning encrypted_content v1', 32))
  }

  seal (blocks: ReasoningBlock[], identity: string): string {
    return this.encrypt(PREFIX, JSON.stringify(blocks), identity)
  }

  /** The blocks in a blob this gateway sealed for this caller; anything else is a 400 naming `param`. */
  unseal (blob: string, identity: string, param: string): ReasoningBlock[] {
    const refused = (): Error => invalidRequest(`${param} was not issued by this gateway for this API key, or was altered; send the reasoning item back exactly as it was received`, param, 'invalid_encrypted_content')
    const blocks = this.decrypt(PREFIX, blob, identity)
    if (!Array.isArray(blocks) || !blocks.every((block) => isReasoningBlock(block as ReasoningBlock))) throw refused()
    return blocks as ReasoningBlock[]
  }

  /** A compaction item's encrypted_content: the summary that replaces a conversation. */
  sealSummary (summary: string, identity: string): string {
    return this.encrypt(SUMMARY_PREFIX, JSON.stringify({ summary }), `compaction:${identity}`)
  }

  unsealSummary (blob: string, identity: string, param: string): string {
    const opened = this.decrypt(SUMMARY_PREFIX, blob, `compaction:${identity}`) as { summary?: unknown } | undefined
    if (typeof opened?.summary !== 'string') {
      throw invalidRequest(`${param} was not issued by this gateway for this API key, or was altered; send the compaction item back exactly as it was received`, param, 'invalid_encrypted_content')
    }
    return opened.summary
  }

  private encrypt (prefix: string, text: string, associated: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(associated))
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()])
    return prefix + Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString('base64url')
  }

  /** The parsed JSON of a blob sealed with `prefix` for `associated`, or undefined for anything else. */
  private decrypt (prefix: string, blob: string, associated: string): unknown {
    if (!blob.startsWith(prefix)) return undefined
    const raw = Buffer.from(blob.slice(prefix.length), 'base64url')
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(1, 1 + IV_BYTES))
      decipher.setAAD(Buffer.from(associated))
      decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES))
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')) as unknown
    } catch {
      return undefined
    }
  }
}

/** Without RESPONSES_SECRET the key comes from the configured keys, so it is stable across restarts and shared by instances configured alike. */
export function sealSecret (configured: string | undefined, keys: string[]): string {
  if (configured) return configured
  return hash('sha256', ['claude2api reasoning', ...[...keys].sort()].join('\n'), 'hex')
}
