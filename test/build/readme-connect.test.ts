/** README and the status page tell clients the same thing about connecting. */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'tap'
import { renderStatusPage } from '../../lib/ops/status-page.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const page = renderStatusPage({ version: '0.0.0', health: { status: 'ok', ready: true }, baseUrl: 'http://gw.example', mirrorPrefix: null })

/** The body of the README section under a heading, up to the next heading. */
function section (heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`README has no "${heading}"`)
  const rest = readme.slice(start + heading.length + 2)
  const end = rest.search(/\n#{1,3} /)
  return end === -1 ? rest : rest.slice(0, end)
}

test('Claude Code gets the client key through ANTHROPIC_AUTH_TOKEN (a Bearer token) in both places', async (t) => {
  const claudeCode = section('### Use with Claude Code')
  t.match(claudeCode, /export ANTHROPIC_AUTH_TOKEN=/)
  t.notMatch(claudeCode, /ANTHROPIC_API_KEY=/, 'not the Anthropic API key variable')
  t.match(page, /export ANTHROPIC_AUTH_TOKEN=/)
  t.notMatch(page, /ANTHROPIC_API_KEY/)
})

test('the Codex config.toml block names the same model in both places, and codex exec is shown working outside a git repository', async (t) => {
  const codex = section('### Use with Codex')
  const readmeModel = /^model = "([^"]+)"/m.exec(codex)?.[1]
  const pageModel = /model = &quot;([^&]+)&quot;|model = "([^"]+)"/.exec(page)
  t.ok(readmeModel, 'README names a model')
  t.equal(pageModel?.[1] ?? pageModel?.[2], readmeModel)
  t.match(codex, /codex exec --skip-git-repo-check/)
})
