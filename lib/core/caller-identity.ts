import { hash } from 'node:crypto'

/**
 * Who is calling, for per-tenant state (stored responses, sealed reasoning): a digest of the key
 * the caller presented (client key, or own Anthropic key in mirror mode), never the key itself.
 */
export function callerIdentity (presentedKey: string): string {
  return hash('sha256', `claude2api caller\n${presentedKey}`, 'base64url').slice(0, 32)
}

/** A named client's identity: the same whichever of its keys (old or rotated) it presents. */
export function namedClientIdentity (name: string): string {
  return hash('sha256', `claude2api client\n${name}`, 'base64url').slice(0, 32)
}
