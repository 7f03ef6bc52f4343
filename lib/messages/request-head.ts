import type { ConversationStart } from '../core/affinity.js'
import { invalidRequest } from '../errors.js'
import { MAX_JSON_DEPTH } from '../json-depth.js'
import { scanTopLevel, type ValueSpan } from './json-scanner.js'

/** What the pass-through needs from a Messages request body; the body itself stays as bytes. */
export interface RequestHead {
  /** The model id, when `model` is a string. */
  model: string | undefined
  /** Where the model's string lies in the body, to swap an alias for its target. */
  modelSpan: ValueSpan | undefined
  stream: boolean
  /** Where each top-level field lies, for reading a few of them later without parsing the rest. */
  spans: ReadonlyMap<string, ValueSpan>
}

/** Reads `model` and `stream` from a Messages body; anything but one JSON object is a 400. */
export function readRequestHead (body: Buffer | undefined): RequestHead {
  if (body === undefined || body.length === 0) throw invalidRequest('Request body is empty; send a JSON object', null, 'invalid_json')
  // The translated routes' depth limit: the parts read later (system, tools, first message) stay parseable.
  const scan = scanTopLevel(body, MAX_JSON_DEPTH)
  if (!scan.ok && scan.tooDeep === true) throw invalidRequest(`Request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`, null, 'invalid_json')
  if (!scan.ok) throw invalidRequest(`Request body must be a JSON object: ${scan.reason}`, null, 'invalid_json')
  const span = scan.fields.get('model')
  const modelSpan = span?.kind === 'string' ? span : undefined
  const model = modelSpan ? JSON.parse(body.toString('utf8', modelSpan.start, modelSpan.end)) as string : undefined
  return { model, modelSpan, stream: scan.fields.get('stream')?.kind === 'true', spans: scan.fields }
}

/**
 * What stays the same for every turn of a conversation (system, tools, first message), parsed
 * from those spans only: the work is the size of the conversation's start, not of its history.
 */
export function conversationStartOf (body: Buffer, head: RequestHead, model: string): ConversationStart {
  const parse = (span: { start: number; end: number } | undefined): unknown => span === undefined ? undefined : JSON.parse(body.toString('utf8', span.start, span.end))
  const first = parse(head.spans.get('messages')?.first) as ConversationStart['messages'][number] | undefined
  return { model, system: parse(head.spans.get('system')), tools: parse(head.spans.get('tools')), messages: first === undefined ? [] : [first] }
}

/** The body with only the bytes of one string value replaced by `value` (JSON-encoded). */
export function replaceString (body: Buffer, span: ValueSpan, value: string): Buffer {
  return Buffer.concat([body.subarray(0, span.start), Buffer.from(JSON.stringify(value), 'utf8'), body.subarray(span.end)])
}
