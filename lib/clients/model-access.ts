/**
 * A client's allowed models: exact ids or globs (`*` any run of characters, `?` one), matched
 * against the upstream id (after MODEL_ALIASES), so an alias cannot open a model the list closes.
 */
export class ModelAccess {
  private readonly patterns: RegExp[] | null

  constructor (models: readonly string[] | null | undefined) {
    this.patterns = models == null ? null : models.map(globToRegExp)
  }

  get restricted (): boolean {
    return this.patterns !== null
  }

  allows (upstreamModel: string): boolean {
    return this.patterns === null || this.patterns.some((pattern) => pattern.test(upstreamModel))
  }
}

function globToRegExp (glob: string): RegExp {
  const body = glob.split('').map((char) => char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')
  return new RegExp(`^${body}$`)
}
