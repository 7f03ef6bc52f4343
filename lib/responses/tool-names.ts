import { TOOL_NAME } from '../core/tools.js'

/** What a tool offered to Claude stands for in the client's terms. */
export interface ClientTool { kind: 'function' | 'custom'; name: string; namespace?: string }

const SEPARATOR = '__'

/**
 * Names Claude sees for the client's tools. Plain tools keep their name; a tool inside a
 * namespace is offered as `<namespace>__<name>` (Claude has no namespaces) and its calls go back
 * to the client as the tool's own name with `namespace` set, which is how Codex dispatches them.
 */
export class ToolNames {
  private readonly byUpstream = new Map<string, ClientTool>()

  add (tool: ClientTool): string {
    const upstream = upstreamName(tool.name, tool.namespace)
    this.byUpstream.set(upstream, tool)
    return upstream
  }

  lookup (upstream: string): ClientTool | undefined {
    return this.byUpstream.get(upstream)
  }

  get size (): number {
    return this.byUpstream.size
  }
}

/** The upstream name of a replayed call; a name Claude cannot take has its other characters turned into '_'. */
export function upstreamName (name: string, namespace: string | undefined): string {
  const joined = namespace ? `${namespace}${SEPARATOR}${name}` : name
  if (TOOL_NAME.test(joined)) return joined
  return joined.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || '_'
}
