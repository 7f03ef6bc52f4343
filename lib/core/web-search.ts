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

export interface CitedPage { url: string; title: string }

/** The page a web search citation points at; other citations (document locations) have no URL to give. */
export function citedPage (citation: unknown): CitedPage[] {
  const cited = citation as { type?: unknown; url?: unknown; title?: unknown }
  if (cited.type !== 'web_search_result_location' || typeof cited.url !== 'string') return []
  return [{ url: cited.url, title: typeof cited.title === 'string' ? cited.title : '' }]
}

const LOCATION_FIELDS = ['city', 'region', 'country', 'timezone'] as const

/** Where each setting sits in the client's request, to name it in an error. */
export interface WebSearchParams { location: string; allowedDomains: string }

/** The web search tool with the caller's location, allowed domains and use cap. */
export function webSearchTool (settings: WebSearchSettings, params: WebSearchParams): AnthropicTool {
  const tool: Record<string, unknown> = { ...WEB_SEARCH_TOOL }
  if (settings.maxUses !== undefined) tool.max_uses = settings.maxUses
  if (settings.allowedDomains !== undefined) tool.allowed_domains = domainsOf(settings.allowedDomains, params.allowedDomains)
  if (settings.location !== undefined && settings.location !== null) tool.user_location = locationOf(settings.location, params.location)
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
