// translation-cases.md, "System, roles and content": one test per row.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { assistant, chat, chatJson, functionTool, openHarness, toolCall, toolMessage, user } from '../helpers/translation-harness.js'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n').toString('base64')
const h = await openHarness(t, { AUTO_CACHE: false })

/** Every text block sent upstream, wherever it stands (system, turns, tool results). */
function allTextBlocks (body: any): any[] {
  const inTurns = body.messages.flatMap((message: any) => message.content.flatMap((block: any) => block.type === 'tool_result' && Array.isArray(block.content) ? [block, ...block.content] : [block]))
  return [...(body.system ?? []), ...inTurns].filter((block: any) => block.type === 'text')
}

t.test('all-system-messages', async (t) => {
  h.stub.reset()
  const body = chat([
    { role: 'system', content: 'Rule A' },
    user('Hi'),
    { role: 'developer', content: [{ type: 'text', text: 'Rule B' }] },
    assistant('Hello'),
    { role: 'system', content: 'Rule C' },
    user('Go on'),
    { role: 'developer', content: 'Rule D' }
  ])
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'accepted')
  const sent = h.stub.requests[0].body
  t.strictSame(sent.system, ['Rule A', 'Rule B', 'Rule C', 'Rule D'].map((text) => ({ type: 'text', text })), 'every system and developer message, in order')
  t.strictSame(sent.messages.map((message: any) => message.role), ['user', 'assistant', 'user'], 'none left among the turns')
})

t.test('no-empty-text', async (t) => {
  h.stub.reset()
  const body = chat([
    { role: 'system', content: '   ' },
    { role: 'system', content: 'Be brief.' },
    user([{ type: 'text', text: '' }, { type: 'text', text: 'Weather?' }, { type: 'text', text: ' \n ' }]),
    assistant('', [toolCall('call_1', 'get_weather', { city: 'Paris' })]),
    toolMessage('call_1', 'Sunny'),
    assistant(null, [toolCall('call_2', 'get_weather', { city: 'Rome' })]),
    toolMessage('call_2', [{ type: 'text', text: '' }, { type: 'text', text: 'Rainy' }]),
    assistant('  \n', [toolCall('call_3', 'get_weather', { city: 'Oslo' })]),
    toolMessage('call_3', '   '),
    user('\t')
  ], { tools: [functionTool('get_weather')] })
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, `accepted: ${JSON.stringify(answer.body.error ?? null)}`)
  const sent = h.stub.requests[0].body
  const texts = allTextBlocks(sent)
  t.ok(texts.length >= 3, 'the real texts are there')
  t.ok(texts.every((block) => /\S/.test(block.text)), 'no empty or whitespace-only text block')
  t.strictSame(sent.messages[1].content.map((block: any) => block.type), ['tool_use'], 'an empty assistant content beside tool calls sends no text')
})

