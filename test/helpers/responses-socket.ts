// A Responses WebSocket client for tests (the `ws` package): opens a socket, sends
// response.create frames and collects each turn's events up to its terminal one.
import WebSocket from 'ws'
import { CLIENT_KEY } from './gateway.js'

export interface SocketTurn {
  /** Every frame of the turn, parsed. */
  events: any[]
  /** The terminal response (completed, failed, incomplete), if the turn reached one. */
  response: any
  /** The in-band error frame, if the turn ended with one. */
  error: any
}

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete'])

export class ResponsesSocket {
  private readonly frames: any[] = []
  private waiting: (() => void) | undefined
  closed: { code: number; reason: string } | undefined

  private constructor (readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()))
      this.waiting?.()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.waiting?.()
    })
  }

  /** Opens `ws://…/v1/responses` (or another path) with the client key unless headers say otherwise. */
  static async open (baseUrl: string, path = '/v1/responses', headers: Record<string, string> = { authorization: `Bearer ${CLIENT_KEY}` }): Promise<ResponsesSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, { headers })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
      ws.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })))
    })
    return new ResponsesSocket(ws)
  }

  send (frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The next frame from the server (undefined once the socket closed). */
  async next (): Promise<any> {
    while (this.frames.length === 0) {
      if (this.closed) return undefined
      await new Promise<void>((resolve) => { this.waiting = resolve })
      this.waiting = undefined
    }
    return this.frames.shift()
  }

  /** Sends one frame and reads until the turn's terminal event or error frame. */
  async turn (frame: unknown): Promise<SocketTurn> {
    this.send(frame)
    return await this.collect()
  }

  async collect (): Promise<SocketTurn> {
    const events: any[] = []
    while (true) {
      const event = await this.next()
      if (event === undefined) return { events, response: undefined, error: undefined }
      events.push(event)
      if (event.type === 'error') return { events, response: undefined, error: event }
      if (TERMINAL.has(event.type)) return { events, response: event.response, error: undefined }
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()))
    this.ws.close()
    await closed
  }
}
