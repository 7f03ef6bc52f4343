/**
 * Deepest nesting of objects and arrays accepted in a JSON body. Far above what a tool schema
 * needs, far below what JSON.stringify survives when the body is forwarded upstream.
 */
export const MAX_JSON_DEPTH = 128

/** True when objects and arrays nest deeper than `limit`; brackets inside strings do not count. */
export function exceedsJsonDepth (text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index)
    if (inString) {
      if (char === 0x5c) index++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) {
      inString = true
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > limit) return true
    } else if (char === 0x7d || char === 0x5d) {
      depth--
    }
  }
  return false
}