t.test('same-role-runs', async (t) => {
  h.stub.reset()
  const body = chat([user('One'), user('Two'), assistant('Three'), assistant('Four'), user('Five'), user([{ type: 'text', text: 'Six' }])])
  const answer = await chatJson(h.url, body)
  t.equal(answer.status, 200, 'accepted')
  const sent = h.stub.requests[0].body.messages
  t.strictSame(sent, [
    { role: 'user', content: [{ type: 'text', text: 'One' }, { type: 'text', text: 'Two' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Three' }, { type: 'text', text: 'Four' }] },
    { role: 'user', content: [{ type: 'text', text: 'Five' }, { type: 'text', text: 'Six' }] }
  ], 'each run merged into one turn, in order')
})

t.test('starts-with-assistant', async (t) => {
  h.stub.reset()
  const answer = await chatJson(h.url, chat([{ role: 'system', content: 'Be a pirate.' }, assistant('Ahoy! What be yer question?'), user('Where is the treasure?')]))
  t.equal(answer.status, 200, 'accepted')
  t.equal(answer.body.choices[0].message.content, 'Hello from the stub.')
  const sent = h.stub.requests[0].body.messages
  t.strictSame(sent.map((message: any) => message.role), ['user', 'assistant', 'user'], 'a user turn opens the conversation')
  t.strictSame(sent[0].content, [{ type: 'text', text: '(start of conversation)' }], 'a fixed placeholder, not an empty block')
  t.equal(sent[1].content[0].text, 'Ahoy! What be yer question?', "the assistant's opening is kept")
})

t.test('image-data-url', async (t) => {
  h.stub.reset()
  const parts = [
    { type: 'text', text: 'What is this?' },
    { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
    { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${PNG}` } },
    { type: 'image_url', image_url: { url: `data:image/webp;base64,${PNG}` } }
  ]
  const answer = await chatJson(h.url, chat([user(parts)]))
  t.equal(answer.status, 200, 'accepted')
  const images = h.stub.requests[0].body.messages[0].content.slice(1)
  // Anthropic refuses bytes of another type than declared: the bytes (a PNG each time) decide.
  t.strictSame(images, [1, 2, 3].map(() => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } })))

  h.stub.reset()
  const notAnImage = await chatJson(h.url, chat([user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from('plain text, not an image').toString('base64')}` } }])]))
  t.equal(notAnImage.status, 400, 'bytes of no image type are refused')
  t.equal(notAnImage.body.error.param, 'messages[0].content[0].image_url.url', 'naming the part')
  t.equal(h.stub.requests.length, 0, 'nothing sent upstream')

  h.stub.reset()
  const refused = await chatJson(h.url, chat([user([{ type: 'text', text: 'And this?' }, { type: 'image_url', image_url: { url: `data:image/bmp;base64,${PNG}` } }])]))
  t.equal(refused.status, 400)
  t.match(refused.body.error.message, /image\/bmp/, 'the 400 names the media type')
  t.equal(refused.body.error.param, 'messages[0].content[1].image_url.url')
  t.equal(h.stub.requests.length, 0, 'nothing sent upstream')
})

t.test('image-data-url over the 5 MB per-image limit is a 400 naming the part, before any upstream call', async (t) => {
  h.stub.reset()
  // The review's payload: 10 MB of URL-safe letters and line breaks.
  const huge = '-_\n'.repeat(3.5 * 1024 * 1024)
  const answer = await chatJson(h.url, chat([user([{ type: 'text', text: 'Big' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${huge}` } }])]))
  t.equal(answer.status, 400)
  t.equal(answer.body.error.code, 'image_too_large')
  t.equal(answer.body.error.param, 'messages[0].content[1].image_url.url')
  t.match(answer.body.error.message, /5 MB/)
  t.equal(h.stub.requests.length, 0, 'nothing sent upstream')
})

t.test('image-http-url', async (t) => {
  h.stub.reset()
  let fetched = 0
  const imageServer = createServer((_request, response) => {
    fetched++
    response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG, 'base64'))
  })
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => imageServer.close(() => resolve())))
  const url = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/cat.png?size=large`
  const answer = await chatJson(h.url, chat([user([{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url } }])]))
  t.equal(answer.status, 200, 'accepted')
  t.strictSame(h.stub.requests[0].body.messages[0].content[1], { type: 'image', source: { type: 'url', url } }, 'forwarded as a url source')
  t.equal(fetched, 0, 'the gateway never downloaded the image')

  const ftp = await chatJson(h.url, chat([user([{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }])]))
  t.equal(ftp.status, 400, 'a non-http(s) URL is refused')
})

t.test('pdf-file-part', async (t) => {
  h.stub.reset()
  const part = { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}`, filename: 'report.pdf' } }
  const answer = await chatJson(h.url, chat([user([part, { type: 'text', text: 'Summarise' }])]))
  t.equal(answer.status, 200, 'accepted')
  t.strictSame(h.stub.requests[0].body.messages[0].content[0], {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: PDF },
    title: 'report.pdf'
  })
})
