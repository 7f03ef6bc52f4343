// Compressed request bodies: gzip, deflate, br and zstd on every POST route, decoded as they
// stream, the body limit applied to the decoded size; other codings 415; each in its route's shape.
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import t from 'tap'
import { CLIENT_KEY } from '../helpers/gateway.js'
import { openHarness } from '../helpers/translation-harness.js'

const LIMIT = 65536
const h = await openHarness(t, { BODY_LIMIT: LIMIT })
const MODEL = 'claude-haiku-4-5-20251001'

const ENCODERS: Record<string, (data: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, zstd: zstdCompressSync }

const ROUTES: Record<string, unknown> = {
  '/v1/chat/completions': { model: MODEL, messages: [{ role: 'user', content: 'hi' }] },
  '/v1/responses': { model: MODEL, input: 'hi' },
  '/v1/messages': { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
  '/hf/v1/responses/compact': { model: MODEL, input: 'hi' }
}

async function post (path: string, body: Buffer, encoding: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'content-encoding': encoding, 'anthropic-version': '2023-06-01' }, body })
  return { status: response.status, body: await response.json() }
}

t.test('each coding on each POST route reaches the upstream decoded', async (t) => {
  for (const [coding, encode] of Object.entries(ENCODERS)) {
    for (const [path, body] of Object.entries(ROUTES)) {
      h.stub.reset()
      const answer = await post(path, encode(Buffer.from(JSON.stringify(body))), coding)
      t.equal(answer.status, 200, `${coding} on ${path}`)
      t.equal(h.stub.requests.length, 1)
      t.equal(h.stub.requests[0].headers['content-encoding'], undefined, 'the upstream gets plain JSON')
    }
  }
})

t.test('a small compressed bomb is refused with 413 by its decoded size', async (t) => {
  const bomb = zstdCompressSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
  t.ok(bomb.length < LIMIT, 'the compressed body itself is under the limit')
  h.stub.reset()
  const chat = await post('/v1/chat/completions', bomb, 'zstd')
  t.equal(chat.status, 413)
  t.match(chat.body, { error: { code: 'request_too_large', type: 'invalid_request_error' } })
  const messages = await post('/v1/messages', gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)), 'gzip')
  t.equal(messages.status, 413)
  t.match(messages.body, { type: 'error', error: { type: 'request_too_large' } }, "Anthropic's shape on the Messages route")
  t.equal(h.stub.requests.length, 0)
})

t.test('an unknown or stacked coding is 415, a corrupt body 400', async (t) => {
  h.stub.reset()
  const body = Buffer.from(JSON.stringify(ROUTES['/v1/responses']))
  const unknown = await post('/v1/responses', body, 'compress')
  t.equal(unknown.status, 415)
  t.match(unknown.body, { error: { code: 'unsupported_content_encoding' } })
  const stacked = await post('/v1/responses', gzipSync(gzipSync(body)), 'gzip, gzip')
  t.equal(stacked.status, 415)
  const messages = await post('/v1/messages', body, 'lzma')
  t.equal(messages.status, 415)
  t.equal(messages.body.type, 'error')
  const corrupt = await post('/v1/responses', Buffer.from('definitely not gzip'), 'gzip')
  t.equal(corrupt.status, 400)
  t.match(corrupt.body, { error: { code: 'invalid_content_encoding' } })
  const identity = await post('/v1/responses', body, 'identity')
  t.equal(identity.status, 200)
})
