/**
 * MODEL_ALIASES: model ids clients ask for, mapped onto ids the upstream keys can use
 * (`claude-opus-5-5=claude-opus-4-8,claude-3-5-sonnet-latest=claude-sonnet-4-6`). One step,
 * never chained; an id that is no alias is its own upstream id.
 */
export class ModelAliases {
  private readonly targets: ReadonlyMap<string, string>

  constructor (pairs: Iterable<[string, string]> = []) {
    this.targets = new Map(pairs)
  }

  /** Parses `alias=target,alias=target`; throws an Error naming the first bad entry. */
  static parse (text: string | undefined): ModelAliases {
    const pairs = new Map<string, string>()
    for (const entry of (text ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
      const [alias, target, extra] = entry.split('=').map((part) => part.trim())
      if (!alias || !target || extra !== undefined) throw new Error(`'${entry}' is not of the form alias=target`)
      if (alias === target) throw new Error(`'${entry}' maps a model onto itself`)
      if (pairs.has(alias)) throw new Error(`'${alias}' is given twice`)
      pairs.set(alias, target)
    }
    return new ModelAliases(pairs)
  }

  /** The upstream id for what a client asked for. */
  resolveModel (requested: string): string {
    return this.targets.get(requested) ?? requested
  }

  /** [alias, target] pairs, in the order configured. */
  entries (): Array<[string, string]> {
    return [...this.targets]
  }
}
