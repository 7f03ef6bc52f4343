/** What a secret is replaced with wherever it would leave the process. */
export const REDACTED = '[redacted]'

/**
 * Anything shaped like an Anthropic key (API, admin or session), whoever it belongs to. At least
 * 16 characters after the prefix: a real key has about 100, and a log label's bare 'sk-ant-api…'
 * carries nothing secret.
 */
const ANTHROPIC_KEY_SOURCE = 'sk-ant-[A-Za-z0-9_-]{16,}'
const ANTHROPIC_KEY = new RegExp(ANTHROPIC_KEY_SOURCE, 'g')

const MIN_SECRET_LENGTH = 8

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function redactPlainAnthropicKeys (text: string): string {
  return text.includes('sk-ant-') ? text.replace(ANTHROPIC_KEY, REDACTED) : text
}

/** The value of one JSON string literal (quotes included), or undefined when it is not one. */
function jsonStringValue (literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string
  } catch {
    return undefined
  }
}

/**
 * A JSON string may spell a secret with escapes (`sk\u002dant\u002d…`, `\/`) that a client's
 * parser reads back as the secret. Each string literal of `text` that uses an escape is decoded,
 * given to `redact`, and written back re-encoded when that changed it. One pass, linear in the
 * text; text without `\u` or `\/` is returned at once.
 */
function redactEscapedJsonStrings (text: string, redact: (plain: string) => string): string {
  if (!text.includes('\\u') && !text.includes('\\/')) return text
  let result = ''
  let copied = 0
  let start = text.indexOf('"')
  while (start !== -1) {
    let end = start + 1
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1
    if (end >= text.length) break
    const literal = text.slice(start, end + 1)
    const plain = literal.includes('\\') ? jsonStringValue(literal) : undefined
    if (plain !== undefined) {
      const clean = redact(plain)
      if (clean !== plain) {
        result += text.slice(copied, start) + JSON.stringify(clean)
        copied = end + 1
      }
    }
    start = text.indexOf('"', end + 1)
  }
  return copied === 0 ? text : result + text.slice(copied)
}

/** Removes Anthropic-shaped keys from text that came from elsewhere (an upstream error, say), as written or JSON-escaped. */
export function redactAnthropicKeys (text: string): string {
  return redactPlainAnthropicKeys(redactEscapedJsonStrings(text, redactPlainAnthropicKeys))
}

/**
 * The one redaction step for text leaving the process: every secret it has been given (as
 * written, and as it reads inside a JSON string) and anything shaped like an Anthropic key.
 */
export class Redactor {
  private readonly secrets = new Set<string>()
  private pattern = ANTHROPIC_KEY

  add (secrets: Iterable<string>): void {
    for (const secret of secrets) {
      // A "secret" of a few characters would be found inside every other word of a log line.
      if (secret.length < MIN_SECRET_LENGTH) continue
      this.secrets.add(secret)
      this.secrets.add(JSON.stringify(secret).slice(1, -1))
    }
    // Longest first, so a secret that contains another is removed whole.
    const alternatives = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp)
    this.pattern = new RegExp([...alternatives, ANTHROPIC_KEY_SOURCE].join('|'), 'g')
  }

  redact (text: string): string {
    return this.redactPlain(redactEscapedJsonStrings(text, (plain) => this.redactPlain(plain)))
  }

  private redactPlain (text: string): string {
    this.pattern.lastIndex = 0
    return this.pattern.test(text) ? text.replace(this.pattern, REDACTED) : text
  }
}

/**
 * The logger is created before the configuration is read, so the secrets it must hide are
 * registered here once known (a process may hold several gateways in tests: hiding the union
 * of their secrets is the safe side).
 */
export const logRedactor = new Redactor()
