import t from 'tap'
import { GatewayError } from '../../../lib/errors.js'
import type { Conversation } from '../../../lib/responses/response-store.js'
import { ResponsesSocketSession, type Remembered, type TurnRunner } from '../../../lib/responses/websocket-session.js'
import type { ResponsesRequest } from '../../../schemas/responses.js'

/** What one turn of the fake runner does: its events, then the response to remember (or undefined), or a throw. */
type Script = (emit: (event: string) => void, signal: AbortSignal) => Promise<Remembered | undefined>

interface Call { kind: 'run' | 'warmUp'; previous: string | undefined; remembered: Conversation | undefined }

/** A session over a scripted runner: each turn takes the next script; `sent` is every frame sent to the client. */
function session (scripts: Script[], maxFrameBytes = 10_000): { socket: ResponsesSocketSession; sent: string[]; calls: Call[] } {
  const sent: string[] = []
  const calls: Call[] = []
  const next = (): Script => scripts.shift() ?? (async () => undefined)
  const runner: TurnRunner = {
    validate: (body) => {
      if (body.model === undefined) throw new GatewayError(400, 'invalid_request_error', 'model is required', { param: 'model' })
      return body as unknown as ResponsesRequest
    },
    run: async (request, remembered, emit, signal) => {
      calls.push({ kind: 'run', previous: request.previous_response_id ?? undefined, remembered })
      return await next()(emit, signal)
    },
    warmUp: async (request, remembered, emit) => {
      calls.push({ kind: 'warmUp', previous: request.previous_response_id ?? undefined, remembered })
      return (await next()(emit, new AbortController().signal)) ?? remembers('warm')
    },
    describe: (error) => error instanceof GatewayError ? error : new GatewayError(500, 'server_error', String(error))
  }
  return { socket: new ResponsesSocketSession(runner, (text) => { sent.push(text) }, maxFrameBytes), sent, calls }
}

function remembers (id: string): Remembered {
  return { id, conversation: { items: [], thinking: new Map() } }
}

/** A script that answers with `id`, remembered. */
const answers = (id: string): Script => async (emit) => {
  emit(`{"type":"response.completed","id":"${id}"}`)
  return remembers(id)
}
/** A script whose response failed (in-band), so nothing is remembered. */
const fails: Script = async () => undefined

function create (extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'response.create', model: 'claude-sonnet-4-5', input: 'hi', ...extra })
}

function errors (sent: string[]): Array<{ status: number; error: { code: string; message: string } }> {
  return sent.map((text) => JSON.parse(text)).filter((frame) => frame.type === 'error')
}

t.test('a response.processed acknowledgement is ignored: no error, no turn', async (t) => {
  const { socket, sent, calls } = session([])
  await socket.receive('{"type":"response.processed","response_id":"resp_1"}')
  t.strictSame(sent, [])
  t.strictSame(calls, [])
  t.equal(socket.state, 'idle')
})

t.test('any other frame type is refused in-band and the connection stays usable', async (t) => {
  const { socket, sent } = session([answers('resp_1')])
  await socket.receive('{"type":"session.update"}')
  t.match(errors(sent), [{ status: 400, error: { code: 'unsupported_event_type' } }])
  await socket.receive(create())
  t.match(JSON.parse(sent[1] ?? '{}'), { type: 'response.completed', id: 'resp_1' })
})

t.test('a frame over the byte limit is refused with 413 request_too_large and starts no turn', async (t) => {
  const { socket, sent, calls } = session([], 100)
  const frame = create({ input: 'x'.repeat(100) })
  await socket.receive(frame)
  t.strictSame(calls, [])
  t.match(errors(sent), [{ status: 413, error: { code: 'request_too_large', message: 'Frames are limited to 100 bytes' } }])
})

t.test('a frame of exactly the byte limit is accepted', async (t) => {
  const frame = create()
  const { socket, sent, calls } = session([answers('resp_1')], Buffer.byteLength(frame))
  await socket.receive(frame)
  t.equal(calls.length, 1)
  t.strictSame(errors(sent), [])
})

t.test('text that is not JSON is refused as invalid JSON', async (t) => {
  const { socket, sent } = session([])
  await socket.receive('{"type":')
  t.match(errors(sent), [{ status: 400, error: { code: 'invalid_json', message: 'Frame is not valid JSON' } }])
})

for (const text of ['null', '42', '"response.create"', '["response.create"]', 'true']) {
  t.test(`JSON that is not an object (${text}) is refused as invalid JSON, and the connection stays usable`, async (t) => {
    const { socket, sent, calls } = session([answers('resp_1')])
    await socket.receive(text)
    t.strictSame(calls, [])
    t.match(errors(sent), [{ status: 400, error: { code: 'invalid_json', message: 'A frame must be a JSON object with a type' } }])
    await socket.receive(create())
    t.equal(calls.length, 1, 'the next response.create runs')
  })
}

