import { invalidRequest } from '../errors.js'
import { scanTopLevel, type ValueSpan } from './json-scanner.js'

/** What the pass-through needs from a Messages request body; the body itself stays as bytes. */
export interface RequestHead {
  /** The model id, when `model` is a string. */
  model: string | undefined
  /** Where the model's string lies in the body, to swap an alias for its target. */
  modelSpan: ValueSpan | undefined
  stream: boolean
}

/** Reads `model` and `stream` from a Messages body; anything but one JSON object is a 400. */
export function readRequestHead (body: Buffer | undefined): RequestHead {
  if (body === undefined || body.length === 0) throw invalidRequest('Request body is empty; send a JSON object', null, 'invalid_json')
  const scan = scanTopLevel(body)
  if (!scan.ok) throw invalidRequest(`Request body must be a JSON object: ${scan.reason}`, null, 'invalid_json')
  const span = scan.fields.get('model')
  const modelSpan = span?.kind === 'string' ? span : undefined
  const model = modelSpan ? JSON.parse(body.toString('utf8', modelSpan.start, modelSpan.end)) as string : undefined
  return { model, modelSpan, stream: scan.fields.get('stream')?.kind === 'true' }
}

/** The body with only the bytes of one string value replaced by `value` (JSON-encoded). */
export function replaceString (body: Buffer, span: ValueSpan, value: string): Buffer {
  return Buffer.concat([body.subarray(0, span.start), Buffer.from(JSON.stringify(value), 'utf8'), body.subarray(span.end)])
}
