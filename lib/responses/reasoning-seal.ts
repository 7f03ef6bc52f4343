import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto'
import { isReasoningBlock, type ReasoningBlock } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const PREFIX = 'c2a1.'

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
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(identity))
    const body = Buffer.concat([cipher.update(JSON.stringify(blocks), 'utf8'), cipher.final()])
    return PREFIX + Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString('base64url')
  }

  /** The blocks in a blob this gateway sealed for this caller; anything else is a 400 naming `param`. */
  unseal (blob: string, identity: string, param: string): ReasoningBlock[] {
    const refused = (): Error => invalidRequest(`${param} was not issued by this gateway for this API key, or was altered; send the reasoning item back exactly as it was received`, param, 'invalid_encrypted_content')
    if (!blob.startsWith(PREFIX)) throw refused()
    const raw = Buffer.from(blob.slice(PREFIX.length), 'base64url')
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) throw refused()
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(1, 1 + IV_BYTES))
      decipher.setAAD(Buffer.from(identity))
      decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES))
      const text = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
      const blocks = JSON.parse(text) as unknown
      if (!Array.isArray(blocks) || !blocks.every((block) => isReasoningBlock(block as ReasoningBlock))) throw new Error('not thinking blocks')
      return blocks as ReasoningBlock[]
    } catch {
      throw refused()
    }
  }
}

/** Without RESPONSES_SECRET the key comes from the configured keys, so it is stable across restarts and shared by instances configured alike. */
export function sealSecret (configured: string | undefined, keys: string[]): string {
  if (configured) return configured
  return hash('sha256', ['claude2api reasoning', ...[...keys].sort()].join('\n'), 'hex')
}
