import { closestName } from './closest-name.js'

/** The part of a JSON schema that says which keys an object or the items of a list may have. */
interface ShapeSchema {
  properties?: Record<string, ShapeSchema>
  items?: ShapeSchema
}

export interface UnknownSetting {
  /** Where it is, as written: `adress`, `model_capabilities[0].thinkng`. */
  path: string
  /** The known name nearest to it, in the case the file uses, when one is near enough. */
  suggestion: string | undefined
}

/** Writes a suggestion in the case of the name it replaces (YAML settings may be in any case). */
function inCaseOf (written: string, name: string): string {
  return written === written.toUpperCase() ? name.toUpperCase() : written === written.toLowerCase() ? name.toLowerCase() : name
}

function unknownInside (value: unknown, schema: ShapeSchema, path: string): UnknownSetting | undefined {
  if (Array.isArray(value)) {
    if (schema.items === undefined) return undefined
    for (const [index, item] of value.entries()) {
      const found = unknownInside(item, schema.items, `${path}[${index}]`)
      if (found) return found
    }
    return undefined
  }
  if (value === null || typeof value !== 'object' || schema.properties === undefined) return undefined
  const known = Object.keys(schema.properties)
  for (const [key, inner] of Object.entries(value)) {
    if (!Object.hasOwn(schema.properties, key)) return { path: `${path}.${key}`, suggestion: closestName(key, known) }
    const found = unknownInside(inner, schema.properties[key], `${path}.${key}`)
    if (found) return found
  }
  return undefined
}

/**
 * The first setting no schema knows: a top-level name (any case) that is neither a setting nor a
 * section, or a key inside a section (nested YAML) that the section's schema does not name.
 */
export function findUnknownSetting (data: Record<string, unknown>, settings: readonly string[], sections: Readonly<Record<string, ShapeSchema>>): UnknownSetting | undefined {
  const known = new Set(settings.map((name) => name.toUpperCase()))
  for (const [name, value] of Object.entries(data)) {
    const upper = name.toUpperCase()
    if (!known.has(upper)) {
      const suggestion = closestName(name, settings)
      return { path: name, suggestion: suggestion && inCaseOf(name, suggestion) }
    }
    const section = sections[upper]
    if (section !== undefined) {
      const found = unknownInside(value, section, name)
      if (found) return found
    }
  }
  return undefined
}
