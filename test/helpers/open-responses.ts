// What the Open Responses specification (github openresponses/openresponses, read at commit
// 92c12d96d7b61d6d15e2214daa5e9c6000ab6e1c of its fork Stars1233/openresponses) requires of a
// response object and of streamed events, written out as checks of our own.

/** Required fields of ResponseResource, each with the JSON types it may take. */
export const REQUIRED_RESPONSE_FIELDS: Record<string, string[]> = {
  id: ['string'], object: ['string'], created_at: ['number'], completed_at: ['number', 'null'], status: ['string'],
  incomplete_details: ['object', 'null'], model: ['string'], previous_response_id: ['string', 'null'], instructions: ['string', 'null'],
  output: ['array'], error: ['object', 'null'], tools: ['array'], tool_choice: ['string', 'object'], truncation: ['string'],
  parallel_tool_calls: ['boolean'], text: ['object'], top_p: ['number'], presence_penalty: ['number'], frequency_penalty: ['number'],
  top_logprobs: ['number'], temperature: ['number'], reasoning: ['object', 'null'], usage: ['object', 'null'], max_output_tokens: ['number', 'null'],
  max_tool_calls: ['number', 'null'], store: ['boolean'], background: ['boolean'], service_tier: ['string'], metadata: ['object'],
  safety_identifier: ['string', 'null'], prompt_cache_key: ['string', 'null']
}

export function jsonType (value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
}

/** Everything wrong with a response object, as readable lines (empty when it conforms). */
export function responseProblems (response: any): string[] {
  if (response === null || typeof response !== 'object') return ['no response object']
  const problems = Object.entries(REQUIRED_RESPONSE_FIELDS)
    .filter(([field, types]) => !types.includes(jsonType(response[field])))
    .map(([field, types]) => `${field} should be ${types.join(' or ')}, is ${jsonType(response[field])}`)
  if (response.object !== 'response') problems.push(`object is ${String(response.object)}`)
  for (const [index, tool] of (response.tools ?? []).entries()) {
    if (tool.type !== 'function') continue
    for (const field of ['description', 'parameters', 'strict']) if (!(field in tool)) problems.push(`tools[${index}].${field} is missing`)
  }
  for (const [index, item] of (response.output ?? []).entries()) {
    if (typeof item.type !== 'string') problems.push(`output[${index}] has no type`)
    if (item.type === 'message' && (typeof item.id !== 'string' || typeof item.status !== 'string' || !Array.isArray(item.content))) problems.push(`output[${index}] is not a full message`)
    if (item.type === 'function_call' && [item.call_id, item.name, item.arguments].some((value) => typeof value !== 'string')) problems.push(`output[${index}] is not a full function_call`)
  }
  if (response.usage) {
    for (const field of ['input_tokens', 'output_tokens', 'total_tokens']) if (typeof response.usage[field] !== 'number') problems.push(`usage.${field} is missing`)
  }
  return problems
}

/** Streamed event types the specification defines (error included). */
const EVENT_TYPES = new Set([
  'response.created', 'response.queued', 'response.in_progress', 'response.completed', 'response.failed', 'response.incomplete',
  'response.output_item.added', 'response.output_item.done', 'response.content_part.added', 'response.content_part.done',
  'response.output_text.delta', 'response.output_text.done', 'response.refusal.delta', 'response.refusal.done',
  'response.function_call_arguments.delta', 'response.function_call_arguments.done',
  'response.reasoning_summary_part.added', 'response.reasoning_summary_part.done', 'response.reasoning.delta', 'response.reasoning.done',
  'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.done', 'response.output_text.annotation.added', 'error'
])

/** Problems with a turn's events: unknown types, missing sequence numbers, a non-conforming terminal response. */
export function eventProblems (events: any[]): string[] {
  const problems: string[] = []
  if (events.length === 0) problems.push('no events')
  for (const event of events) {
    if (!EVENT_TYPES.has(event.type)) problems.push(`unknown event type ${String(event.type)}`)
    else if (event.type !== 'error' && !Number.isInteger(event.sequence_number)) problems.push(`${String(event.type)} has no sequence_number`)
    if (event.type === 'error' && (typeof event.error?.code !== 'string' || typeof event.error?.message !== 'string')) problems.push('error event without code and message')
  }
  return problems
}

/** Problems with a WebSocket error frame: type error, an HTTP-style status, a code and a message. */
export function errorFrameProblems (frame: any): string[] {
  if (frame?.type !== 'error') return ['not an error frame']
  const problems: string[] = []
  if (!Number.isInteger(frame.status)) problems.push('status is not an integer')
  if (typeof frame.error?.code !== 'string') problems.push('error.code is not a string')
  if (typeof frame.error?.message !== 'string') problems.push('error.message is not a string')
  return problems
}
