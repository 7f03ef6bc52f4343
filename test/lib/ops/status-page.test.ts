// The public status page: health and how to connect, escaped; the rest waits for a client key.
import { test } from 'tap'
import { escapeHtml, renderStatusPage } from '../../../lib/ops/status-page.js'

const VIEW = { version: '1.2.3', health: { status: 'ok' as const, ready: true }, baseUrl: 'https://gw.example.com', mirrorPrefix: null }

test('HTML special characters are escaped', async (t) => {
  t.equal(escapeHtml('<a href="x">Tom & Jerry\'s</a>'), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;')
  t.equal(escapeHtml('plain'), 'plain')
})

test('health is shown with its reason when there is one', async (t) => {
  t.match(renderStatusPage(VIEW), '<strong id="health">ok</strong>')
  t.match(renderStatusPage({ ...VIEW, health: { status: 'degraded', reason: 'shared state <unreachable>', ready: true } }), '<strong id="health">degraded (shared state &lt;unreachable&gt;)</strong>')
})

test('version and base URL are escaped; the mirror section appears only in mirror mode', async (t) => {
  const page = renderStatusPage({ ...VIEW, version: '1<2', baseUrl: 'https://gw.example.com/"x"' })
  t.match(page, 'version 1&lt;2')
  t.match(page, 'base_url = https://gw.example.com/&quot;x&quot;/v1')
  t.notMatch(page, 'Mirror mode')
  const mirrored = renderStatusPage({ ...VIEW, mirrorPrefix: '/mirror' })
  t.match(mirrored, '<code>https://gw.example.com/mirror/v1</code>')
})
