import type { ModelCapabilities } from '../anthropic/capabilities.js'
import type { AnthropicRequest, AnthropicTool } from '../anthropic/types.js'
import { invalidRequest } from '../errors.js'
import type { ThinkingDecision } from './thinking.js'
import { objectSchema } from './tools.js'

export const JSON_TOOL_DESCRIPTION = 'Give the final answer as the input of this tool.'

/** A JSON answer format, from `response_format` (chat) or `text.format` (responses). */
export interface JsonFormat {
  type: 'json_object' | 'json_schema'
  name?: string
  schema?: Record<string, unknown>
  strict?: boolean | null
  /** Where the schema sits in the client's request, for error messages. */
  schemaParam: string
}

/**
 * json_schema goes to native structured output where the model has it. Otherwise (and for
 * json_object) the answer is asked for as the input of an extra tool, whose input the response
 * translation turns back into message content. Returns that tool's name, or null.
 * `offersTools`: the client's own tools stay callable.
 */
export function applyJsonFormat (body: AnthropicRequest, format: JsonFormat, caps: ModelCapabilities, thinking: ThinkingDecision, offersTools: boolean): string | null {
  const schema = format.type === 'json_schema' ? format.schema : { type: 'object' }
  if (!schema) throw invalidRequest(`${format.schemaParam} is required`, format.schemaParam)
  if (caps.structuredOutputs && format.type === 'json_schema') {
    body.output_config = { ...body.output_config, format: { type: 'json_schema', schema } }
    return null
  }
  return addJsonTool(body, format, schema, thinking, offersTools)
}

function addJsonTool (body: AnthropicRequest, format: JsonFormat, schema: Record<string, unknown>, thinking: ThinkingDecision, offersTools: boolean): string {
  const name = uniqueToolName(jsonToolName(format), body.tools ?? [])
  const tool: AnthropicTool = { name, description: JSON_TOOL_DESCRIPTION, input_schema: objectSchema(schema, format.schemaParam) }
  if (format.type === 'json_schema' && format.strict === true) tool.strict = true
  body.tools = [...(body.tools ?? []), tool]
  if (!offersTools && thinking.style !== 'budget') {
    body.tool_choice = { type: 'tool', name }
    return name
  }
  // The client's own tools stay callable (and budget thinking refuses a forced tool): the
  // answer tool is asked for in the system prompt instead.
  const clientForces = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool'
  if (!clientForces) body.tool_choice = { type: 'auto' }
  body.system = [...(body.system ?? []), { type: 'text', text: `When you give your final answer, give it only by calling the ${name} tool.` }]
  return name
}

function jsonToolName (format: JsonFormat): string {
  const name = format.type === 'json_schema' ? format.name : undefined
  const cleaned = (name ?? 'json_response').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
  return cleaned || 'json_response'
}

function uniqueToolName (name: string, tools: AnthropicTool[]): string {
  let candidate = name
  for (let suffix = 2; tools.some((tool) => tool.name === candidate); suffix++) candidate = `${name.slice(0, 58)}_${suffix}`
  return candidate
}