t.test('busy is true exactly while a turn runs', async (t) => {
  let finish!: () => void
  const gate = new Promise<void>((resolve) => { finish = resolve })
  const { socket } = session([async () => { await gate; return remembers('resp_1') }])
  t.equal(socket.busy, false, 'before any turn')
  const turn = socket.receive(create())
  t.equal(socket.busy, true, 'while the turn runs')
  t.equal(socket.state, 'running')
  finish()
  await turn
  t.equal(socket.busy, false, 'after it ended')
  t.equal(socket.state, 'idle')
})

t.test('a second response.create while one runs is refused with 409, and the first goes on', async (t) => {
  let finish!: () => void
  const gate = new Promise<void>((resolve) => { finish = resolve })
  const { socket, sent, calls } = session([async (emit) => { await gate; emit('{"type":"response.completed"}'); return remembers('resp_1') }])
  const turn = socket.receive(create())
  await socket.receive(create())
  t.match(errors(sent), [{ status: 409, error: { code: 'response_in_progress' } }])
  finish()
  await turn
  t.equal(calls.length, 1)
  t.equal(JSON.parse(sent[1] ?? '{}').type, 'response.completed')
})

t.test('the latest response is continued with its conversation; another id gets none', async (t) => {
  const { socket, calls } = session([answers('resp_1'), answers('resp_2'), answers('resp_3')])
  await socket.receive(create())
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.ok(calls[1]?.remembered, 'resp_1 was the latest')
  t.equal(calls[2]?.remembered, undefined, 'resp_2 is the latest now, resp_1 is not remembered by the connection')
})

t.test('a continuation whose response fails forgets the response it continued', async (t) => {
  const { socket, calls } = session([answers('resp_1'), fails, answers('resp_3')])
  await socket.receive(create())
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.ok(calls[1]?.remembered, 'the failed turn got resp_1\'s conversation')
  t.equal(calls[2]?.remembered, undefined, 'then resp_1 is forgotten')
})

t.test('a continuation that throws forgets the response it continued and reports the error in-band', async (t) => {
  const { socket, sent, calls } = session([answers('resp_1'), async () => { throw new GatewayError(429, 'rate_limit_error', 'slow down') }])
  await socket.receive(create())
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.match(errors(sent), [{ status: 429, error: { code: 'rate_limit_error', message: 'slow down' } }])
  t.equal(calls[2]?.remembered, undefined)
})

t.test('a failed turn that continued nothing leaves the latest response continuable', async (t) => {
  const { socket, calls } = session([answers('resp_1'), fails, answers('resp_3')])
  await socket.receive(create())
  await socket.receive(create())
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.ok(calls[2]?.remembered, 'resp_1 is still the latest')
})

t.test('a failed turn that continued another response leaves the latest response continuable', async (t) => {
  const { socket, calls } = session([answers('resp_1'), fails, answers('resp_3')])
  await socket.receive(create())
  await socket.receive(create({ previous_response_id: 'resp_stored_elsewhere' }))
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.equal(calls[1]?.remembered, undefined, 'not this connection\'s latest')
  t.ok(calls[2]?.remembered, 'resp_1 is still the latest')
})

t.test('a request the runner refuses before running is an in-band error and forgets nothing', async (t) => {
  const { socket, sent, calls } = session([answers('resp_1'), answers('resp_2')])
  await socket.receive(create())
  await socket.receive(JSON.stringify({ type: 'response.create', previous_response_id: 'resp_1' }))
  t.match(errors(sent), [{ status: 400, error: { code: 'invalid_request_error', message: 'model is required' } }])
  await socket.receive(create({ previous_response_id: 'resp_1' }))
  t.ok(calls[1]?.remembered)
  t.equal(socket.state, 'idle')
})

t.test('generate: false warms up instead of running, and its response can be continued', async (t) => {
  const { socket, calls } = session([answers('resp_warm'), answers('resp_2')])
  await socket.receive(create({ generate: false }))
  await socket.receive(create({ previous_response_id: 'resp_warm' }))
  t.strictSame(calls.map((call) => call.kind), ['warmUp', 'run'])
  t.ok(calls[1]?.remembered)
})

t.test('closing during a turn aborts it; its later events and error are not sent', async (t) => {
  let signal: AbortSignal | undefined
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { socket, sent } = session([async (emit, turnSignal) => {
    signal = turnSignal
    emit('{"type":"response.created"}')
    await gate
    emit('{"type":"response.output_text.delta"}')
    throw new Error('aborted')
  }])
  const turn = socket.receive(create())
  socket.close()
  t.equal(signal?.aborted, true, 'the turn\'s signal is aborted')
  release()
  await turn
  t.strictSame(sent, ['{"type":"response.created"}'], 'only what came before the close')
  t.equal(socket.state, 'closed')
})

t.test('a closed session handles no frame: no turn, no error, it stays closed', async (t) => {
  const { socket, sent, calls } = session([answers('resp_1'), answers('resp_2')])
  await socket.receive(create())
  socket.close()
  await socket.receive(create())
  await socket.receive('not json')
  t.equal(calls.length, 1)
  t.equal(sent.length, 1, 'only the first turn\'s event')
  t.equal(socket.state, 'closed')
  t.equal(socket.busy, false)
})
