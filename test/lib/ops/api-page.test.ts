// The OpenAPI document as one readable page.
import { test } from 'tap'
import { renderApiPage } from '../../../lib/ops/api-page.js'

test('each operation is listed with its answers, request body and 200 response, escaped', async (t) => {
  const page = renderApiPage({
    info: { title: 'claude2api <gw>', version: '1.0.0' },
    paths: {
      '/v1/things': {
        post: { summary: 'Make a <thing>', requestBody: { required: ['a&b'] }, responses: { 200: { type: 'object' }, 400: {} } },
        get: {}
      }
    }
  })
  t.match(page, '<title>claude2api &lt;gw&gt; API</title>')
  t.match(page, '<h1>claude2api &lt;gw&gt; 1.0.0</h1>')
  t.match(page, '<code>POST /v1/things</code>')
  t.match(page, '<p>Make a &lt;thing&gt;</p><p class="muted">answers: 200 400</p>')
  t.match(page, '<summary>request body</summary><pre>{\n  &quot;required&quot;: [\n    &quot;a&amp;b&quot;\n  ]\n}</pre>')
  t.match(page, '<summary>200 response</summary><pre>{\n  &quot;type&quot;: &quot;object&quot;\n}</pre>')
  t.match(page, '<code>GET /v1/things</code></h3>\n<p></p><p class="muted">answers: </p></section>', 'an operation without summary, body or answers')
  t.equal(page.split('<summary>request body</summary>').length, 2, 'one request body')
  t.equal(page.split('<summary>200 response</summary>').length, 2, 'one 200 response')
})
