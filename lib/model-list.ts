import type { Model, ModelList } from '../schemas/models.js'
import type { ModelAliases } from './anthropic/model-aliases.js'
import { retirementOf } from './anthropic/model-lifecycle.js'
import { THINKING_SUFFIX } from './chat/translate-request.js'
import { clientText, invalidRequest } from './errors.js'

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

export interface ListOptions {
  aliases: ModelAliases
  /** Follow each model with its `-thinking` variant (a Chat Completions convention; Anthropic clients do not get them). */
  thinkingVariants: boolean
}

function toModel (entry: UpstreamModelEntry): Model {
  const created = entry.created_at ? Math.floor(Date.parse(entry.created_at) / 1000) || 0 : 0
  return {
    id: entry.id,
    object: 'model',
    created,
    owned_by: 'anthropic',
    type: 'model',
    display_name: entry.display_name ?? entry.id,
    created_at: entry.created_at ?? new Date(created * 1000).toISOString()
  }
}

/** Each alias is listed like its target, under its own id. */
function withAliases (entries: UpstreamModelEntry[], aliases: ModelAliases): UpstreamModelEntry[] {
  const pairs = aliases.entries()
  const aliased = new Set(pairs.map(([alias]) => alias))
  const listed = entries.filter((entry) => !aliased.has(entry.id))
  for (const [alias, target] of pairs) {
    const found = entries.find((entry) => entry.id === target)
    listed.push({ id: alias, display_name: `${alias} (alias of ${target})`, created_at: found?.created_at })
  }
  return listed
}

/** The models a client may ask for. */
export function gatewayModels (entries: UpstreamModelEntry[], options: ListOptions): Model[] {
  return withAliases(entries, options.aliases).flatMap((entry) => {
    const base = toModel(entry)
    if (!options.thinkingVariants) return [base]
    return [base, { ...base, id: entry.id + THINKING_SUFFIX, display_name: `${base.display_name} (thinking)` }]
  })
}

/** One page holding every model: both SDKs stop paging on `has_more: false`. */
/** Anthropic's paging of the model list; with none of it the whole list is one page, as OpenAI clients expect. */
export interface ModelPaging { limit?: number; after_id?: string; before_id?: string }

/** One page of `models`: up to `limit` after `after_id`, or the last `limit` before `before_id`. */
export function modelPage (models: Model[], paging: ModelPaging = {}): ModelList {
  let start = 0
  let end = models.length
  if (paging.after_id !== undefined) start = indexOfCursor(models, paging.after_id, 'after_id') + 1
  if (paging.before_id !== undefined) end = indexOfCursor(models, paging.before_id, 'before_id')
  if (paging.limit !== undefined) {
    if (paging.before_id !== undefined && paging.after_id === undefined) start = Math.max(start, end - paging.limit)
    else end = Math.min(end, start + paging.limit)
  }
  const data = models.slice(start, Math.max(start, end))
  const hasMore = paging.before_id !== undefined && paging.after_id === undefined ? start > 0 : end < models.length
  return { object: 'list', data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
}

function indexOfCursor (models: Model[], id: string, param: 'after_id' | 'before_id'): number {
  const index = models.findIndex((model) => model.id === id)
  if (index === -1) throw invalidRequest(`${param}: no model with id '${clientText(id)}' in this list`, param)
  return index
}
