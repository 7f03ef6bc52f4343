import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway } from '../helpers/gateway.js'

for (const stream of [false, true]) {
  test(`n=2 (${stream ? 'stream' : 'non-stream'}): when one choice fails for good, the other's upstream call is cancelled at once`, async (t) => {
    const stub = await startAnthropicStub()
    const gateway = await startGateway(stub.url)
    t.teardown(async () => {
      await gateway.close()
      await stub.close()
    })
    let arrivals = 0
    stub.respondWith(() => ++arrivals === 1
      ? { kind: 'fault', fault: 'headers-then-silence' }
      : { kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long' })
    const started = Date.now()
    const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }], n: 2, stream })
    const answeredAt = Date.now()
    t.equal(response.status, 400)
    t.match(await response.json(), { error: { type: 'invalid_request_error', message: /prompt is too long/ } })
    // The silent choice would hold the answer until the 600 s first-byte timeout; a generous bound tells them apart.
    t.ok(answeredAt - started < 20_000, `answered in ${answeredAt - started} ms, without waiting for the silent choice`)
    const until = Date.now() + 10_000
    while (stub.abortedAt.length === 0 && Date.now() < until) await sleep(5)
    t.equal(stub.aborted, 1, 'the silent choice was aborted upstream')
    t.ok(stub.abortedAt[0] - answeredAt < 10_000, 'soon after the answer, long before the 600 s first-byte timeout could have ended it')
    t.equal(stub.requests.length, 2, 'and not retried')
  })
}

test('n=2 stream: both choices arrive, each complete, one [DONE]', async (t) => {
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'Hi' }], n: 2, stream: true })
  const payloads = await readSse(response)
  const chunks = parseChunks(payloads)
  for (const index of [0, 1]) {
    const content = chunks.map((chunk) => chunk.choices?.find((choice: any) => choice.index === index)?.delta?.content ?? '').join('')
    t.equal(content, 'Hello from the stub.', `choice ${index}`)
  }
  t.equal(payloads.filter((payload) => payload === '[DONE]').length, 1)
})
