import { invalidRequest } from '../errors.js'

export type UnsupportedFieldPolicy = 'error' | 'drop'

/** Applies the policy to one field: a 400 naming it, or its name added to the dropped list. */
export function refuseOrDrop (field: string, message: string, param: string, policy: UnsupportedFieldPolicy, dropped: string[]): void {
  if (policy === 'error') throw invalidRequest(`${message} (or set UNSUPPORTED_FIELDS=drop)`, param, 'unsupported_parameter')
  if (!dropped.includes(field)) dropped.push(field)
}
