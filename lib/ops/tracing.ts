import type { Attributes } from '@opentelemetry/api'
import type { AnthropicUsage } from '../anthropic/types.js'

/** What one finished upstream answer tells a trace; never prompt or completion text. */
export interface TracedAnswer {
  /** The model id the upstream answered with. */
  model: string
  usage: AnthropicUsage
  stopReason?: string | null
  responseId?: string
}

/** The protocol a route speaks, from its pattern; undefined for routes that are not API traffic. */
export function protocolOf (route: string): 'chat' | 'responses' | 'messages' | 'models' | undefined {
  if (route.endsWith('/chat/completions')) return 'chat'
  if (route.includes('/responses')) return 'responses'
  if (route.includes('/messages')) return 'messages'
  if (route.includes('/models')) return 'models'
  return undefined
}

/** GenAI's operation name: every protocol here is a chat with the model, except listing models. */
export function operationOf (protocol: ReturnType<typeof protocolOf>): string {
  return protocol === 'models' ? 'list_models' : 'chat'
}

/** `{operation} {model}` as the GenAI conventions name inference spans; the operation alone without a model. */
export function spanName (operation: string, model: string | undefined): string {
  return model ? `${operation} ${model}` : operation
}

/**
 * Token counts in the GenAI conventions' terms. Anthropic's `input_tokens` leaves out cache
 * reads and writes; the conventions' input count includes them, with the two cache counts
 * given separately as well.
 */
export function usageAttributes (usage: AnthropicUsage): Attributes {
  const cacheRead = usage.cache_read_input_tokens ?? 0
  const cacheWrite = usage.cache_creation_input_tokens ?? 0
  return {
    'gen_ai.usage.input_tokens': (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    'gen_ai.usage.output_tokens': usage.output_tokens ?? 0,
    'gen_ai.usage.cache_read.input_tokens': cacheRead,
    'gen_ai.usage.cache_creation.input_tokens': cacheWrite
  }
}

/** Adds one answer to what a request span has seen so far (a chat request with `n` > 1 makes several). */
export class AnswerTotals {
  private input = 0
  private output = 0
  private cacheRead = 0
  private cacheWrite = 0
  private readonly reasons: string[] = []
  private model: string | undefined
  private responseId: string | undefined
  private answers = 0

  add (answer: TracedAnswer): void {
    this.answers++
    this.input += answer.usage.input_tokens ?? 0
    this.output += answer.usage.output_tokens ?? 0
    this.cacheRead += answer.usage.cache_read_input_tokens ?? 0
    this.cacheWrite += answer.usage.cache_creation_input_tokens ?? 0
    if (answer.stopReason) this.reasons.push(answer.stopReason)
    this.model = answer.model
    this.responseId ??= answer.responseId
  }

  attributes (): Attributes {
    if (this.answers === 0) return {}
    const attributes: Attributes = {
      ...usageAttributes({ input_tokens: this.input, output_tokens: this.output, cache_read_input_tokens: this.cacheRead, cache_creation_input_tokens: this.cacheWrite }),
      'gen_ai.response.model': this.model
    }
    if (this.reasons.length > 0) attributes['gen_ai.response.finish_reasons'] = this.reasons
    if (this.responseId) attributes['gen_ai.response.id'] = this.responseId
    return attributes
  }
}

/** The OTLP/HTTP traces address: the signal-specific endpoint as given, else the base one with `/v1/traces`. */
export function tracesUrl (endpoint: string | undefined, tracesEndpoint: string | undefined): string | undefined {
  if (tracesEndpoint) return tracesEndpoint
  if (!endpoint) return undefined
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`
}
