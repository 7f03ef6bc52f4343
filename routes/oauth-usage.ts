import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { spendCapsFor } from '../lib/clients/effective-limits.js'
import { spendKey } from '../lib/clients/limiter.js'
import { oauthUsage } from '../lib/clients/oauth-usage.js'
import { SPEND_PERIODS } from '../lib/store/teams-store.js'
import { anthropicErrorResponses } from '../schemas/error.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const UncappedPeriod = Type.Object({ limit: Type.Null(), used_credits: Type.Number(), utilization: Type.Null() })
const OAuthUsageSchema = Type.Object({
  extra_usage: Type.Object({ is_enabled: Type.Boolean(), monthly_limit: Nullable(Type.Number()), used_credits: Type.Number(), utilization: Nullable(Type.Number()), currency: Type.Literal('USD') }),
  limits: Type.Array(Type.Object({ kind: Type.Literal('spend'), group: Type.String(), percent: Type.Integer(), resets_at: Type.String(), severity: Type.String(), is_active: Type.Boolean() })),
  daily: Type.Optional(UncappedPeriod),
  weekly: Type.Optional(UncappedPeriod)
})

/** Claude Code's usage endpoint: the caller's spend against its caps (cents, whole percents). */
const oauthUsageRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/oauth/usage', {
    onRequest: fastify.requireClientKey,
    config: { errorShape: 'anthropic' as const },
    schema: { summary: 'The caller\'s spend against its caps, for Claude Code\'s /usage (client key)', response: { 200: OAuthUsageSchema, ...anthropicErrorResponses } }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const match = request.client
    const name = match?.client.name ?? null
    const now = Date.now()
    if (match === undefined || name === null) return oauthUsage([], () => 0, { daily: 0, weekly: 0, monthly: 0 }, now)
    const { teams } = fastify
    const group = match.client.group === null ? undefined : teams.directory.group(match.client.group)?.record
    const caps = spendCapsFor(match.client, group, teams.directory.organization)
    const keys = [...SPEND_PERIODS.map((period) => spendKey(`c:${name}`, period, now)), ...caps.map((cap) => spendKey(cap.counter, cap.period, now))]
    const values = await teams.limiter.counters.read(keys)
    const own = { daily: values[0], weekly: values[1], monthly: values[2] }
    return oauthUsage(caps, (cap) => values[3 + caps.indexOf(cap)], own, now)
  })
}

export default oauthUsageRoutes
