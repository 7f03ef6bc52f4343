// Named clients from config.yaml next to APIKEY's keys: who may call, which models, and whose state.
import { test } from 'tap'
import { startAnthropicStub, type AnthropicStub } from '../helpers/anthropic-stub.js'
import { CLIENT_KEY, startGateway, type RunningGateway } from '../helpers/gateway.js'

type Tap = Parameters<Parameters<typeof test>[0]>[0]

const ALICE = 'c2a-alice-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const BOB_OLD = 'c2a-bob-first-key-bbbbbbbbbbbbbbbbbbbbbbbbbb'
const BOB_NEW = 'c2a-bob-second-key-bbbbbbbbbbbbbbbbbbbbbbbbb'
const CLIENTS = [
  { name: 'alice', key: ALICE, models: ['claude-haiku-*', 'claude-sonnet-4-6'] },
  { name: 'bob', keys: [BOB_OLD, BOB_NEW] },
  { name: 'carol', key: 'c2a-carol-key-cccccccccccccccccccccccccccc', disabled: true },
  { name: 'dave', key: 'c2a-dave-key-dddddddddddddddddddddddddddddd', expires_at: '2026-01-31T00:00:00Z' }
]

async function setup (t: Tap): Promise<{ stub: AnthropicStub; gateway: RunningGateway }> {
  const stub = await startAnthropicStub({ today: '2026-11-30' })
  const gateway = await startGateway(stub.url, { config: { CLIENTS: JSON.stringify(CLIENTS), MODEL_ALIASES: 'team-default=claude-opus-4-8' } })
  t.teardown(async () => {
    await gateway.close()
    await stub.close()
  })
  return { stub, gateway }
}

const messagesHeaders = (key: string): Record<string, string> => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' })
const chatHeaders = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' })

async function messages (gateway: RunningGateway, key: string, model: string): Promise<Response> {
  return await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: messagesHeaders(key), body: JSON.stringify({ model, max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] }) })
}

async function chat (gateway: RunningGateway, key: string, model: string): Promise<Response> {
  return await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: chatHeaders(key), body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) })
}

test('named clients and APIKEY keys both call; an unknown key does not', async (t) => {
  const { gateway } = await setup(t)
  t.equal((await chat(gateway, ALICE, 'claude-sonnet-4-6')).status, 200)
  t.equal((await messages(gateway, BOB_NEW, 'claude-opus-4-8')).status, 200)
  t.equal((await chat(gateway, CLIENT_KEY, 'claude-opus-4-8')).status, 200, 'APIKEY keeps working')
  t.equal((await chat(gateway, 'c2a-nobody-xxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'claude-sonnet-4-6')).status, 401)
})

test('disabled and expired clients get a 401 naming which; Anthropic routes add x-should-retry: false', async (t) => {
  const { stub, gateway } = await setup(t)
  const disabled = await messages(gateway, 'c2a-carol-key-cccccccccccccccccccccccccccc', 'claude-sonnet-4-6')
  t.equal(disabled.status, 401)
  t.equal(disabled.headers.get('x-should-retry'), 'false')
  t.match(await disabled.json(), { type: 'error', error: { type: 'authentication_error', message: /client 'carol' is disabled/ } })
  const expired = await chat(gateway, 'c2a-dave-key-dddddddddddddddddddddddddddddd', 'claude-sonnet-4-6')
  t.equal(expired.status, 401)
  t.equal(expired.headers.get('x-should-retry'), null, 'OpenAI routes carry no Anthropic retry hint')
  t.match(await expired.json(), { error: { type: 'authentication_error', code: 'client_expired', message: /client 'dave' expired on 2026-01-31T00:00:00.000Z/ } })
  t.equal(stub.requests.length, 0, 'nothing went upstream')
})

test('a model outside the allow-list: 400 on Messages, 404 model_not_found on OpenAI routes, naming only that model; aliases resolve first', async (t) => {
  const { stub, gateway } = await setup(t)
  const refused = await messages(gateway, ALICE, 'claude-opus-4-8')
  t.equal(refused.status, 400)
  const body = await refused.json() as { error: { type: string; message: string } }
  t.equal(body.error.type, 'invalid_request_error')
  t.match(body.error.message, /'claude-opus-4-8'/)
  t.notOk(/haiku|sonnet/.test(body.error.message), 'the allowed models are not listed')
  const viaAlias = await chat(gateway, ALICE, 'team-default')
  t.equal(viaAlias.status, 404, 'an alias onto a closed model is closed too')
  t.match(await viaAlias.json(), { error: { code: 'model_not_found', param: 'model', message: /'team-default'/ } })
  t.equal((await chat(gateway, ALICE, 'claude-sonnet-4-6-thinking')).status, 200, 'the thinking variant of an allowed model is allowed')
  t.equal(stub.requests.length, 1, 'only the allowed request went upstream')
})

test('/v1/models lists only the client\'s models', async (t) => {
  const { gateway } = await setup(t)
  const listed = await (await fetch(`${gateway.url}/v1/models`, { headers: chatHeaders(ALICE) })).json() as { data: Array<{ id: string }> }
  const ids = listed.data.map((model) => model.id)
  t.ok(ids.length > 0)
  t.ok(ids.every((id) => /^claude-haiku-|^claude-sonnet-4-6(-thinking)?$/.test(id)), `only allowed models: ${ids.join(', ')}`)
  t.ok(ids.includes('claude-sonnet-4-6'))
  const one = await fetch(`${gateway.url}/v1/models/claude-opus-4-8`, { headers: chatHeaders(ALICE) })
  t.equal(one.status, 404)
  const everyone = await (await fetch(`${gateway.url}/v1/models`, { headers: chatHeaders(BOB_OLD) })).json() as { data: Array<{ id: string }> }
  t.ok(everyone.data.some((model) => model.id.startsWith('claude-opus-')), 'a client without a list sees every model')
  t.ok(everyone.data.length > ids.length)
})

test('state follows the client, not the key: a stored response is read with either of bob\'s keys, not by alice', async (t) => {
  const { gateway } = await setup(t)
  const created = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', headers: chatHeaders(BOB_OLD), body: JSON.stringify({ model: 'claude-sonnet-4-6', input: 'hello' }) })
  t.equal(created.status, 200)
  const { id } = await created.json() as { id: string }
  t.equal((await fetch(`${gateway.url}/v1/responses/${id}`, { headers: chatHeaders(BOB_NEW) })).status, 200, 'bob\'s other key reads it')
  t.equal((await fetch(`${gateway.url}/v1/responses/${id}`, { headers: chatHeaders(ALICE) })).status, 404, 'alice does not')
})
