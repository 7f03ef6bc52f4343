import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { parseSpendLimitId, spendLimitEntries, spendLimitId, type SpendLimitEntry } from '../lib/clients/admin-views.js'
import { GatewayError } from '../lib/errors.js'
import type { SpendPeriod } from '../lib/store/teams-store.js'
import { SpendLimitBodySchema, SpendLimitDeletedSchema, SpendLimitListSchema, SpendLimitParamsSchema, SpendLimitSchema, type SpendScope } from '../schemas/admin.js'
import { anthropicErrorResponses } from '../schemas/error.js'
import { adminGuard } from './admin-auth.js'

/** Spend caps in the shape of Anthropic's Admin API (`/v1/organizations/spend_limits`). */
const spendLimitRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = fastify.teamsStore
  fastify.addHook('onRequest', adminGuard(fastify))
  const options = { config: { errorShape: 'anthropic' as const } }
  const tags = ['admin']

  function current (): SpendLimitEntry[] {
    const directory = fastify.teams.directory
    return spendLimitEntries(directory.listClients().map(({ record }) => record), directory.listGroups().map(({ record }) => record), directory.organization)
  }

  /** Sets (a number or null) or removes (undefined) the cap of one scope and period in the store. */
  async function apply (request: FastifyRequest, scope: SpendScope, period: SpendPeriod, amount: number | null | undefined, pooled: boolean | undefined): Promise<void> {
    const directory = fastify.teams.directory
    const now = new Date().toISOString()
    if (scope.type === 'organization') {
      const spend = { ...(await store.getOrganizationSpend()) }
      if (amount === undefined) delete spend[period]
      else spend[period] = amount
      await store.putOrganizationSpend(spend)
    } else if (scope.type === 'user') {
      const found = directory.client(scope.user_id)
      if (found === undefined) throw new GatewayError(404, 'not_found_error', `No client named '${scope.user_id}'`)
      if (found.identity.source === 'config') throw new GatewayError(409, 'invalid_request_error', `The client '${scope.user_id}' is defined in config.yaml; set its caps there`)
      const spend = { ...found.record.spend }
      if (amount === undefined) delete spend[period]
      else spend[period] = amount
      await store.putClient({ ...found.record, spend, updatedAt: now })
    } else {
      const found = directory.group(scope.rbac_group_id)
      if (found === undefined) throw new GatewayError(404, 'not_found_error', `No group named '${scope.rbac_group_id}'`)
      if (found.source === 'config') throw new GatewayError(409, 'invalid_request_error', `The group '${scope.rbac_group_id}' is defined in config.yaml; set its caps there`)
      const spend = { ...found.record.spend }
      if (amount === undefined) delete spend[period]
      else spend[period] = amount
      if (pooled !== undefined) spend.pooled = pooled
      await store.putGroup({ ...found.record, spend, updatedAt: now })
    }
    await store.appendAudit({ at: now, actor: request.adminLabel ?? 'admin', action: amount === undefined ? 'spend_limit.delete' : 'spend_limit.set', target: spendLimitId(scope, period), detail: { amount, pooled } })
    await fastify.teams.reload()
  }

  fastify.get('/organizations/spend_limits', { ...options, schema: { tags, summary: 'Every spend cap (Anthropic Admin API shape)', response: { 200: SpendLimitListSchema, ...anthropicErrorResponses } } }, async () => {
    const data = current()
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
  })

  fastify.post('/organizations/spend_limits', { ...options, schema: { tags, summary: 'Set the cap of one scope and period (amount: cents as a string, or null for uncapped)', body: SpendLimitBodySchema, response: { 200: SpendLimitSchema, ...anthropicErrorResponses } } }, async (request) => {
    const { scope, period, amount, pooled } = request.body
    if (pooled !== undefined && scope.type !== 'rbac_group') throw new GatewayError(400, 'invalid_request_error', 'pooled applies to rbac_group scopes only', { param: 'pooled' })
    await apply(request, scope, period, amount === null ? null : Number(amount), pooled)
    return current().find((entry) => entry.id === spendLimitId(scope, period))!
  })

  fastify.get('/organizations/spend_limits/:id', { ...options, schema: { tags, summary: 'One spend cap', params: SpendLimitParamsSchema, response: { 200: SpendLimitSchema, ...anthropicErrorResponses } } }, async (request) => {
    const found = current().find((entry) => entry.id === request.params.id)
    if (found === undefined) throw new GatewayError(404, 'not_found_error', `No spend limit '${request.params.id}'`)
    return found
  })

  fastify.delete('/organizations/spend_limits/:id', { ...options, schema: { tags, summary: 'Remove a cap: the scope inherits the next one again', params: SpendLimitParamsSchema, response: { 200: SpendLimitDeletedSchema, ...anthropicErrorResponses } } }, async (request) => {
    const parsed = parseSpendLimitId(request.params.id)
    if (parsed === undefined || !current().some((entry) => entry.id === request.params.id)) throw new GatewayError(404, 'not_found_error', `No spend limit '${request.params.id}'`)
    await apply(request, parsed.scope, parsed.period, undefined, undefined)
    return { id: request.params.id, type: 'spend_limit_deleted' as const }
  })
}

export default spendLimitRoutes
