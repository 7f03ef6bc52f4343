import type { ChatCompletionRequest } from '../../schemas/chat-completion.js'
import { clientText, invalidRequest } from '../errors.js'
import type { UnsupportedFieldPolicy } from '../core/unsupported-fields.js'


// OpenAI fields with no Claude meaning. A value that asks for nothing (the field's default)
// is accepted quietly since many clients always send defaults; any other value is refused
// by name, or dropped when the configuration says so.
const NO_OP_DEFAULTS: Partial<Record<string, (value: unknown) => boolean>> = {
  seed: () => false,
  logprobs: (value) => value === false,
  top_logprobs: (value) => value === 0,
  logit_bias: (value) => typeof value === 'object' && value !== null && Object.keys(value).length === 0,
  presence_penalty: (value) => value === 0,
  frequency_penalty: (value) => value === 0,
  modalities: (value) => Array.isArray(value) && value.every((item) => item === 'text'),
  audio: () => false,
  prediction: () => false,
  store: (value) => value === false,
  function_call: () => false,
  functions: () => false,
  verbosity: () => false,
  safety_identifier: () => false
}

/** Fields the gateway translates or passes through; everything else is unknown. */
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p',
  'top_k', 'n', 'stop', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'reasoning_effort', 'user',
  'metadata', 'service_tier', 'thinking',
  // Translated when WEB_SEARCH is on, refused or dropped by the translation otherwise.
  'web_search_options',
  // Not sent upstream: it names the conversation for key affinity (lib/core/affinity.ts).
  'prompt_cache_key'
])

/**
 * Checks every top-level field of the request against the policy. Returns the names of the
 * fields that were dropped (to report them to the client in a header).
 */
export function checkUnsupportedFields (request: ChatCompletionRequest, policy: UnsupportedFieldPolicy): string[] {
  const dropped: string[] = []
  for (const [field, value] of Object.entries(request)) {
    if (value === null || value === undefined || HANDLED.has(field)) continue
    const isNoOp = Object.hasOwn(NO_OP_DEFAULTS, field) ? NO_OP_DEFAULTS[field] : undefined
    if (isNoOp?.(value)) continue
    if (policy === 'drop') {
      dropped.push(field)
      continue
    }
    throw isNoOp
      ? invalidRequest(`'${clientText(field)}' is not supported by Claude models; remove it or set UNSUPPORTED_FIELDS=drop`, field, 'unsupported_parameter')
      : invalidRequest(`Unrecognized request argument supplied: ${clientText(field)}`, field, 'unknown_parameter')
  }
  return dropped
}
