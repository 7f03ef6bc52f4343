import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { findChromium } from '../helpers/chromium.js'
import { CLIENT_KEY, postChat, startGateway, UPSTREAM_KEYS } from '../helpers/gateway.js'

/** Set UPDATE_SCREENSHOT=1 to refresh the committed docs/status-page.png; otherwise it goes to a temp dir. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? 'docs/status-page.png' : undefined

test('the status page in a real headless Chromium: loads, shows the pool, follows traffic, no console errors', async (t) => {
  const executable = findChromium()
  const stub = await startAnthropicStub()
  const gateway = await startGateway(stub.url)
  const profile = mkdtempSync(join(tmpdir(), 'claude2api-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 1100, height: 1300 }
  })
  t.teardown(async () => {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
    await gateway.close()
    await stub.close()
  })
  const problems: string[] = []
  const page = await browser.newPage()
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`) })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))

  const loaded = await page.goto(`${gateway.url}/`)
  t.equal(loaded?.status(), 200)
  t.equal(await page.title(), 'claude2api')
  t.equal(await page.textContent('#health'), 'ok')
  t.equal(await page.isVisible('#details'), false, 'pool details are hidden until a key is given')
  t.match(await page.textContent('#connect') ?? '', `ANTHROPIC_BASE_URL=${gateway.url}`)
  t.match(await page.textContent('#connect') ?? '', `base_url = "${gateway.url}/v1"`)
  const html = await page.content()
  for (const secret of [...UPSTREAM_KEYS, CLIENT_KEY]) t.notOk(html.includes(secret), 'no key in the page')

  await page.fill('#key', 'wrong-key')
  await page.click('button[type=submit]')
  // Functions, not strings: the page's Content-Security-Policy forbids evaluating strings in it.
  await page.waitForFunction(() => (globalThis as any).document.getElementById('message').textContent === 'That key was not accepted.')
  // The browser reports the refused fetch itself; that one is expected.
  problems.splice(0, problems.length, ...problems.filter((line) => !line.includes('status of 401')))

  await page.fill('#key', CLIENT_KEY)
  await page.click('button[type=submit]')
  await page.waitForSelector('#details:not([hidden])')
  /** Rows of a table body as their cells' text. */
  const rows = async (selector: string): Promise<string[][]> => (await page.locator(`${selector} tr`).all()).reduce<Promise<string[][]>>(async (done, row) => [...await done, await row.locator('td').allTextContents()], Promise.resolve([]))
  const states = async (): Promise<string[]> => (await rows('#keys')).map((cells) => `${cells[0]} ${cells[1]}`)
  t.same(await states(), ['sk-ant-api03-…AAAA healthy', 'sk-ant-api03-…BBBB healthy'])
  t.same((await rows('#traffic'))[0], ['requests', '0'], 'no traffic yet')
  t.ok((await page.locator('#models li').allTextContents()).includes('claude-sonnet-4-6'), 'models are listed')

  stub.enqueue(
    { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '120' } },
    { content: [{ type: 'text', text: 'hello' }], usage: { input_tokens: 21, output_tokens: 8 } }
  )
  t.equal((await postChat(gateway.url, { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] })).status, 200)
  t.equal((await postChat(gateway.url, { model: 'claude-sonnet-4-6' })).status, 400)

  // The page refreshes itself every few seconds; wait for it to show the new state.
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#traffic tr td:last-child').textContent === '2', undefined, { timeout: 30_000 })
  const traffic = Object.fromEntries((await rows('#traffic')).map((cells) => [cells[0], cells[1]]))
  t.equal(traffic.requests, '2')
  t.equal(traffic['client errors (4xx)'], '1')
  t.equal(traffic['input tokens'], '21')
  t.equal(traffic['output tokens'], '8')
  t.same((await states()).map((line) => line.split(' ').at(-1)).sort(), ['cooling', 'healthy'], 'the rate-limited key shows as cooling')
  t.match(await page.locator('#keys').textContent(), /cooling1\d\d s/, 'with its cooldown left (of 120 s)')

  await page.reload()
  await page.waitForSelector('#details:not([hidden])')
  t.pass('the key is remembered for the session')

  await page.screenshot({ path: SCREENSHOT ?? join(profile, 'status-page.png'), fullPage: true })
  t.same(problems, [], 'no console errors or warnings')
})

