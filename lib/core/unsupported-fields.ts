import { clientText, invalidRequest } from '../errors.js'

export type UnsupportedFieldPolicy = 'error' | 'drop'

/** Applies the policy to one field: a 400 naming it, or its name added to the dropped list. */
export function refuseOrDrop (field: string, message: string, param: string, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  if (policy === 'error') throw invalidRequest(`${message} (or set UNSUPPORTED_FIELDS=drop)`, param, 'unsupported_parameter')
  if (!dropped.includes(field)) dropped.push(field)
}

/** The dropped-fields header lists this many names at most, then how many more there were. */
const HEADER_NAMES_MAX = 32
const HEADER_CHARS_MAX = 1024

/**
 * The `x-claude2api-dropped-fields` value: names are client-chosen, so each is percent-encoded
 * outside printable ASCII (no CR/LF, nothing a header cannot carry) and the list is bounded.
 */
export function droppedFieldsHeader (dropped: readonly string[]): string {
  const shown: string[] = []
  let length = 0
  for (const name of dropped) {
    const encoded = clientText(name).replace(/[^\x21-\x7e]|[%,]/gu, (char) => encodeURIComponent(char))
    if (shown.length >= HEADER_NAMES_MAX || length + encoded.length + 1 > HEADER_CHARS_MAX) break
    shown.push(encoded)
    length += encoded.length + 1
  }
  const more = dropped.length - shown.length
  return more > 0 ? [...shown, `...+${more} more`].join(',') : shown.join(',')
}
