import { hash } from 'node:crypto'

/** One upstream key as the operator listed it: `[name=]secret[;weight=N][;priority=N][;max_concurrency=N]`. */
export interface KeySpec {
  secret: string
  /** The operator's name for the key, if given; otherwise the label is derived from the key. */
  name?: string
  /** Relative share of new conversations among keys with equal headroom (1 to 100). */
  weight: number
  /** Keys of a higher priority are used first while they have headroom (0 unless set). */
  priority: number
  /** Requests this key may serve at once on one instance; undefined: KEY_MAX_CONCURRENCY. */
  maxConcurrency?: number
}

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,39}$/
const OPTION = /^(weight|priority|max_concurrency)=(\d{1,6})$/
const MAX_WEIGHT = 100

/** Parses one entry of ANTHROPIC_API_KEYS; throws an Error whose message never quotes the secret. */
export function parseKeySpec (entry: string, position: number): KeySpec {
  const [head, ...options] = entry.split(';').map((part) => part.trim())
  const spec: KeySpec = { secret: head, weight: 1, priority: 0 }
  const equals = head.indexOf('=')
  // Keys never contain '=', so the first one separates an operator's name from the key.
  if (equals > 0 && !head.startsWith('sk-')) {
    const name = head.slice(0, equals).trim()
    if (!NAME.test(name)) throw new Error(`entry ${position + 1}: a key name is a letter then up to 39 letters, digits, '.', '_' or '-'`)
    spec.name = name
    spec.secret = head.slice(equals + 1).trim()
  }
  if (spec.secret === '') throw new Error(`entry ${position + 1}: no key after the name`)
  for (const option of options) {
    const match = OPTION.exec(option)
    if (match === null) throw new Error(`entry ${position + 1}: unknown option (expected weight=N, priority=N or max_concurrency=N)`)
    const value = Number(match[2])
    if (match[1] === 'weight') {
      if (value < 1 || value > MAX_WEIGHT) throw new Error(`entry ${position + 1}: weight must be 1 to ${MAX_WEIGHT}`)
      spec.weight = value
    } else if (match[1] === 'priority') {
      spec.priority = value
    } else {
      if (value < 1) throw new Error(`entry ${position + 1}: max_concurrency must be at least 1`)
      spec.maxConcurrency = value
    }
  }
  return spec
}

/** Parses every entry; names and keys must each be unique. */
export function parseKeySpecs (entries: string[]): KeySpec[] {
  const specs = entries.map(parseKeySpec)
  const names = new Set<string>()
  const secrets = new Set<string>()
  specs.forEach((spec, position) => {
    if (spec.name !== undefined && names.has(spec.name)) throw new Error(`entry ${position + 1}: the name '${spec.name}' is used twice`)
    if (secrets.has(spec.secret)) throw new Error(`entry ${position + 1}: the same key is listed twice`)
    if (spec.name !== undefined) names.add(spec.name)
    secrets.add(spec.secret)
  })
  return specs
}

/** The public part of a Console key (`sk-ant-api03-`), or undefined for a key of another shape. */
const CONSOLE_PREFIX = /^sk-ant-[a-z]+\d*-/
/** Below this length the last four characters are too much of the key to show. */
export const MIN_LENGTH_FOR_SUFFIX = 24

/**
 * How logs, metrics and the status page name a key, the way Anthropic's Console does: its
 * public prefix and last four characters (`sk-ant-api03-…AbCd`), or the operator's name. It
 * depends only on the key, so every replica names it the same whatever the list's order.
 */
export function keyLabel (secret: string, name?: string): string {
  if (name !== undefined) return name
  if (secret.length < MIN_LENGTH_FOR_SUFFIX) return `key-${hash('sha256', secret, 'hex').slice(0, 6)}`
  const prefix = CONSOLE_PREFIX.exec(secret)?.[0] ?? ''
  return `${prefix}…${secret.slice(-4)}`
}

/** Labels for a whole pool: two keys that would read alike get a short digest each. */
export function keyLabels (specs: ReadonlyArray<Pick<KeySpec, 'secret' | 'name'>>): string[] {
  const plain = specs.map((spec) => keyLabel(spec.secret, spec.name))
  const counts = new Map<string, number>()
  for (const label of plain) counts.set(label, (counts.get(label) ?? 0) + 1)
  return plain.map((label, index) => counts.get(label)! > 1 ? `${label} (${hash('sha256', specs[index].secret, 'hex').slice(0, 4)})` : label)
}
