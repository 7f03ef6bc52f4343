import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { spendCapsFor } from '../lib/clients/effective-limits.js'
import { GatewayError } from '../lib/errors.js'
import { usageStanding, type StandingCap } from '../lib/ledger/usage-standing.js'
import { anyErrorResponses } from '../schemas/error.js'
import { UsageStandingSchema } from '../schemas/usage.js'

/** GET /v1/usage: the calling client's own usage, cost and caps for today, this week and this month. */
const usageRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/usage', {
    config: { errorShape: 'by-version' as const },
    schema: { summary: "The calling client's usage, cost and spend caps (today, this week from Monday, this month; UTC)", response: { 200: UsageStandingSchema, ...anyErrorResponses } }
  }, async (request, reply) => {
    const match = request.client
    const name = match?.client.name ?? null
    if (match === undefined || name === null) {
      throw new GatewayError(404, 'invalid_request_error', 'Usage is kept per named client; this key is one of APIKEY\'s unnamed keys. Ask for a named client key to see your usage.', { code: 'client_not_named' })
    }
    const { directory } = fastify.teams
    const group = match.client.group
    const caps: StandingCap[] = spendCapsFor(match.client, group === null ? undefined : directory.group(group)?.record, directory.organization)
      .map((cap) => ({ period: cap.period, cents: cap.cents, pooled: cap.pooled, group }))
    reply.header('cache-control', 'no-store')
    return await usageStanding(fastify.teamsStore, name, group, caps, Date.now())
  })
}

export default usageRoutes
