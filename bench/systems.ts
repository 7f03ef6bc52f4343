/** The three systems under test: the stand-in itself (the floor), this gateway, and Portkey's. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Target } from './load.js'
import { emptyWorkingDirectory, freePort, spawnService, type ChildService } from './processes.js'
import { LAST_REQUEST_PATH, type RecordedRequest } from './upstream.js'

export type SystemName = 'direct' | 'claude2api' | 'portkey'

export const SYSTEM_LABELS: Record<SystemName, string> = {
  direct: 'direct to stand-in (floor)',
  claude2api: 'claude2api',
  portkey: 'Portkey gateway'
}

export const BENCH_MODEL = 'claude-sonnet-4-6'
export const CLIENT_KEY = 'bench-client-key-0123456789'
export const UPSTREAM_KEY = 'sk-ant-api03-bench-key-AAAAAAAAAAAAAAAAAAAA'
export const PORTKEY_VERSION = '1.15.2'
/**
 * Portkey's node build mutates the headers of responses built from a fetch() response; with
 * @hono/node-server 1.14.2 or later those headers are the immutable ones and every streamed
 * answer fails with "TypeError: immutable" (Portkey issue #1389). 1.14.1 is the last release that
 * copies them, so the benchmark pins it for Portkey.
 */
export const HONO_NODE_SERVER_VERSION = '1.14.1'

export interface RunningSystem { name: SystemName; target: Target; service: ChildService | undefined }

const USER_TEXT = 'Write one short paragraph about foxes.'

function openAiBody (stream: boolean): string {
  return JSON.stringify({ model: BENCH_MODEL, max_tokens: 512, stream, messages: [{ role: 'user', content: USER_TEXT }] })
}

export function openAiHeaders (authorization: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${authorization}`, ...extra }
}

/** The node flags of package.json's `start` script and the Dockerfile's CMD. */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=1']

/** Starts claude2api's server.js (dist/server.js, or another build's) as production does. */
export async function startClaude2api (serverScript: string, upstreamUrl: string, nodeFlags: string[] = [], extraEnv: Record<string, string> = {}): Promise<RunningSystem> {
  const port = await freePort()
  const service = await spawnService({
    name: 'claude2api',
    args: [...PRODUCTION_NODE_FLAGS, ...nodeFlags, serverScript],
    cwd: emptyWorkingDirectory(),
    port,
    readyPath: '/health',
    env: {
      ANTHROPIC_API_KEYS: UPSTREAM_KEY,
      APIKEY: CLIENT_KEY,
      ANTHROPIC_BASE_URL: upstreamUrl,
      ADDRESS: `127.0.0.1:${port}`,
      ...extraEnv
    }
  })
  return { name: 'claude2api', service, target: { url: service.url, path: '/v1/chat/completions', headers: openAiHeaders(CLIENT_KEY), body: openAiBody } }
}

function peerFolder (root: string): string {
  return join(root, 'bench', '.peer')
}

function installedVersion (folder: string, name: string): string | undefined {
  const file = join(folder, 'node_modules', name, 'package.json')
  if (!existsSync(file)) return undefined
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version
}

/** Installs the pinned Portkey gateway into the git-ignored bench/.peer when it is not there yet. */
export function ensurePortkey (root: string): string {
  const folder = peerFolder(root)
  const script = join(folder, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js')
  if (installedVersion(folder, '@portkey-ai/gateway') === PORTKEY_VERSION && installedVersion(folder, '@hono/node-server') === HONO_NODE_SERVER_VERSION) return script
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'package.json'), JSON.stringify({
    private: true,
    dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION },
    overrides: { '@hono/node-server': HONO_NODE_SERVER_VERSION }
  }, null, 2) + '\n')
  const installed = spawnSync('npm', ['install', '--prefix', folder, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { encoding: 'utf8', timeout: 300_000 })
  if (installed.status !== 0 || !existsSync(script)) {
    throw new Error(`npm install of @portkey-ai/gateway@${PORTKEY_VERSION} failed (${installed.status}): ${(installed.stderr ?? '').slice(-1000)}`)
  }
  return script
}

export async function startPortkey (script: string, upstreamUrl: string): Promise<RunningSystem> {
  const port = await freePort()
  const service = await spawnService({
    name: 'portkey',
    args: [script, `--port=${port}`, '--headless'],
    cwd: emptyWorkingDirectory(),
    port,
    readyPath: '/',
    env: { NODE_ENV: 'production' }
  })
  const headers = openAiHeaders(UPSTREAM_KEY, { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': `${upstreamUrl}/v1` })
  return { name: 'portkey', service, target: { url: service.url, path: '/v1/chat/completions', headers, body: openAiBody } }
}

const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive'])

/** The Messages request as the gateway sent it (asked of the stand-in right after a gateway call). */
export async function lastUpstreamRequest (upstreamUrl: string): Promise<RecordedRequest> {
  const response = await fetch(upstreamUrl + LAST_REQUEST_PATH)
  if (response.status !== 200) throw new Error('the stand-in has seen no Messages request yet')
  return await response.json() as RecordedRequest
}

/** The floor: the stand-in called directly with the exact request the gateway would send. */
export function directSystem (upstreamUrl: string, plain: RecordedRequest, streamed: RecordedRequest): RunningSystem {
  const headersOf = (recorded: RecordedRequest): Record<string, string> =>
    Object.fromEntries(Object.entries(recorded.headers).filter(([name]) => !HOP_HEADERS.has(name)))
  const plainBody = JSON.stringify(plain.body)
  const streamedBody = JSON.stringify(streamed.body)
  const target: Target = {
    url: upstreamUrl,
    path: '/v1/messages',
    headers: headersOf(plain),
    body: (stream) => stream ? streamedBody : plainBody
  }
  return { name: 'direct', service: undefined, target }
}
