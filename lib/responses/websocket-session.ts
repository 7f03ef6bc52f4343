import { GatewayError } from '../errors.js'
import type { ResponsesRequest } from '../../schemas/responses.js'
import type { Conversation } from './response-store.js'

/** The latest response of a connection: what a `previous_response_id` naming it continues. */
export interface Remembered { id: string; conversation: Conversation }

/** One turn as the transport asks for it; the Responses pipeline behind it is the HTTP route's. */
export interface TurnRunner {
  /** Checks a `response.create` body (without `type`) as POST /v1/responses checks its body. */
  validate: (body: Record<string, unknown>) => ResponsesRequest
  /**
   * Runs one response, streaming its events through `emit` (JSON text each). `remembered` is the
   * history when `previous_response_id` names this connection's latest response. Resolves with the
   * response to remember, or undefined when it failed; throws for a refusal before any event.
   */
  run: (request: ResponsesRequest, remembered: Conversation | undefined, emit: (event: string) => void, signal: AbortSignal) => Promise<Remembered | undefined>
  /** `generate: false`: the response is created and completed without calling the model. */
  warmUp: (request: ResponsesRequest, remembered: Conversation | undefined, emit: (event: string) => void) => Promise<Remembered>
  /** Any error as the gateway's error (status, type, code, message, param). */
  describe: (error: unknown) => GatewayError
}

/** Where a connection is: waiting for a `response.create`, running one, or closed. */
export type SessionState = 'idle' | 'running' | 'closed'

/** Frames a client may send besides `response.create`: Codex acknowledges each response it handled. */
const IGNORED_TYPES = new Set(['response.processed'])

/**
 * One Responses WebSocket connection, as an explicit state machine (idle → running → idle …,
 * closed at the end). Turns run one at a time; errors are in-band frames and leave the connection
 * open. The latest response is remembered in the connection, stored or not, so it can be continued
 * with `previous_response_id`; a continuation that fails forgets it.
 */
export class ResponsesSocketSession {
  private latest: Remembered | undefined
  private running: AbortController | undefined
  state: SessionState = 'idle'

  constructor (private readonly runner: TurnRunner, private readonly send: (text: string) => void, private readonly maxFrameBytes: number) {}

  /** Handles one text frame from the client; resolves when the turn it started has ended. */
  async receive (text: string): Promise<void> {
    if (this.state === 'closed') return
    if (Buffer.byteLength(text) > this.maxFrameBytes) {
      this.sendError(new GatewayError(413, 'invalid_request_error', `Frames are limited to ${this.maxFrameBytes} bytes`, { code: 'request_too_large' }))
      return
    }
    const frame = parseFrame(text)
    if (frame instanceof GatewayError) return this.sendError(frame)
    if (IGNORED_TYPES.has(String(frame.type))) return
    if (frame.type !== 'response.create') {
      return this.sendError(new GatewayError(400, 'invalid_request_error', `Unsupported event type '${String(frame.type)}'; send {"type":"response.create", …}`, { param: 'type', code: 'unsupported_event_type' }))
    }
    if (this.state === 'running') {
      return this.sendError(new GatewayError(409, 'invalid_request_error', 'A response is already in progress on this connection; wait for it to finish before sending another response.create', { code: 'response_in_progress' }))
    }
    await this.runTurn(frame)
  }

  /** The connection went away: the turn in flight (and its upstream call) is aborted. */
  close (): void {
    this.state = 'closed'
    this.running?.abort()
    this.latest = undefined
  }

  get busy (): boolean {
    return this.state === 'running'
  }

  private async runTurn (frame: Record<string, unknown>): Promise<void> {
    const { type: _type, generate, stream: _stream, ...body } = frame
    const controller = new AbortController()
    this.running = controller
    this.state = 'running'
    let continues: string | undefined
    try {
      const request = this.runner.validate(body)
      continues = request.previous_response_id ?? undefined
      const remembered = continues !== undefined && continues === this.latest?.id ? this.latest.conversation : undefined
      const emit = (event: string): void => { if (this.state !== 'closed') this.send(event) }
      const done = generate === false
        ? await this.runner.warmUp(request, remembered, emit)
        : await this.runner.run(request, remembered, emit, controller.signal)
      if (done) this.latest = done
      else this.forget(continues)
    } catch (error) {
      this.forget(continues)
      if (!controller.signal.aborted) this.sendError(this.runner.describe(error))
    } finally {
      this.running = undefined
      if (this.state === 'running') this.state = 'idle'
    }
  }

  private forget (id: string | undefined): void {
    if (id !== undefined && this.latest?.id === id) this.latest = undefined
  }

  private sendError (error: GatewayError): void {
    if (this.state === 'closed') return
    this.send(errorFrame(error))
  }
}

/** An in-band error: the HTTP status the same failure would have had, and OpenAI's error object. */
export function errorFrame (error: GatewayError): string {
  return JSON.stringify({ type: 'error', status: error.status, error: { type: error.type, code: error.code ?? error.type, message: error.message, param: error.param } })
}

function parseFrame (text: string): Record<string, unknown> | GatewayError {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return new GatewayError(400, 'invalid_request_error', 'Frame is not valid JSON', { code: 'invalid_json' })
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
    return new GatewayError(400, 'invalid_request_error', 'A frame must be a JSON object with a type', { code: 'invalid_json' })
  }
  return frame as Record<string, unknown>
}

/** The JSON payloads of an SSE piece (`event:`/`data:` blocks); comments (keep-alives) carry none. */
export function payloadsOfSse (text: string): string[] {
  const payloads: string[] = []
  for (const block of text.split('\n\n')) {
    const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice('data: '.length))
    if (data.length > 0) payloads.push(data.join('\n'))
  }
  return payloads
}
