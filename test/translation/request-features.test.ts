// File parts, stop sequences and MAX_CHAT_HISTORY_LENGTH folding, checked on what the stub receives.
import t from 'tap'
import { assistant, chat, chatJson, functionTool, openHarness, toolCall, toolMessage, user } from '../helpers/translation-harness.js'

const h = await openHarness(t, { AUTO_CACHE: false })
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

function filePart (mediaType: string, text: string, filename?: string): Record<string, unknown> {
  return { type: 'file', file: { file_data: `data:${mediaType};base64,${Buffer.from(text).toString('base64')}`, ...(filename ? { filename } : {}) } }
}

t.test('text-like file parts become text documents', async (t) => {
  const files: Array<[string, string, string]> = [
    ['text/plain', 'plain notes', 'notes.txt'],
    ['text/markdown', '# Title\n\n- item ✓', 'readme.md'],
    ['text/csv', 'a,b\n1,2\n', 'data.csv'],
    ['application/json', '{"k": [1, 2]}', 'data.json'],
    ['application/octet-stream', '## named by its extension', 'guide.md']
  ]
  for (const [mediaType, text, filename] of files) {
    h.stub.reset()
    const answer = await chatJson(h.url, chat([user([filePart(mediaType, text, filename), { type: 'text', text: 'Read it' }])]))
    t.equal(answer.status, 200, `${mediaType}: accepted`)
    t.strictSame(h.stub.requests[0].body.messages[0].content[0], {
      type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, title: filename
    }, `${mediaType}: a text document with the decoded text and the file name as title`)
  }
})

t.test('an unsupported file type is a 400 naming the type', async (t) => {
  h.stub.reset()
  const answer = await chatJson(h.url, chat([user([{ type: 'text', text: 'Open' }, filePart('application/zip', 'PK', 'archive.zip')])]))
  t.equal(answer.status, 400)
  t.match(answer.body.error.message, /application\/zip/)
  t.equal(answer.body.error.param, 'messages[0].content[1].file.file_data')
  t.equal(h.stub.requests.length, 0)
  const byId = await chatJson(h.url, chat([user([{ type: 'file', file: { file_id: 'file-abc' } }])]))
  t.equal(byId.status, 400, 'a file_id (OpenAI file storage) is a 400 too')
  t.match(byId.body.error.message, /file_id/)
})

