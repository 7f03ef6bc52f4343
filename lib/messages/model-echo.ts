// With an alias, the upstream answers with the target's id; the client is shown the id it
// asked for. Anthropic writes the model early and compactly (`"model":"…"` in the JSON answer
// and in `message_start`), so only the first occurrence within the first bytes is swapped and
// the rest of the answer flows through untouched.

/** How far into an answer the model field is looked for before giving up. */
const SEARCH_LIMIT = 64 * 1024

/** Passes chunks on, swapping the first `"model":"<upstream>"` for the requested id. */
export async function * echoRequestedModel (chunks: AsyncIterable<Buffer>, upstream: string, requested: string): AsyncGenerator<Buffer> {
  const wanted = Buffer.from(`"model":${JSON.stringify(upstream)}`)
  const replacement = Buffer.from(`"model":${JSON.stringify(requested)}`)
  let held: Buffer = Buffer.alloc(0)
  let searching = true
  let seen = 0
  for await (const chunk of chunks) {
    if (!searching) {
      yield chunk
      continue
    }
    seen += chunk.length
    held = held.length === 0 ? chunk : Buffer.concat([held, chunk])
    const at = held.indexOf(wanted)
    if (at >= 0) {
      searching = false
      yield Buffer.concat([held.subarray(0, at), replacement, held.subarray(at + wanted.length)])
    } else if (seen > SEARCH_LIMIT) {
      searching = false
      yield held
    } else {
      // Keep only what could be the start of a match split across chunks.
      const keep = Math.min(held.length, wanted.length - 1)
      if (held.length > keep) yield held.subarray(0, held.length - keep)
      held = held.subarray(held.length - keep)
    }
  }
  if (searching && held.length > 0) yield held
}
