import type { ModelCapabilities } from '../anthropic/capabilities.js'
import type { AnthropicRequest } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

type SamplingField = 'temperature' | 'top_p' | 'top_k'
type SamplingVerdict = 'send' | 'drop' | 'omit'

export type SamplingValues = Partial<Record<SamplingField, number | null | undefined>>

/**
 * Temperature above 1 is clamped to 1 (Claude's maximum). Settings a model or thinking refuses
 * are left out and reported as dropped, since clients send them by default; a default value the
 * model would refuse to see is left out quietly.
 */
export function applySampling (body: AnthropicRequest, values: SamplingValues, caps: ModelCapabilities, thinking: boolean, dropped: string[]): void {
  const sampling: Array<[SamplingField, number | null | undefined]> = [
    ['temperature', values.temperature === null || values.temperature === undefined ? undefined : Math.min(values.temperature, 1)],
    ['top_p', values.top_p],
    ['top_k', values.top_k]
  ]
  for (const [field, value] of sampling) {
    if (value === null || value === undefined) continue
    const verdict = judgeSampling(field, value, caps, thinking, body)
    if (verdict === 'send') body[field] = value
    else if (verdict === 'drop') dropped.push(field)
  }
}

function judgeSampling (field: SamplingField, value: number, caps: ModelCapabilities, thinking: boolean, body: AnthropicRequest): SamplingVerdict {
  const isDefault = field !== 'top_k' && value === 1
  // Refused by the API version whatever the value: clients send defaults, so it is named, not a 400.
  if (caps.samplingRefused) return 'drop'
  if (caps.samplingLocked) return isDefault ? 'omit' : 'drop'
  if (thinking && refusedWhileThinking(field, value)) return 'drop'
  if (caps.temperatureOrTopP && field === 'top_p' && body.temperature !== undefined) return 'drop'
  return 'send'
}

/** With thinking on, temperature may only be 1, top_k must be unset and top_p within 0.95–1. */
function refusedWhileThinking (field: SamplingField, value: number): boolean {
  if (field === 'temperature') return value !== 1
  if (field === 'top_k') return true
  return value < 0.95
}

export function applyStopSequences (body: AnthropicRequest, stop: string[], param: string): void {
  stop.forEach((sequence, index) => {
    if (sequence.trim() === '') throw invalidRequest(`${param}[${index}] must contain non-whitespace characters`, param)
  })
  if (stop.length > 0) body.stop_sequences = stop
}
