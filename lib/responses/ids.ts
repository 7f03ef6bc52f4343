import { randomBytes } from 'node:crypto'

// Ids must be unique across instances and restarts (they key stored responses), so each
// carries 16 random bytes.
export function newId (prefix: 'resp' | 'msg' | 'fc' | 'ctc' | 'rs' | 'ws' | 'item' | 'cmp'): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`
}
