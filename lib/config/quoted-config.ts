import { REDACTED, redactAnthropicKeys } from '../core/redact.js'

/** A setting's name that says its value is a credential (client, admin and upstream keys, secrets). */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|SESSION|CREDENTIAL|AUTH/i
/** An optional indent and list dash, an optional `name:`, then the value. */
const LINE = /^(\s*)(-\s+)?(?:([A-Za-z_][\w.-]*)(\s*:)(?=\s|$))?(.*)$/
/** What is kept of a hidden value: the punctuation that makes a syntax error visible. */
const VALUE_WORDS = /[^\s[\]{},'"]+/g
/** user:password@ inside a URL (a proxy's or Redis's). */
const URL_CREDENTIALS = /(\/\/)[^/@\s]*@/g
const MAX_QUOTED_LINE = 120

function hideValue (value: string): string {
  return value.replace(VALUE_WORDS, REDACTED)
}

/** A value that may be shown, still without URL credentials, anything shaped like an Anthropic key or a trailing comment. */
function showValue (value: string): string {
  const comment = value.search(/\s#/)
  const kept = comment === -1 ? value : `${value.slice(0, comment + 2)}${hideValue(value.slice(comment + 2))}`
  return redactAnthropicKeys(kept.replace(URL_CREDENTIALS, `$1${REDACTED}@`))
}

/**
 * One line as it may be quoted: names are kept, and so is the value of a top-level setting that
 * `shows` names and whose name does not sound like a secret; every other value (list items,
 * nested sections, unknown settings, comments) keeps only its punctuation.
 */
function quoteLine (line: string, shows: (setting: string) => boolean): string {
  if (/^\s*#/.test(line)) return line.replace(/#(.*)/, (_, text: string) => `#${hideValue(text)}`)
  const match = LINE.exec(line)
  if (match === null) return hideValue(line)
  const [, indent, dash = '', name, colon = '', value] = match
  const visible = indent === '' && dash === '' && name !== undefined && !SECRET_NAME.test(name) && shows(name.toUpperCase())
  return `${indent}${dash}${name === undefined ? '' : name + colon}${visible ? showValue(value) : hideValue(value)}`
}

/**
 * The lines of a configuration file up to a fault (`line` from 0), numbered, the faulty one
 * marked, as a YAML parser would quote them but with every value hidden unless it belongs to a
 * setting known to hold no secret: a broken file may hold keys anywhere, even in comments.
 */
export function quoteConfigLines (text: string, line: number, shows: (setting: string) => boolean, before = 3): string {
  const lines = text.split(/\r?\n/)
  const last = Math.min(lines.length - 1, Math.max(0, line))
  const first = Math.max(0, last - before)
  const width = String(last + 1).length
  const quoted: string[] = []
  for (let index = first; index <= last; index++) {
    const shown = quoteLine(lines[index], shows)
    const clipped = shown.length > MAX_QUOTED_LINE ? `${shown.slice(0, MAX_QUOTED_LINE)}…` : shown
    quoted.push(`${index === last ? '>' : ' '} ${String(index + 1).padStart(width)} | ${clipped}`)
  }
  return quoted.join('\n')
}
