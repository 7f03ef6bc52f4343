import { GatewayError } from '../errors.js'

/**
 * Models Anthropic has retired or has announced it will retire, with the day requests to them
 * start failing upstream and the model to use instead (Anthropic's model-deprecations page).
 * Data, not code: add a row when a retirement is announced.
 */
export interface Retirement {
  /** Every id of the model: the dated id, its alias and `-0`/`-latest` forms. */
  ids: RegExp
  name: string
  /** First day (UTC) the model no longer answers. */
  retiresOn: string
  replacement: string
}

export const RETIREMENTS: readonly Retirement[] = [
  { ids: /^claude-3-5-sonnet(-\d{8}|-latest)?$/, name: 'Claude Sonnet 3.5', retiresOn: '2025-10-22', replacement: 'claude-sonnet-4-6' },
  { ids: /^claude-3-opus(-\d{8}|-latest)?$/, name: 'Claude Opus 3', retiresOn: '2026-01-05', replacement: 'claude-opus-4-8' },
  { ids: /^claude-3-7-sonnet(-\d{8}|-latest)?$/, name: 'Claude Sonnet 3.7', retiresOn: '2026-02-19', replacement: 'claude-sonnet-4-6' },
  { ids: /^claude-sonnet-4(-0|-\d{8})?$/, name: 'Claude Sonnet 4', retiresOn: '2026-06-15', replacement: 'claude-sonnet-4-6' },
  { ids: /^claude-opus-4(-0|-\d{8})?$/, name: 'Claude Opus 4', retiresOn: '2026-06-15', replacement: 'claude-opus-4-8' },
  { ids: /^claude-sonnet-4-5(-\d{8})?$/, name: 'Claude Sonnet 4.5', retiresOn: '2026-11-30', replacement: 'claude-sonnet-4-6' },
  { ids: /^claude-opus-4-5(-\d{8})?$/, name: 'Claude Opus 4.5', retiresOn: '2027-01-22', replacement: 'claude-opus-4-8' }
]

/** The retirement that applies to `model` on `today`, if it is already retired. */
export function retirementOf (model: string, today: Date, table: readonly Retirement[] = RETIREMENTS): Retirement | undefined {
  const day = today.toISOString().slice(0, 10)
  return table.find((entry) => entry.ids.test(model) && day >= entry.retiresOn)
}

/**
 * A retired model is answered here, naming its replacement, instead of with the upstream's bare
 * 404. Runs on the upstream id, after MODEL_ALIASES, so an alias can keep an old id working.
 */
export function checkNotRetired (model: string, today: Date): void {
  const retired = retirementOf(model, today)
  if (!retired) return
  throw new GatewayError(404, 'not_found_error',
    `Model ${model} (${retired.name}) was retired by Anthropic on ${retired.retiresOn}; use ${retired.replacement} instead, or map the old id onto it with MODEL_ALIASES=${model}=${retired.replacement}`,
    { param: 'model', code: 'model_retired' })
}
