// The official `openai` SDK's Responses WebSocket client (ResponsesWS, pinned 6.49.0) against the
// gateway: two turns on one socket, the second continuing the first, and an in-band error.
import OpenAI from 'openai'
import { ResponsesWS } from 'openai/resources/responses/ws'
import t from 'tap'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { openHarness } from '../helpers/translation-harness.js'

const h = await openHarness(t)
const MODEL = 'claude-haiku-4-5-20251001'

/** Resolves with the next terminal event (completed or failed) or in-band error of the socket. */
async function nextOutcome (socket: ResponsesWS): Promise<{ type: string; response?: any; error?: any }> {
  return await new Promise((resolve) => {
    const done = (event: { type: string; response?: unknown; error?: unknown }): void => {
      socket.off('event', onEvent)
      socket.off('error', onError)
      resolve(event)
    }
    const onEvent = (event: { type: string; response?: unknown }): void => { if (event.type === 'response.completed' || event.type === 'response.failed') done(event) }
    const onError = (error: unknown): void => done({ type: 'error', error })
    socket.on('event', onEvent)
    socket.on('error', onError)
  })
}

t.test('ResponsesWS: two turns on one socket, an in-band error, then a turn again', async (t) => {
  h.stub.reset()
  h.stub.enqueue({ content: [{ type: 'text', text: 'Noted: cobalt.' }] }, { content: [{ type: 'text', text: 'cobalt' }] })
  const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/v1`, maxRetries: 0 })
  const socket = new ResponsesWS(client)
  t.teardown(() => { socket.close() })
  const events: string[] = []
  socket.on('event', (event: { type: string }) => { events.push(event.type) })

  const first = nextOutcome(socket)
  socket.send({ type: 'response.create', model: MODEL, store: false, input: 'Remember cobalt.' })
  const one = await first
  t.equal(one.type, 'response.completed')
  t.equal(one.response.output[0].content[0].text, 'Noted: cobalt.')
  t.same(events.slice(0, 2), ['response.created', 'response.in_progress'])

  const second = nextOutcome(socket)
  socket.send({ type: 'response.create', model: MODEL, store: false, previous_response_id: one.response.id, input: 'Which word?' })
  const two = await second
  t.equal(two.type, 'response.completed')
  t.match(JSON.stringify(h.stub.requests[1].body.messages), /Noted: cobalt\./)

  const third = nextOutcome(socket)
  socket.send({ type: 'response.create', model: MODEL, store: false, previous_response_id: 'resp_unknown', input: 'x' })
  const refused = await third
  t.equal(refused.type, 'error')
  t.match(JSON.stringify(refused.error.error ?? refused.error), /previous_response_not_found/)

  const fourth = nextOutcome(socket)
  socket.send({ type: 'response.create', model: MODEL, input: 'still there?' })
  t.equal((await fourth).type, 'response.completed', 'the socket stays usable')
})
