import { escapeHtml } from './status-page.js'

interface Operation { summary?: string; requestBody?: unknown; responses?: Record<string, unknown>; security?: unknown[] }
export interface OpenApiDocument { info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> }

function json (value: unknown): string {
  return escapeHtml(JSON.stringify(value, null, 2))
}

function operationHtml (path: string, method: string, operation: Operation): string {
  const statuses = Object.keys(operation.responses ?? {}).join(' ')
  const body = operation.requestBody === undefined ? '' : `<details><summary>request body</summary><pre>${json(operation.requestBody)}</pre></details>`
  const success = operation.responses?.['200']
  const answer = success === undefined ? '' : `<details><summary>200 response</summary><pre>${json(success)}</pre></details>`
  return `<section><h3><code>${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(operation.summary ?? '')}</p><p class="muted">answers: ${escapeHtml(statuses)}</p>${body}${answer}</section>`
}

/** The OpenAPI document as one readable page, without a UI package or a build step. */
export function renderApiPage (document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => operationHtml(path, method, operation)))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} API</title><link rel="icon" href="data:,">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto;max-height:30rem}.muted{color:#666}h3{margin-bottom:0}</style>
</head><body>
<h1>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</h1>
<p><a href="openapi.json">openapi.json</a> · <a href="./">status</a></p>
${operations.join('\n')}
</body></html>
`
}
