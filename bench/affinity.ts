/**
 * What session affinity is worth in prompt-cache reads: four-turn chat conversations with a
 * long system prompt of its own (a project's context, as Claude Code sends), through the gateway, against the stub modelling one prompt cache per key
 * (as Anthropic keeps one per organisation). With affinity every turn of a conversation goes to
 * the key that served its first turn; without it (AFFINITY_TTL_SECONDS=0) keys rotate per request.
 * `npm run bench:affinity`; the figures go in docs/benchmarks.md by hand.
 */
import { startAnthropicStub } from '../test/helpers/anthropic-stub.js'
import { cacheReadShare, LONG_SYSTEM, playConversation, type TurnResult } from '../test/helpers/conversation.js'
import { startGateway } from '../test/helpers/gateway.js'

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

const rows: string[] = ['| keys | key choice | cached share of prompt tokens (turns 1–4) | turns 2–4 that read the cache |', '|---|---|---|---|']
for (const keyCount of [2, 4]) {
  for (const affinity of [false, true]) {
    const figures = await measure(keyCount, affinity)
    rows.push(`| ${keyCount} | ${affinity ? 'session affinity' : 'round-robin'} | ${(figures.share * 100).toFixed(1)} % | ${figures.laterTurnsWithHits} of ${figures.laterTurns} |`)
  }
}
console.log(`${CONVERSATIONS} conversations of ${TURNS} turns each, side by side\n`)
console.log(rows.join('\n'))
