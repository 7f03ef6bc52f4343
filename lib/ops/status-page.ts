import { hash } from 'node:crypto'
import type { HealthVerdict } from './health.js'

export interface StatusPageView {
  version: string
  health: HealthVerdict
  /** Where clients reach this gateway, e.g. https://gw.example.com */
  baseUrl: string
  mirrorPrefix: string | null
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char])
}

function connectSection (baseUrl: string, mirrorPrefix: string | null): string {
  const base = escapeHtml(baseUrl)
  const codex = [
    'model_provider = "claude2api"',
    'model = "claude-sonnet-4-6"',
    '',
    '[model_providers.claude2api]',
    'name = "claude2api"',
    `base_url = "${base}/v1"`,
    'env_key = "CLAUDE2API_KEY"',
    'wire_api = "responses"'
  ].join('\n')
  return `<section id="connect"><h2>How to connect</h2>
<dl>
<dt>OpenAI clients (Chat Completions, Responses)</dt><dd><code>base_url = ${base}/v1</code> (also <code>${base}/hf/v1</code>), API key: a client key</dd>
<dt>Claude Code</dt><dd><pre>export ANTHROPIC_BASE_URL=${base}
export ANTHROPIC_AUTH_TOKEN=&lt;client key&gt;</pre></dd>
<dt>Codex (<code>~/.codex/config.toml</code>, key in <code>CLAUDE2API_KEY</code>)</dt><dd><pre>${codex}</pre></dd>
${mirrorPrefix === null ? '' : `<dt>Mirror mode (your own Anthropic key)</dt><dd><code>${base}${escapeHtml(mirrorPrefix)}/v1</code></dd>`}
</dl></section>`
}

/** The browser half: keeps the client key in sessionStorage and fills the detailed sections from /status. */
const SCRIPT = `
const keyField = document.getElementById('key'), message = document.getElementById('message');
const text = (tag, value) => { const cell = document.createElement(tag); cell.textContent = String(value); return cell; };
const row = (...values) => { const tr = document.createElement('tr'); for (const value of values) tr.append(text('td', value)); return tr; };
const ms = (value) => value === null ? '–' : Math.round(value) + ' ms';
function render (status) {
  document.getElementById('health').textContent = status.health.status + (status.health.reason ? ' (' + status.health.reason + ')' : '');
  document.getElementById('keys').replaceChildren(...status.keys.map((key) => row(key.label, key.state, key.state === 'cooling' ? key.coolingSeconds + ' s' : '', key.disabledReason ?? '')));
  const traffic = status.traffic;
  document.getElementById('traffic').replaceChildren(
    row('requests', traffic.requests), row('client errors (4xx)', traffic.clientErrors), row('server errors (5xx)', traffic.serverErrors),
    row('input tokens', traffic.inputTokens), row('output tokens', traffic.outputTokens),
    row('latency p50 / p90 / p99', [ms(traffic.latencyMs.p50), ms(traffic.latencyMs.p90), ms(traffic.latencyMs.p99)].join(' / ')));
  document.getElementById('models').replaceChildren(...status.models.map((id) => text('li', id)));
  document.getElementById('details').hidden = false;
}
let adminShownAt = 0;
async function showAdmin (headers) {
  if (Date.now() - adminShownAt < 60000) return true;
  const answer = await fetch('admin/dashboard', { headers, cache: 'no-store' });
  if (!answer.ok) return false;
  const admin = document.getElementById('admin');
  admin.innerHTML = await answer.text();
  admin.hidden = false;
  adminShownAt = Date.now();
  return true;
}
async function refresh () {
  const key = sessionStorage.getItem('claude2api.key');
  if (!key) return;
  const headers = { authorization: 'Bearer ' + key };
  const answer = await fetch('status', { headers, cache: 'no-store' });
  // A client key reads the status; an admin key (refused there) reads the dashboard.
  if (answer.status === 401) {
    if (await showAdmin(headers)) { message.textContent = ''; return; }
    sessionStorage.removeItem('claude2api.key'); message.textContent = 'That key was not accepted.'; return;
  }
  if (!answer.ok) { message.textContent = 'Status unavailable (' + answer.status + ')'; return; }
  message.textContent = '';
  render(await answer.json());
}
document.getElementById('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('claude2api.key', keyField.value.trim());
  keyField.value = '';
  refresh().catch((error) => { message.textContent = String(error); });
});
refresh().catch((error) => { message.textContent = String(error); });
setInterval(() => { refresh().catch((error) => { message.textContent = String(error); }); }, 5000);
`

/**
 * The page's Content-Security-Policy: its one script (by hash, so an injected one would not run),
 * its inline style, fetches to this origin only, and never framed (the page takes a client key).
 */
export const STATUS_PAGE_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${hash('sha256', SCRIPT, 'base64')}'`,
  "style-src 'unsafe-inline'",
  "img-src data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** The status page: public facts rendered here, the rest (pool, traffic, models) behind a client key. */
export function renderStatusPage (view: StatusPageView): string {
  const health = view.health.status + (view.health.reason === undefined ? '' : ` (${view.health.reason})`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>claude2api</title>
<link rel="icon" href="data:,">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:0}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2rem .8rem .2rem 0;text-align:left}
pre{background:#f4f4f4;padding:.5rem;overflow:auto}code{background:#f4f4f4}.muted{color:#666}
.chart{margin:1rem 0}.chart svg{display:block;background:#fafafa}.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem}.legend li{display:flex;align-items:center;gap:.3rem}.scroll{overflow-x:auto}.reasons{list-style:none;margin:0;padding:0}
</style></head>
<body>
<h1>claude2api</h1>
<p class="muted">version ${escapeHtml(view.version)} · <a href="openapi.json">API description (OpenAPI)</a> · <a href="docs">browse the API</a> · <a href="health">health</a></p>
<p>Health: <strong id="health">${escapeHtml(health)}</strong></p>
<form id="login"><label>Client or admin key <input id="key" type="password" autocomplete="off"></label> <button type="submit">Show details</button> <span id="message"></span></form>
<div id="details" hidden>
<h2>Key pool</h2><table><thead><tr><th>key</th><th>state</th><th>cooldown left</th><th>reason</th></tr></thead><tbody id="keys"></tbody></table>
<h2>Last 15 minutes (this instance)</h2><table><tbody id="traffic"></tbody></table>
<h2>Models</h2><ul id="models"></ul>
</div>
<div id="admin" hidden></div>
${connectSection(view.baseUrl, view.mirrorPrefix)}
<script>${SCRIPT}</script>
</body></html>
`
}
