/**
 * What session affinity is worth in prompt-cache reads: four-turn chat conversations with a
 * long system prompt of its own (a project's context, as Claude Code sends), through the gateway, against the stub modelling one prompt cache per key
 * (as Anthropic keeps one per organisation). With affinity every turn of a conversation goes to
 * the key that served its first turn; without it (AFFINITY_TTL_SECONDS=0) keys rotate per request.
 * Then a burst over keys of different limits, one small enough for the burst to exhaust, under
 * each KEY_ROUTING policy: 429s, cache reads and latency side by side.
 * `npm run bench:affinity`; the figures go in docs/benchmarks.md by hand.
 */
import type { KeyRouting } from '../lib/key-pool.js'
import { startAnthropicStub, type StubRateLimit } from '../test/helpers/anthropic-stub.js'
import { cacheReadShare, LONG_SYSTEM, playConversation, type TurnResult } from '../test/helpers/conversation.js'
import { authHeaders, startGateway } from '../test/helpers/gateway.js'
import { scrape } from '../test/helpers/metrics.js'
import { medianOfRecords, percentile } from './stats.js'

const CONVERSATIONS = 8
const TURNS = 4

interface Figures { share: number; laterTurnsWithHits: number; laterTurns: number }

async function measure (keyCount: number, affinity: boolean): Promise<Figures> {
  const keys = Array.from({ length: keyCount }, (_, index) => `sk-ant-api03-bench-affinity-${index}-${'x'.repeat(24)}`)
  const stub = await startAnthropicStub({ promptCache: true })
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: keys.join(','), AFFINITY_TTL_SECONDS: affinity ? 3600 : 0 } })
  try {
    // Conversations run side by side, as they do on a shared gateway.
    const results: TurnResult[][] = await Promise.all(Array.from({ length: CONVERSATIONS }, async (_, index) => await playConversation(gateway.url, stub, { turns: TURNS, topic: `conversation ${index}`, system: `Project ${index}.\n${LONG_SYSTEM}` })))
    const failed = results.flat().filter((turn) => turn.status !== 200).length
    if (failed > 0) throw new Error(`${failed} turns failed`)
    const later = results.flatMap((turns) => turns.slice(1))
    return { share: cacheReadShare(results.flat()), laterTurnsWithHits: later.filter((turn) => turn.cachedTokens > 0).length, laterTurns: later.length }
  } finally {
    await gateway.close()
    await stub.close()
  }
}

/** Per minute, like Anthropic's tiers: the small key takes a few conversations, the large one most of the burst. */
const LIMITED_KEYS: Array<{ name: string; limits: StubRateLimit }> = [
  { name: 'small', limits: { inputTokens: 30_000, requests: 50 } },
  { name: 'medium', limits: { inputTokens: 120_000, requests: 200 } },
  { name: 'large', limits: { inputTokens: 300_000, requests: 1000 } }
]
/** A burst within the three keys' input tokens together (about 90 %), and one past them. */
const BURST_SIZES = [24, 32]
const BURST_REPEATS = 5
const POLICIES: KeyRouting[] = ['round-robin', 'affinity', 'headroom']

interface BurstFigures extends Record<string, number> { turns: number; clientRateLimited: number; upstreamRateLimited: number; moves: number; share: number; p95Ms: number }

/** Sum of every sample of a counter whose labels include all of `labels`. */
function total (samples: Map<string, number>, name: string, labels: string[] = []): number {
  let sum = 0
  for (const [key, value] of samples) if (key.startsWith(`${name}{`) && labels.every((label) => key.includes(label))) sum += value
  return sum
}

/** One burst: every conversation starts at once and plays its turns one after another. */
async function burst (policy: KeyRouting, conversations: number): Promise<BurstFigures> {
  const keys = LIMITED_KEYS.map(({ name }) => `sk-ant-api03-bench-${name}-${'x'.repeat(24)}`)
  const stub = await startAnthropicStub({ promptCache: true, rateLimits: Object.fromEntries(keys.map((key, index) => [key, LIMITED_KEYS[index].limits])) })
  const pool = keys.map((key, index) => `${LIMITED_KEYS[index].name}=${key}`).join(',')
  const gateway = await startGateway(stub.url, { config: { ANTHROPIC_API_KEYS: pool, KEY_ROUTING: policy } })
  try {
    const results = await Promise.all(Array.from({ length: conversations }, async (_, index) => await playConversation(gateway.url, stub, { turns: TURNS, topic: `burst ${index}`, system: `Project ${index}.\n${LONG_SYSTEM}` })))
    const turns = results.flat()
    const answered = turns.filter((turn) => turn.status === 200)
    const unexpected = turns.filter((turn) => turn.status !== 200 && turn.status !== 429).length
    if (unexpected > 0) throw new Error(`${unexpected} turns failed other than with 429`)
    const samples = await scrape(gateway.app, authHeaders)
    return {
      turns: answered.length,
      clientRateLimited: turns.length - answered.length,
      upstreamRateLimited: total(samples, 'claude2api_upstream_attempts_total', ['outcome="rate_limited"']),
      moves: total(samples, 'claude2api_affinity_moves_total'),
      share: cacheReadShare(answered),
      p95Ms: percentile(answered.map((turn) => turn.ms), 0.95)
    }
  } finally {
    await gateway.close()
    await stub.close()
  }
}

const rows: string[] = ['| keys | key choice | cached share of prompt tokens (turns 1–4) | turns 2–4 that read the cache |', '|---|---|---|---|']
for (const keyCount of [2, 4]) {
  for (const affinity of [false, true]) {
    const figures = await measure(keyCount, affinity)
    rows.push(`| ${keyCount} | ${affinity ? 'session affinity' : 'round-robin'} | ${(figures.share * 100).toFixed(1)} % | ${figures.laterTurnsWithHits} of ${figures.laterTurns} |`)
  }
}
console.log(`${CONVERSATIONS} conversations of ${TURNS} turns each, side by side\n`)
console.log(rows.join('\n'))

const limits = LIMITED_KEYS.map(({ name, limits }) => `${name} ${limits.inputTokens! / 1000} K input tokens and ${limits.requests!} requests`).join(', ')
console.log(`\nBursts of conversations of ${TURNS} turns, all starting at once, over 3 keys with per-minute limits (${limits}); median of ${BURST_REPEATS} runs\n`)
console.log('| conversations | KEY_ROUTING | turns answered | 429s to clients | 429s from upstream (retried on another key) | conversations moved off their key | cached share of prompt tokens | p95 per turn |')
console.log('|---|---|---|---|---|---|---|---|')
for (const conversations of BURST_SIZES) {
  // Policies alternate within each repeat, so that a busy spell of the machine hits them alike.
  const runs = new Map<KeyRouting, BurstFigures[]>(POLICIES.map((policy) => [policy, []]))
  for (let repeat = 0; repeat < BURST_REPEATS; repeat++) {
    for (const policy of POLICIES) runs.get(policy)!.push(await burst(policy, conversations))
  }
  for (const policy of POLICIES) {
    const figures = medianOfRecords(runs.get(policy)!)
    console.log(`| ${conversations} | ${policy} | ${figures.turns} of ${conversations * TURNS} | ${figures.clientRateLimited} | ${figures.upstreamRateLimited} | ${figures.moves} | ${(figures.share * 100).toFixed(1)} % | ${figures.p95Ms.toFixed(0)} ms |`)
  }
}
