import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { buildGateway } from '../helpers/gateway.js'

interface OpenApi { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>> }

/** Fastify's `/models/:id` is OpenAPI's `/models/{id}`. */
function openApiPath (url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

test('/openapi.json describes every route the app registers, under every prefix', async (t) => {
  const stub = await startAnthropicStub()
  const routes: Array<{ method: string; url: string }> = []
  const app = await buildGateway(stub.url, { routes, config: { ENABLE_MIRROR_API: true, MIRROR_API_PREFIX: '/mirror' } })
  t.teardown(async () => { await app.close(); await stub.close() })

  const answer = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(answer.statusCode, 200)
  t.match(answer.headers['content-type'], /^application\/json/)
  const document = answer.json<OpenApi>()
  t.match(document.openapi, /^3\./)
  t.has(document.info, { title: 'claude2api', version: '0.1.0' })

  const described = routes.filter((route) => route.method !== 'HEAD')
  t.ok(described.length >= 17, `the hook saw at least the 17 routes of today (${described.length})`)
  for (const route of described) {
    const path = document.paths[openApiPath(route.url)]
    t.ok(path?.[route.method.toLowerCase()], `${route.method} ${route.url} is described`)
  }
  for (const expected of ['/v1/chat/completions', '/hf/v1/chat/completions', '/mirror/v1/chat/completions', '/health', '/metrics', '/']) {
    t.ok(document.paths[expected], `${expected} is among them`)
  }
  const chat = document.paths['/v1/chat/completions'].post.requestBody?.content['application/json'].schema
  t.ok(chat && Array.isArray(chat.required) && chat.required.includes('messages') && chat.required.includes('model'), 'the chat body schema comes from the route\'s TypeBox schema')
  const messages = document.paths['/v1/messages'].post as unknown as { responses: Record<string, { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }
  t.ok(messages.responses['200'].content['application/json'].schema.properties?.stop_reason, 'the Messages answer is described')
  t.ok(messages.responses['429'].content['application/json'].schema.properties?.request_id, 'and its errors, in Anthropic\'s shape')
})

test('/docs renders the description as a page linking back', async (t) => {
  const stub = await startAnthropicStub()
  const app = await buildGateway(stub.url)
  t.teardown(async () => { await app.close(); await stub.close() })
  const page = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, '<code>POST /v1/chat/completions</code>')
  t.match(page.body, '<code>GET /v1/models/{id}</code>')
  t.match(page.body, 'href="openapi.json"')
  const status = await app.inject({ method: 'GET', url: '/' })
  t.match(status.body, 'href="openapi.json"', 'the status page links to the description')
  t.match(status.body, 'href="docs"')
})