t.test('base64 the upstream would refuse is put right', async (t) => {
  h.stub.reset()
  const unpadded = PNG.replace(/=+$/, '')
  const wrapped = PNG.slice(0, 40) + '\r\n' + PNG.slice(40)
  const jpegBytes = Buffer.from([0xff, 0xd8, 0xff, 0xfb, 0xfe, 0x01])
  const urlSafe = jpegBytes.toString('base64url')
  const parts = [unpadded, wrapped].map((data) => ({ type: 'image_url', image_url: { url: `data:image/png;base64,${data}` } }))
  const answer = await chatJson(h.url, chat([user([{ type: 'text', text: 'Compare' }, ...parts, { type: 'image_url', image_url: { url: `data:image/jpg;base64,${urlSafe}` } }])]))
  t.equal(answer.status, 200, `accepted by the strict stub: ${JSON.stringify(answer.body.error ?? null)}`)
  const images = h.stub.requests[0].body.messages[0].content.slice(1)
  t.equal(images[0].source.data, PNG, 'padding restored')
  t.equal(images[1].source.data, PNG, 'line breaks removed')
  t.equal(images[2].source.media_type, 'image/jpeg', 'image/jpg read as image/jpeg')
  t.ok(urlSafe.includes('_') && urlSafe.includes('-'), 'the data uses the URL-safe alphabet')
  t.strictSame(Buffer.from(images[2].source.data, 'base64'), jpegBytes, 'URL-safe alphabet converted without changing the bytes')
  const broken = await chatJson(h.url, chat([user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,@@@@' } }])]))
  t.equal(broken.status, 400, 'data that is not base64 at all is a 400')
})

t.test('stop as a string or a list', async (t) => {
  h.stub.reset()
  await chatJson(h.url, chat([user('Count')], { stop: 'END' }))
  t.strictSame(h.stub.requests[0].body.stop_sequences, ['END'])
  h.stub.reset()
  const answer = await chatJson(h.url, chat([user('Count')], { stop: ['\n\nHuman:', 'STOP', '###'] }))
  t.equal(answer.status, 200)
  t.strictSame(h.stub.requests[0].body.stop_sequences, ['\n\nHuman:', 'STOP', '###'])
  h.stub.reset()
  const blank = await chatJson(h.url, chat([user('Count')], { stop: ['ok', '  '] }))
  t.equal(blank.status, 400, 'a whitespace-only stop sequence is a 400 (the upstream refuses it)')
  t.equal(blank.body.error.param, 'stop')
  h.stub.reset()
  await chatJson(h.url, chat([user('Count')], { stop: [] }))
  t.equal(h.stub.requests[0].body.stop_sequences, undefined, 'an empty list sends nothing')
})

t.test('MAX_CHAT_HISTORY_LENGTH folds older turns into one document', async (t) => {
  const folded = await openHarness(t, { MAX_CHAT_HISTORY_LENGTH: 120, AUTO_CACHE: false })
  const long = (label: string): string => `${label}: ${'x'.repeat(40)}`
  const messages = [
    { role: 'system', content: 'Stay on topic.' },
    user(long('first question')),
    assistant(long('first answer')),
    user(long('second question')),
    assistant(null, [toolCall('call_fold', 'lookup', { q: 'second' })]),
    toolMessage('call_fold', long('lookup result')),
    assistant(long('second answer')),
    user('third question')
  ]
  const answer = await chatJson(folded.url, chat(messages, { tools: [functionTool('lookup')] }))
  t.equal(answer.status, 200, `accepted: ${JSON.stringify(answer.body.error ?? null)}`)
  const sent = folded.stub.requests[0].body
  t.strictSame(sent.system, [{ type: 'text', text: 'Stay on topic.' }], 'system messages are never folded')
  const first = sent.messages[0]
  t.equal(first.role, 'user')
  t.match(first.content[0], { type: 'document', title: 'Earlier conversation', source: { type: 'text', media_type: 'text/plain' } }, 'the older turns open the conversation as one text document')
  const transcript: string = first.content[0].source.data
  t.match(transcript, /^user: first question/, 'oldest first')
  t.match(transcript, /assistant: first answer/)
  t.notMatch(transcript, /Stay on topic/)
  const toolUses = sent.messages.flatMap((message: any) => message.content.filter((block: any) => block.type === 'tool_use').map((block: any) => block.id))
  const toolResults = sent.messages.flatMap((message: any) => message.content.filter((block: any) => block.type === 'tool_result').map((block: any) => block.tool_use_id))
  t.strictSame(toolUses, toolResults, 'every kept tool call keeps its result (the pair is never split)')
  const inTranscript = transcript.includes('call_fold')
  t.equal(inTranscript, toolUses.length === 0, 'the tool pair is either wholly folded or wholly kept')
  t.equal(sent.messages.at(-1).content.at(-1).text, 'third question', 'the newest turn is always a real message')

  folded.stub.reset()
  const short = await chatJson(folded.url, chat([user('hi'), assistant('hello'), user('bye')]))
  t.equal(short.status, 200)
  t.notOk(JSON.stringify(folded.stub.requests[0].body).includes('Earlier conversation'), 'a conversation within the limit is not folded')
})

t.test('folding moves the cut to a user turn rather than split a tool pair', async (t) => {
  const folded = await openHarness(t, { MAX_CHAT_HISTORY_LENGTH: 60, AUTO_CACHE: false })
  const messages = [
    user('Look up a please'),
    assistant(null, [toolCall('call_a', 'lookup', { q: 'a' })]),
    toolMessage('call_a', 'result a'),
    assistant('Found a.'),
    user('Now c'),
    assistant(null, [toolCall('call_c', 'lookup', { q: 'c' })]),
    toolMessage('call_c', 'result c '.repeat(10))
  ]
  const answer = await chatJson(folded.url, chat(messages, { tools: [functionTool('lookup')] }))
  t.equal(answer.status, 200, 'accepted')
  const sent = folded.stub.requests[0].body
  const transcript: string = sent.messages[0].content[0].source.data
  t.match(transcript, /called lookup\(\{"q":"a"\}\)/, 'the older tool call is folded…')
  t.match(transcript, /tool result \(call_a\): result a/, '…together with its result')
  t.strictSame(sent.messages.map((message: any) => message.content.map((block: any) => block.type)), [['document', 'text'], ['tool_use'], ['tool_result']],
    'the newest tool pair is kept whole although its result alone is over the limit')
})
