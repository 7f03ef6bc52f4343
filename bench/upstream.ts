/**
 * A minimal Anthropic Messages API stand-in for the benchmark: it answers the documented wire
 * format (a JSON message, or the SSE event sequence) with a fixed latency and a fixed pace, and
 * does as little work as it can so that the systems in front of it are what gets measured.
 * Run as its own process (`node dist/bench/upstream.js`): it prints `{"port":N}` on stdout and
 * takes new settings at POST /__bench/settings.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

export interface UpstreamSettings {
  /** Wait before a non-streaming answer, and before a stream's headers. */
  latencyMs: number
  /** Text deltas in each streamed answer. */
  deltas: number
  /** Pause between two streamed events; 0 sends each as its own write, one event-loop turn apart. */
  eventIntervalMs: number
}

export const DEFAULT_SETTINGS: UpstreamSettings = { latencyMs: 0, deltas: 200, eventIntervalMs: 0 }
export const SETTINGS_PATH = '/__bench/settings'
/** GET: the last Messages request as received (headers and parsed body), to replay as the floor. */
export const LAST_REQUEST_PATH = '/__bench/last-request'
export const ANSWER_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(12).trim()
export const DELTA_TEXT = 'token '

export interface RunningUpstream { url: string; port: number; server: Server; close: () => Promise<void> }

export interface RecordedRequest { headers: Record<string, string>; body: unknown }

interface MessageRequest { model?: unknown; stream?: unknown }

const MESSAGE_ID = 'msg_bench_0000000000000000'

function readJson (request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch (error) {
        reject(error as Error)
      }
    })
    request.on('error', reject)
  })
}

function sendJson (response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': 'req_bench' })
  response.end(text)
}

function sendError (response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { type: 'error', error: { type, message } })
}

function messageBody (model: string): object {
  return {
    id: MESSAGE_ID,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: ANSWER_TEXT }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 120 }
  }
}

function sseEvent (type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
}

/** The whole event sequence of one streamed answer, each event already serialized. */
export function streamEvents (model: string, deltas: number): string[] {
  const events = [
    sseEvent('message_start', { type: 'message_start', message: { id: MESSAGE_ID, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 25, output_tokens: 1 } } }),
    sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
  ]
  const delta = sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: DELTA_TEXT } })
  for (let index = 0; index < deltas; index++) events.push(delta)
  events.push(
    sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: deltas } }),
    sseEvent('message_stop', { type: 'message_stop' })
  )
  return events
}

/** Writes the events one at a time at the configured pace; stops when the client goes away. */
function streamAnswer (response: ServerResponse, events: string[], intervalMs: number): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_bench' })
  let next = 0
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  const stop = (): void => {
    if (timer === undefined) return
    if (intervalMs > 0) clearTimeout(timer as NodeJS.Timeout)
    else clearImmediate(timer as NodeJS.Immediate)
    timer = undefined
  }
  const writeNext = (): void => {
    timer = undefined
    if (response.destroyed) return
    response.write(events[next++])
    if (next === events.length) {
      response.end()
      return
    }
    timer = intervalMs > 0 ? setTimeout(writeNext, intervalMs) : setImmediate(writeNext)
  }
  response.once('close', stop)
  writeNext()
}

function afterLatency (latencyMs: number, action: () => void): void {
  if (latencyMs > 0) setTimeout(action, latencyMs)
  else action()
}

function stringHeaders (request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value
  return headers
}

async function handleMessages (request: IncomingMessage, response: ServerResponse, settings: UpstreamSettings, record: (seen: RecordedRequest) => void): Promise<void> {
  if (!request.headers['x-api-key']) return sendError(response, 401, 'authentication_error', 'x-api-key header is required')
  if (!request.headers['anthropic-version']) return sendError(response, 400, 'invalid_request_error', 'anthropic-version header is required')
  const body = await readJson(request).catch(() => undefined) as MessageRequest | undefined
  if (!body || typeof body.model !== 'string') return sendError(response, 400, 'invalid_request_error', 'model: Field required')
  record({ headers: stringHeaders(request), body })
  const model = body.model
  if (body.stream === true) {
    const { latencyMs, deltas, eventIntervalMs } = settings
    afterLatency(latencyMs, () => streamAnswer(response, streamEvents(model, deltas), eventIntervalMs))
    return
  }
  afterLatency(settings.latencyMs, () => sendJson(response, 200, messageBody(model)))
}

async function handleSettings (request: IncomingMessage, response: ServerResponse, settings: UpstreamSettings): Promise<void> {
  const update = await readJson(request).catch(() => ({})) as Partial<UpstreamSettings>
  for (const name of ['latencyMs', 'deltas', 'eventIntervalMs'] as const) {
    const value = update[name]
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) settings[name] = value
  }
  sendJson(response, 200, settings)
}

export async function startUpstream (port = 0, initial: UpstreamSettings = DEFAULT_SETTINGS): Promise<RunningUpstream> {
  const settings: UpstreamSettings = { ...initial }
  let last: RecordedRequest | undefined
  const record = (seen: RecordedRequest): void => { last = seen }
  const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000, noDelay: true }, (request, response) => {
    const path = request.url ?? '/'
    let handled: Promise<void>
    if (request.method === 'POST' && path === '/v1/messages') handled = handleMessages(request, response, settings, record)
    else if (request.method === 'POST' && path === SETTINGS_PATH) handled = handleSettings(request, response, settings)
    else if (request.method === 'GET' && path === LAST_REQUEST_PATH) handled = Promise.resolve(sendJson(response, last ? 200 : 404, last ?? {}))
    else handled = Promise.resolve(sendError(response, 404, 'not_found_error', `no route ${request.method} ${path}`))
    handled.catch(() => { response.destroy() })
  })
  server.maxConnections = 20_000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function isMainModule (): boolean {
  return process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
}

if (isMainModule()) {
  const running = await startUpstream(Number(process.env.PORT ?? 0))
  process.stdout.write(`${JSON.stringify({ port: running.port })}\n`)
  process.once('SIGTERM', () => { void running.close().then(() => process.exit(0)) })
}
