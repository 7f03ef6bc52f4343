import type { AnthropicTool } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'

/** Anthropic's web search server tool, which Claude runs on Anthropic's side. */
export const WEB_SEARCH_TOOL = { type: 'web_search_20250305', name: 'web_search' } as const

/** One OpenAI search setting and where it sits in the request, to name it in an error. */
export interface SearchSetting { value: unknown; param: string }

/** OpenAI's search settings; absent or null values ask for nothing. */
export interface WebSearchSettings {
  /** OpenAI's approximate location: city, region, country, timezone. */
  location?: SearchSetting
  allowedDomains?: SearchSetting
  /** search_context_size has no Claude setting: anything but the default is named as dropped. */
  contextSize?: SearchSetting
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

/** The web search tool with the caller's location, allowed domains and use cap; settings Claude lacks go into `dropped`. */
export function webSearchTool (settings: WebSearchSettings, dropped: string[]): AnthropicTool {
  const tool: Record<string, unknown> = { ...WEB_SEARCH_TOOL }
  if (settings.maxUses !== undefined) tool.max_uses = settings.maxUses
  if (isSet(settings.allowedDomains)) tool.allowed_domains = domainsOf(settings.allowedDomains.value, settings.allowedDomains.param)
  if (isSet(settings.location)) tool.user_location = locationOf(settings.location.value, settings.location.param)
  if (isSet(settings.contextSize) && settings.contextSize.value !== 'medium') dropped.push(settings.contextSize.param)
  return tool as unknown as AnthropicTool
}

function isSet (setting: SearchSetting | undefined): setting is SearchSetting {
  return setting !== undefined && setting.value !== undefined && setting.value !== null
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
