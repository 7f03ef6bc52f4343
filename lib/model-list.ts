import type { Model } from '../schemas/models.js'
import { retirementOf } from './anthropic/model-lifecycle.js'
import { THINKING_SUFFIX } from './chat/translate-request.js'

export interface UpstreamModelEntry { id: string; display_name?: string; created_at?: string }

/** Served when the upstream's list cannot be had: models with no announced retirement (a retired one is left out on the day anyway). */
export const BUILT_IN_MODELS: UpstreamModelEntry[] = [
  { id: 'claude-opus-5', display_name: 'Claude Opus 5' },
  { id: 'claude-sonnet-5', display_name: 'Claude Sonnet 5' },
  { id: 'claude-fable-5', display_name: 'Claude Fable 5' },
  { id: 'claude-opus-4-8', display_name: 'Claude Opus 4.8' },
  { id: 'claude-opus-4-7', display_name: 'Claude Opus 4.7' },
  { id: 'claude-opus-4-6', display_name: 'Claude Opus 4.6' },
  { id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6' },
  { id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5' }
]

/** The built-in models still answering on `today`. */
export function currentBuiltInModels (today: Date = new Date()): UpstreamModelEntry[] {
  return BUILT_IN_MODELS.filter((model) => retirementOf(model.id, today) === undefined)
}

/** Each upstream model, followed by its `-thinking` variant for clients that cannot send extra fields. */
export function toOpenAIModels (entries: UpstreamModelEntry[]): Model[] {
  return entries.flatMap((entry) => {
    const created = entry.created_at ? Math.floor(Date.parse(entry.created_at) / 1000) || 0 : 0
    const base: Model = { id: entry.id, object: 'model', created, owned_by: 'anthropic' }
    if (entry.display_name) base.display_name = entry.display_name
    const thinking: Model = { ...base, id: entry.id + THINKING_SUFFIX }
    if (entry.display_name) thinking.display_name = `${entry.display_name} (thinking)`
    return [base, thinking]
  })
}
