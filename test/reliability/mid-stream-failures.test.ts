import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub, type StubFault } from '../helpers/anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway, UPSTREAM_KEYS, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const ANSWER = 'One two three four five six seven eight nine ten'

async function setup (t: Tap): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ chunkSize: 8 })
  const gateway = await startGateway(stub.url, { config: { IDLE_TIMEOUT_MS: 300 } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

const FAULTS: StubFault[] = ['cut-mid-stream', 'error-event-mid-stream', 'stall-mid-stream']

// afterEvents 1: only message_start went out (the client has its role chunk); 5: some text too.
for (const fault of FAULTS) {
  for (const afterEvents of [1, 5]) {
    test(`${fault} after ${afterEvents} event(s): one upstream request, and the client sees an error, no finish, no [DONE]`, async (t) => {
      const { stub, gateway } = await setup(t)
      // Only the first key fails: a retry would succeed, so a missing retry is a decision, not bad luck.
      stub.keyBehaviour.set(UPSTREAM_KEYS[0], { kind: 'fault', fault, afterEvents, content: [{ type: 'text', text: ANSWER }] })
      const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Count to ten' }], stream: true })
      const payloads = await readSse(response)
      await sleep(100)
      const chunks = parseChunks(payloads)
      const errors = chunks.filter((chunk) => chunk.error !== undefined)
      const content = chunks.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('')

      t.equal(response.status, 200)
      t.equal(stub.requests.length, 1, 'exactly one upstream request: no retry once the client had bytes')
      t.equal(chunks[0]?.choices?.[0]?.delta?.role, 'assistant', 'the client had received the first chunk')
      t.ok(ANSWER.startsWith(content) && content.length < ANSWER.length, `the client got a true, incomplete prefix: "${content}"`)
      t.equal(errors.length, 1, 'one error object in the stream')
      t.match(errors[0], { error: { message: String, type: 'server_error', code: String } })
      t.ok(payloads.at(-1)?.startsWith('{"error"'), 'the error is the last thing sent')
      t.notOk(chunks.some((chunk) => chunk.choices?.some((choice: any) => choice.finish_reason !== null)), 'no finish_reason chunk')
      t.notOk(payloads.includes('[DONE]'), 'no [DONE]')
    })
  }
}
