/** claude.ai web-session keys, which the gateway refuses: it speaks the official API only. */
export function isWebSessionKey (key: string): boolean {
  return key.startsWith('sk-ant-sid')
}

/** Admin API keys manage an organisation; they cannot call the Messages API. */
export function isAdminKey (key: string): boolean {
  return key.startsWith('sk-ant-admin')
}

/**
 * The shape of the API keys the Console issues: `sk-ant-api03-`, then 93 characters of the
 * URL-safe base64 alphabet, then `AA` — 108 characters in all (the figure secret scanners such
 * as gitleaks match on). The version digits are left open for the next key generation.
 */
const API_KEY_SHAPE = /^sk-ant-api\d{2}-[A-Za-z0-9_-]{93}AA$/

export function hasApiKeyShape (key: string): boolean {
  return API_KEY_SHAPE.test(key)
}

/** Why a key cannot be an Anthropic API key, in words for a person; undefined when it can. */
export function apiKeyProblem (key: string): string | undefined {
  if (isWebSessionKey(key)) return 'it is a claude.ai web session key (sk-ant-sid…), not an API key'
  if (isAdminKey(key)) return 'it is an Admin API key (sk-ant-admin…), which cannot call the Messages API'
  if (!hasApiKeyShape(key)) return 'it does not have the shape of an Anthropic API key (sk-ant-api03- followed by 95 letters, digits, - or _)'
  return undefined
}
