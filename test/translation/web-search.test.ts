// Chat Completions' web_search_options: Anthropic's web search tool when WEB_SEARCH is on, and
// web search citations as url_citation annotations, streamed and not.
import t from 'tap'
import { chat, chatJson, openHarness, runBoth, user } from '../helpers/translation-harness.js'

const CITATION = { type: 'web_search_result_location', url: 'https://meteo.example/lyon', title: 'Lyon weather', encrypted_index: 'e1', cited_text: 'Sunny, 21 °C' }

t.test('without WEB_SEARCH, web_search_options is refused by name', async (t) => {
  const h = await openHarness(t)
  const answer = await chatJson(h.url, chat([user('Weather?')], { web_search_options: {} }))
  t.equal(answer.status, 400)
  t.equal(answer.body.error.param, 'web_search_options')
  t.equal(h.stub.requests.length, 0)

  const dropping = await openHarness(t, { UNSUPPORTED_FIELDS: 'drop' })
  const dropped = await chatJson(dropping.url, chat([user('Weather?')], { web_search_options: {} }))
  t.equal(dropped.status, 200, 'with UNSUPPORTED_FIELDS=drop it is dropped')
  t.equal(dropped.headers.get('x-claude2api-dropped-fields'), 'web_search_options')
  t.equal(dropping.stub.requests[0].body.tools, undefined, 'and no search tool goes upstream')
})

t.test('with WEB_SEARCH, web_search_options becomes the web search tool with the caller\'s location', async (t) => {
  const h = await openHarness(t, { WEB_SEARCH: true, AUTO_CACHE: false })
  const options = { user_location: { type: 'approximate', approximate: { city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' } }, search_context_size: 'high' }
  const answer = await chatJson(h.url, chat([user('Weather?')], { web_search_options: options, tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] }))
  t.equal(answer.status, 200)
  t.same(h.stub.requests[0].body.tools, [
    { name: 'lookup', input_schema: { type: 'object' } },
    { type: 'web_search_20250305', name: 'web_search', user_location: { type: 'approximate', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' } }
  ], 'beside the client\'s own tool')
  t.equal(answer.headers.get('x-claude2api-dropped-fields'), 'web_search_options.search_context_size', 'the context size has no Claude setting')

  h.stub.reset()
  const plain = await chatJson(h.url, chat([user('Weather?')], { web_search_options: {} }))
  t.equal(plain.status, 200)
  t.same(h.stub.requests[0].body.tools, [{ type: 'web_search_20250305', name: 'web_search' }], 'no location: the bare tool')
  t.equal(plain.headers.get('x-claude2api-dropped-fields'), null)

  const bad = await chatJson(h.url, chat([user('Weather?')], { web_search_options: { user_location: { type: 'approximate', approximate: { city: 5 } } } }))
  t.equal(bad.status, 400)
  t.equal(bad.body.error.param, 'web_search_options.user_location.approximate.city')
})

t.test('web search citations become url_citation annotations over the cited text, streamed and not', async (t) => {
  const h = await openHarness(t, { WEB_SEARCH: true })
  const reply = { content: [{ type: 'text' as const, text: 'In Lyon: ' }, { type: 'text' as const, text: 'sunny, 21 °C.', citations: [CITATION] }] }
  const both = await runBoth(h, chat([user('Weather?')], { web_search_options: {} }), reply)
  const annotations = [{ type: 'url_citation', url_citation: { start_index: 9, end_index: 22, url: 'https://meteo.example/lyon', title: 'Lyon weather' } }]
  t.equal(both.plain.body.choices[0].message.content, 'In Lyon: sunny, 21 °C.')
  t.same(both.plain.body.choices[0].message.annotations, annotations, 'non-streamed: on the message')
  const streamedAnnotations = both.streamed.chunks.flatMap((chunk: any) => chunk.choices?.[0]?.delta?.annotations ?? [])
  t.same(streamedAnnotations, annotations, 'streamed: in a delta after the cited text')

  const uncited = await chatJson(h.url, chat([user('Hi')]))
  t.notOk('annotations' in uncited.body.choices[0].message, 'no annotations key without citations')
})
