/** claude.ai web-session keys, which the gateway refuses: it speaks the official API only. */
export function isWebSessionKey (key: string): boolean {
  return key.startsWith('sk-ant-sid')
}

/** A key that can call the Anthropic API (as opposed to a session key or anything else). */
export function isAnthropicApiKey (key: string): boolean {
  return key.startsWith('sk-ant-') && !isWebSessionKey(key)
}
