import type { AnthropicTool } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

/** Anthropic's web search server tool, which Claude runs on Anthropic's side. */
export const WEB_SEARCH_TOOL = { type: 'web_search_20250305', name: 'web_search' } as const

/** What OpenAI's search settings ask for that Anthropic's web search tool also knows. */
export interface WebSearchSettings {
  /** OpenAI's approximate location: city, region, country, timezone. */
  location?: unknown
  allowedDomains?: unknown
  maxUses?: number
}

const LOCATION_FIELDS = ['city', 'region', 'country', 'timezone'] as const

/** The web search tool with the caller's location, allowed domains and use cap; `param` names where they came from. */
export function webSearchTool (settings: WebSearchSettings, param: string): AnthropicTool {
  const tool: Record<string, unknown> = { ...WEB_SEARCH_TOOL }
  if (settings.maxUses !== undefined) tool.max_uses = settings.maxUses
  if (settings.allowedDomains !== undefined) tool.allowed_domains = domainsOf(settings.allowedDomains, `${param}.allowed_domains`)
  if (settings.location !== undefined && settings.location !== null) tool.user_location = locationOf(settings.location, `${param}.user_location`)
  return tool as unknown as AnthropicTool
}

function domainsOf (value: unknown, param: string): string[] {
  if (!Array.isArray(value) || !value.every((domain) => typeof domain === 'string' && domain !== '')) throw invalidRequest(`${param} must be a list of domain names`, param)
  return value
}

function locationOf (value: unknown, param: string): Record<string, string> {
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`${param} must be an object`, param)
  const location: Record<string, string> = { type: 'approximate' }
  for (const field of LOCATION_FIELDS) {
    const part = (value as Record<string, unknown>)[field]
    if (part === undefined || part === null) continue
    if (typeof part !== 'string') throw invalidRequest(`${param}.${field} must be a string`, `${param}.${field}`)
    location[field] = part
  }
  return location
}
