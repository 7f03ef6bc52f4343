// The official openai SDK with a named client: the rate-limit headers it can read, a 429 RateLimitError
// for requests per minute, and insufficient_quota once the spend cap is reached.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { startGateway } from '../helpers/gateway.js'
import { eventually } from '../helpers/redis.js'
import { NANO_PER_CENT } from '../../lib/clients/limiter.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const KEY = 'c2a-openai-sdk-client-key-aaaaaaaaaaaaaaaaaaa'
const MODEL = 'claude-sonnet-4-6'

async function setup (t: Tap, client: Record<string, unknown>): Promise<{ openai: OpenAI; spent: () => Promise<number> }> {
  const stub = await startAnthropicStub()
  stub.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 100000, output_tokens: 0 } }))
  const dataDir = mkdtempSync(join(tmpdir(), 'c2a-openai-teams-'))
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dataDir, CLIENTS: JSON.stringify([{ name: 'svc', key: KEY, ...client }]) } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return {
    openai: new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 }),
    spent: async () => (await gateway.app.teams.limiter.spent('c:svc')).daily
  }
}

test('rate-limit headers on each answer, then a RateLimitError with retry-after', async (t) => {
  const { openai } = await setup(t, { limits: { rpm: 2, output_tpm: 1000 } })
  const { response } = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
  t.equal(response.headers.get('x-ratelimit-limit-requests'), '2')
  t.equal(response.headers.get('x-ratelimit-remaining-requests'), '1')
  t.equal(response.headers.get('x-ratelimit-limit-tokens'), '1000')
  t.match(response.headers.get('x-ratelimit-reset-tokens'), /^\d+s$/)
  await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
  const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught)
  t.ok(error instanceof OpenAI.RateLimitError, 'the SDK raises RateLimitError')
  const limited = error as InstanceType<typeof OpenAI.RateLimitError>
  t.equal(limited.code, 'rate_limit_exceeded')
  t.ok(Number(limited.headers?.get('retry-after')) >= 1)
})

test('spend cap: insufficient_quota, with the sentence naming the cap', async (t) => {
  const { openai, spent } = await setup(t, { spend: { daily: 50 } })
  for (let round = 1; round <= 2; round++) {
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
    await eventually(async () => await spent() === round * 30 * NANO_PER_CENT, 'counted')
  }
  const error = await openai.responses.create({ model: MODEL, input: 'hi' }).catch((caught: unknown) => caught)
  t.ok(error instanceof OpenAI.RateLimitError)
  const refused = error as InstanceType<typeof OpenAI.RateLimitError>
  t.equal(refused.status, 429)
  t.equal(refused.type, 'insufficient_quota')
  t.equal(refused.code, 'insufficient_quota')
  t.match(refused.message, /daily spend cap of \$0\.50 for client 'svc'/)
})
