/** Shorter client keys can be guessed by anyone who can reach the port; the warning names this figure. */
export const MIN_CLIENT_KEY_LENGTH = 16

/** Client keys copied from examples and tutorials instead of being made up. */
const PLACEHOLDERS = new Set(['choose-a-long-random-client-key', 'changeme', 'changeit', 'password', 'secret', 'apikey', 'api-key', 'client-key', 'your-key', 'your-api-key', 'your-client-key', 'xxx', 'example', 'placeholder', 'test', 'todo'])
/** Shapes of placeholders: `sk-ant-api03-REPLACE-ME-1`, `<your key>`, `sk-…`, `xxxx-xxxx`. */
const PLACEHOLDER_SHAPES = [/replace[-_ ]?me/i, /^<.*>$/, /…|\.\.\./, /^[x*-]+$/i, /^your[-_ ]/i]

/** A client key copied from an example instead of made up. */
export function isPlaceholderClientKey (key: string): boolean {
  const normal = key.toLowerCase().replace(/_/g, '-').replace(/^change-me$/, 'changeme')
  return PLACEHOLDERS.has(normal) || PLACEHOLDER_SHAPES.some((shape) => shape.test(key))
}

/**
 * What is wrong with each client key, named by position (never the key): placeholders are
 * `refused`, keys shorter than {@link MIN_CLIENT_KEY_LENGTH} only `warned` about.
 */
export function checkClientKeys (setting: string, keys: readonly string[]): { refused: string[]; warned: string[] } {
  const refused: string[] = []
  const warned: string[] = []
  keys.forEach((key, index) => {
    const name = `${setting}: client key #${index + 1}`
    if (isPlaceholderClientKey(key)) refused.push(`${name} is a placeholder from an example; put a long random key in its place (e.g. the output of \`openssl rand -hex 24\`)`)
    else if (key.length < MIN_CLIENT_KEY_LENGTH) warned.push(`${name} is shorter than ${MIN_CLIENT_KEY_LENGTH} characters; anyone who can reach the gateway may guess it: use a long random key`)
  })
  return { refused, warned }
}
