import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice, CacheControl } from '../anthropic/types.js'
import { clientText, invalidRequest } from '../errors.js'

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** A function tool as both OpenAI protocols describe it, whatever the envelope. */
export interface FunctionSpec {
  name: string
  description?: string | null
  parameters?: Record<string, unknown> | null
  strict?: boolean | null
  cache_control?: CacheControl
}

/** `param` names the function object in the client's request (e.g. `tools[0].function`). */
export function functionTool (spec: FunctionSpec, param: string): AnthropicTool {
  const { name, description, parameters, strict } = spec
  if (!TOOL_NAME.test(name)) throw invalidRequest(`${param}.name '${clientText(name)}' must match ^[a-zA-Z0-9_-]{1,64}$`, `${param}.name`)
  const converted: AnthropicTool = { name, input_schema: objectSchema(parameters ?? {}, `${param}.parameters`) }
  if (description) converted.description = description
  if (strict === true) converted.strict = true
  if (spec.cache_control) converted.cache_control = spec.cache_control
  return converted
}

/** Tool input schemas are forwarded whole; only a missing top-level `type` is filled in. */
export function objectSchema (schema: Record<string, unknown>, param: string): Record<string, unknown> {
  if (schema.type === undefined) return { type: 'object', ...schema }
  if (schema.type !== 'object') throw invalidRequest(`${param} must be a JSON schema of type 'object'`, param)
  return schema
}

/** What the client asked of tool use, once its protocol's spelling is taken off. */
export type WantedToolChoice = 'none' | 'auto' | 'required' | { name: string } | undefined

export function mapToolChoice (choice: WantedToolChoice, tools: AnthropicTool[], parallelDisabled: boolean): AnthropicToolChoice | undefined {
  const disableParallel = parallelDisabled && tools.length > 0
  let mapped: Exclude<AnthropicToolChoice, { type: 'none' }> | undefined
  if (choice === 'none') return tools.length > 0 ? { type: 'none' } : undefined
  if (choice === 'required') mapped = { type: 'any' }
  else if (typeof choice === 'object') {
    const name = choice.name
    if (!tools.some((tool) => tool.name === name)) throw invalidRequest(`tool_choice names '${clientText(name)}', which is not in tools`, 'tool_choice')
    mapped = { type: 'tool', name }
  } else if (choice === 'auto' || disableParallel) mapped = { type: 'auto' }
  if (mapped && tools.length === 0) throw invalidRequest('tool_choice needs tools', 'tool_choice')
  if (mapped && disableParallel) mapped.disable_parallel_tool_use = true
  return mapped
}

/**
 * The upstream refuses tool blocks in a request that defines no tools. The client clearly
 * wants the conversation to go on, so the called tools are declared minimally and not offered.
 */
export function declareHistoryTools (body: AnthropicRequest, historyToolNames: Set<string>): void {
  if ((body.tools ?? []).length > 0 || historyToolNames.size === 0) return
  body.tools = [...historyToolNames].map((name) => ({ name, input_schema: { type: 'object' } }))
  body.tool_choice = { type: 'none' }
}
