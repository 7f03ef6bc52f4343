import type { FastifyInstance } from 'fastify'

/** Samples of a Prometheus text exposition, keyed `name{a="1",b="2"}` with labels sorted by name. */
export function parseMetrics (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`).sort()
    samples.set(labels.length > 0 ? `${match[1]}{${labels.join(',')}}` : match[1], Number(match[3]))
  }
  return samples
}

/** The key a sample has in parseMetrics' map. */
export function sample (name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels).map(([label, value]) => `${label}="${value}"`).sort()
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name
}

export async function scrape (app: FastifyInstance, headers: Record<string, string>): Promise<Map<string, number>> {
  const answer = await app.inject({ method: 'GET', url: '/metrics', headers })
  if (answer.statusCode !== 200) throw new Error(`/metrics answered ${answer.statusCode}`)
  return parseMetrics(answer.body)
}

/** How much a sample moved between two scrapes (a sample missing before counts as 0). */
export function moved (before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0)
}