test('the admin view in a real headless Chromium: charts drawn from the ledger, figures equal to the cost report, cache miss reasons, no console errors', async (t) => {
  const executable = findChromium()
  const adminKey = 'admin-key-for-the-dashboard-0123456789'
  const alice = 'c2a-alice-dashboard-key-0123456789abcdef'
  const stub = await startAnthropicStub()
  const dataDir = mkdtempSync(join(tmpdir(), 'claude2api-dashboard-'))
  const gateway = await startGateway(stub.url, { config: { DATA_DIR: dataDir, ADMIN_KEYS: adminKey, CLIENTS: JSON.stringify([{ name: 'alice', key: alice, spend: { daily: 500, monthly: 5000 } }]) } })
  const profile = mkdtempSync(join(tmpdir(), 'claude2api-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 1100, height: 1500 }
  })
  t.teardown(async () => {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
    await gateway.close()
    await stub.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  for (const model of ['claude-sonnet-4-6', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-6']) {
    stub.enqueue({ content: [{ type: 'text', text: 'hello' }], usage: { input_tokens: 1000, cache_read_input_tokens: 3000, output_tokens: 200 } })
    const answer = await postChat(gateway.url, { model, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${alice}`, 'content-type': 'application/json' })
    t.equal(answer.status, 200)
    t.equal(answer.headers.get('x-claude2api-cache'), 'hit')
  }
  // Three new conversations that read nothing: one writes its prefix, two write nothing (as Anthropic answers a prefix below the model's minimum).
  const misses: string[] = []
  for (const [question, written] of [['a first question', 2000], ['a second question', 0], ['a third question', 0]] as const) {
    stub.enqueue({ content: [{ type: 'text', text: 'hello' }], usage: { input_tokens: written === 0 ? 500 : 1000, cache_creation_input_tokens: written, cache_read_input_tokens: 0, output_tokens: 10 } })
    const answer = await postChat(gateway.url, { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: question }] }, { authorization: `Bearer ${alice}`, 'content-type': 'application/json' })
    t.equal(answer.status, 200)
    misses.push(answer.headers.get('x-claude2api-cache') ?? '')
  }
  t.same(misses, ['first_write', 'not_cacheable', 'not_cacheable'])
  await gateway.app.ledger.flush()

  const problems: string[] = []
  const page = await browser.newPage()
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`) })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  await page.goto(`${gateway.url}/`)
  await page.fill('#key', adminKey)
  await page.click('button[type=submit]')
  await page.waitForSelector('#dashboard')
  // An admin key is refused by /status (a client route) before the dashboard is asked for; that 401 is expected.
  problems.splice(0, problems.length, ...problems.filter((line) => !line.includes('status of 401')))

  const bars = await page.locator('#dashboard svg rect[data-series="alice"]').count()
  t.equal(bars, 1, 'today\'s bar in the spend-by-client chart')
  const models = await page.locator('#dashboard svg rect[data-series]').evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-series')))
  t.ok(models.includes('claude-sonnet-4-6') && models.includes('claude-haiku-4-5-20251001'), 'the spend-by-model chart stacks both models')
  const nano = Number(await page.locator('#dashboard svg rect[data-series="alice"]').getAttribute('data-nano'))

  const today = new Date().toISOString().slice(0, 10)
  const report = await (await fetch(`${gateway.url}/v1/organizations/cost_report?starting_at=${today}T00:00:00Z&group_by[]=api_key_id`, { headers: { 'x-api-key': adminKey } })).json() as { data: Array<{ results: Array<{ api_key_id: string, amount: string }> }> }
  const cents = report.data[0]!.results.find((result) => result.api_key_id === 'alice')!.amount
  t.equal(nano, Math.round(Number(cents) * 1e7), 'the chart\'s figure is the cost report\'s')
  t.ok(nano > 0)
  const row = await page.locator('#client-spend tr[data-client="alice"] td').allTextContents()
  t.equal(row[0], 'alice')
  t.match(row[1], /of \$5\.00/, 'today against the daily cap')
  t.match(row[2], /of \$50\.00/, 'this month against the monthly cap')
  t.equal(row[3], '56 %', 'cache reads are 9,000 of the 16,000 input tokens')
  const reasons = await page.locator('#cache-misses tr[data-client="alice"] li').allTextContents()
  t.same(reasons, ['not_cacheable ×2', 'first_write ×1'], 'the outcomes other than a hit that the requests above had, most frequent first')
  t.equal((await page.locator('#cache-misses tr[data-client="alice"] td').allTextContents())[1], '56 %', 'next to the same cache-read share')
  t.equal(await page.textContent('#requests-24h'), '6')
  t.match(await page.textContent('#latency-24h') ?? '', /^\d+ ms \/ \d+ ms$/)
  await page.screenshot({ path: process.env.UPDATE_SCREENSHOT === '1' ? 'docs/dashboard.png' : join(profile, 'dashboard.png'), fullPage: true })
  t.same(problems, [], 'no console errors or warnings')
})
