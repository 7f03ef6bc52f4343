/** The load the benchmark puts on one system: sequential requests, saturation, streams held open. */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import autocannon from 'autocannon'

/** One system as a client sees it: where to send a chat request and how. */
export interface Target {
  url: string
  path: string
  headers: Record<string, string>
  body: (stream: boolean) => string
}

export interface Exchange { status: number; text: string; ttfbMs: number; totalMs: number }

function elapsedMs (start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** The options of one POST of `body` to the target. */
function postOptions (target: Target, body: string, agent: Agent): RequestOptions {
  const url = new URL(target.path, target.url)
  return {
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent,
    headers: { ...target.headers, 'content-length': String(Buffer.byteLength(body)) }
  }
}

/** Sends one request and reads the whole answer, timing the first body byte and the end. */
export function exchange (target: Target, stream: boolean, agent: Agent, keepText = false): Promise<Exchange> {
  const body = target.body(stream)
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const request = httpRequest(postOptions(target, body, agent), (response) => {
      let ttfbMs = NaN
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => {
        if (Number.isNaN(ttfbMs)) ttfbMs = elapsedMs(start)
        if (keepText) chunks.push(chunk)
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ttfbMs, totalMs: elapsedMs(start) }))
      response.on('error', reject)
    })
    request.setTimeout(30_000, () => request.destroy(new Error('request timed out')))
    request.on('error', reject)
    request.end(body)
  })
}

export interface SequentialResult { totalMs: number[]; ttfbMs: number[] }

/** One request at a time over one kept-alive connection; every answer must be a 200. */
export async function sequential (target: Target, count: number, stream: boolean): Promise<SequentialResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const result: SequentialResult = { totalMs: [], ttfbMs: [] }
  try {
    for (let index = 0; index < count; index++) {
      const answer = await exchange(target, stream, agent)
      if (answer.status !== 200) throw new Error(`status ${answer.status} during the sequential test`)
      result.totalMs.push(answer.totalMs)
      result.ttfbMs.push(answer.ttfbMs)
    }
  } finally {
    agent.destroy()
  }
  return result
}

export interface SaturationResult { requestsPerSecond: number; completed: number; errors: number; latencyP50: number; latencyP99: number }

/** autocannon with a fixed number of connections for a fixed time; counts only 2xx answers. */
export async function saturate (target: Target, options: { connections: number; seconds: number; stream: boolean }): Promise<SaturationResult> {
  const result = await autocannon({
    url: new URL(target.path, target.url).href,
    method: 'POST',
    headers: target.headers,
    body: target.body(options.stream),
    connections: options.connections,
    duration: options.seconds,
    timeout: 30
  })
  return {
    requestsPerSecond: result['2xx'] / (result.duration || options.seconds),
    completed: result['2xx'],
    errors: result.errors + result.non2xx,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99
  }
}

export interface OpenStreams { opened: number; close: () => void }

/**
 * Opens `count` streaming requests at once and resolves when each has received its first body
 * byte (the stand-in paces the rest slowly, so they stay open until `close`).
 */
export async function openStreams (target: Target, count: number, timeoutMs: number): Promise<OpenStreams> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  const body = target.body(true)
  const requests: ClientRequest[] = []
  const firstBytes = Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    const request = httpRequest(postOptions(target, body, agent), (response: IncomingMessage) => {
      if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode} while opening streams`))
      response.once('data', () => resolve())
      response.on('data', () => {})
      response.on('error', () => {})
    })
    request.on('error', reject)
    request.end(body)
    requests.push(request)
  }))
  const close = (): void => {
    for (const request of requests) request.destroy()
    agent.destroy()
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`streams not all open within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([Promise.all(firstBytes), deadline])
  } catch (error) {
    close()
    throw error
  } finally {
    clearTimeout(timer)
  }
  return { opened: count, close }
}
