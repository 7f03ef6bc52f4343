import type { Model } from '../schemas/models.js'
import { THINKING_SUFFIX } from './chat/translate-request.js'

export interface UpstreamModelEntry { id: string; display_name?: string; created_at?: string }

/** Served when the upstream's list cannot be had. */
export const BUILT_IN_MODELS: UpstreamModelEntry[] = [
  { id: 'claude-opus-4-7', display_name: 'Claude Opus 4.7' },
  { id: 'claude-opus-4-6', display_name: 'Claude Opus 4.6' },
  { id: 'claude-sonnet-4-6', display_name: 'Claude Sonnet 4.6' },
  { id: 'claude-opus-4-5-20251101', display_name: 'Claude Opus 4.5' },
  { id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5' },
  { id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5' }
]

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
