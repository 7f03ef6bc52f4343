import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import app, { serverOptions } from '../../app.js'
import { loggerOptions } from '../../lib/logger-options.js'

/** One SQLite directory per test process (the store's default is ./data), removed when it exits. */
const TEST_DATA_DIR = mkdtempSync(join(tmpdir(), 'c2a-test-data-'))
process.once('exit', () => { rmSync(TEST_DATA_DIR, { recursive: true, force: true }) })

export const CLIENT_KEY = 'test-client-key-0123456789'
export const UPSTREAM_KEYS = ['sk-ant-api03-test-key-one-AAAAAAAAAAAAAAAA', 'sk-ant-api03-test-key-two-BBBBBBBBBBBBBBBB']

export interface GatewayOptions {
  /** Settings as they would appear in config.yaml / the environment; merged over the test defaults. */
  config?: Record<string, unknown>
  /** Everything the gateway logs, as lines of JSON. */
  logLines?: string[]
  /** Every route the app registers (one entry per method, HEAD included), collected by an onRoute hook. */
  routes?: Array<{ method: string; url: string }>
  /** Extra plugins registered beside the app before it is ready (e.g. a route that logs on purpose). */
  extraPlugins?: Array<(fastify: FastifyInstance) => Promise<void>>
}

export interface RunningGateway {
  app: FastifyInstance
  /** e.g. http://127.0.0.1:40123 */
  url: string
  close: () => Promise<void>
}

/** Builds the real app (as server.ts does) with settings passed in, not read from the environment. */
export async function buildGateway (upstreamUrl: string, options: GatewayOptions = {}): Promise<FastifyInstance> {
  const lines = options.logLines
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      if (lines) lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    }
  })
  const fastify = Fastify(serverOptions({ ...loggerOptions('info'), stream }))
  const routes = options.routes
  if (routes) {
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url })
    })
  }
  await fastify.register(fp(app), {
    configData: {
      ANTHROPIC_API_KEYS: UPSTREAM_KEYS.join(','),
      APIKEY: CLIENT_KEY,
      ANTHROPIC_BASE_URL: upstreamUrl,
      LOG_LEVEL: lines ? 'info' : 'warn',
      // A busy test machine is not an overloaded gateway; load shedding has its own test.
      MAX_EVENT_LOOP_DELAY_MS: 0,
      DATA_DIR: TEST_DATA_DIR,
      ...options.config
    }
  })
  for (const plugin of options.extraPlugins ?? []) await fastify.register(plugin)
  await fastify.ready()
  return fastify
}

/** The gateway listening on a loopback port, for clients that speak real HTTP. */
export async function startGateway (upstreamUrl: string, options: GatewayOptions = {}): Promise<RunningGateway> {
  const fastify = await buildGateway(upstreamUrl, options)
  const url = await fastify.listen({ host: '127.0.0.1', port: 0 })
  return { app: fastify, url, close: async () => { await fastify.close() } }
}

export const authHeaders = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' }

/** Posts a chat completion request to a running gateway. */
export async function postChat (url: string, body: unknown, headers: Record<string, string> = authHeaders): Promise<Response> {
  return await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) })
}

/** Reads an SSE response into its `data:` payloads (the raw strings, `[DONE]` included). */
export async function readSse (response: Response): Promise<string[]> {
  const text = await response.text()
  return text.split('\n\n').map((event) => event.trim()).filter(Boolean).map((event) => {
    if (!event.startsWith('data: ')) throw new Error(`not an SSE data line: ${event.slice(0, 80)}`)
    return event.slice('data: '.length)
  })
}

/** Parses the JSON chunks of an SSE body, leaving out `[DONE]`. */
export function parseChunks (payloads: string[]): Array<Record<string, any>> {
  return payloads.filter((payload) => payload !== '[DONE]').map((payload) => JSON.parse(payload) as Record<string, any>)
}

/** A key with the shape of a real Anthropic API key (108 characters), made from a readable label. */
export function anthropicApiKey (label: string): string {
  return `sk-ant-api03-${label.replace(/[^A-Za-z0-9_-]/g, '-').padEnd(93, 'x').slice(0, 93)}AA`
}
