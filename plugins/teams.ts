import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { openAiRateHeaders, rateRefusalMessage, retryAfterSeconds, spendRefusalHeaders, spendRefusalMessage, unifiedUsageHeaders } from '../lib/clients/answers.js'
import { MemoryCounters, type LimitCounters } from '../lib/clients/counters.js'
import { ClientDirectory, type KeyMatch } from '../lib/clients/directory.js'
import { rateLimitsFor, spendCapsFor, type AppliedCap, type AppliedRate } from '../lib/clients/effective-limits.js'
import { Limiter, type Admission, type RequestUsage } from '../lib/clients/limiter.js'
import { periodStart } from '../lib/clients/periods.js'
import { callerIdentity, namedClientIdentity } from '../lib/core/caller-identity.js'
import { GatewayError } from '../lib/errors.js'
import { SPEND_PERIODS, type GroupRecord, type LedgerRow, type TeamsStore } from '../lib/store/teams-store.js'
import { presentedKey } from './auth.js'
import type {} from './ledger.js'
import type {} from '../routes/admin-auth.js'

/** What a request's model is, as asked for and as sent upstream (after MODEL_ALIASES). */
export interface RequestModel { requested: string | undefined; upstream: string | undefined }

export interface Teams {
  /** Every client and group known right now (reloaded when the store changes). */
  readonly directory: ClientDirectory
  readonly limiter: Limiter
  /** The client a presented key belongs to, or a 401 (unknown, expired, disabled). */
  authenticate (request: FastifyRequest, key: string): KeyMatch
  /** What per-caller state (stored responses, sealed reasoning, thinking, affinity) is keyed by. */
  callerOf (request: FastifyRequest): string
  /** The model check, then (with `limits`) the rate, concurrency and spend limits; throws the refusal. */
  admit (request: FastifyRequest, reply: FastifyReply | undefined, model: RequestModel, options: { limits: boolean }): Promise<() => void>
  /** Whether the request's client may use this upstream model id. */
  allowsModel (request: FastifyRequest, upstreamModel: string): boolean
  /** Headers for a successful Messages answer: Claude Code's usage headers for a capped client. */
  messagesHeaders (request: FastifyRequest): Record<string, string>
  /** Counts a finished (part of a) request: tokens per minute and spend. */
  recordUsage (request: FastifyRequest, usage: RequestUsage): void
  /** Reads clients and groups from the store again. */
  reload (): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    teams: Teams
  }
  interface FastifyRequest {
    /** The client the request's key belongs to (client-key routes only). */
    client: KeyMatch | undefined
    /** The limits a request was admitted under, for its headers and its accounting. */
    teamsAdmission: { admission: Admission; rates: AppliedRate[]; caps: AppliedCap[] } | undefined
  }
}

const RELOAD_INTERVAL_MS = 1000
const FAILURE_LOG_INTERVAL_MS = 10000

function anthropicShaped (request: FastifyRequest): boolean {
  const shape = request.routeOptions.config?.errorShape
  return shape === 'anthropic' || (shape === 'by-version' && request.headers['anthropic-version'] !== undefined)
}

function storeOf (fastify: FastifyInstance): TeamsStore | undefined {
  return (fastify as unknown as { teamsStore?: TeamsStore }).teamsStore
}

const unauthorized = (message: string, code: string): GatewayError =>
  new GatewayError(401, 'authentication_error', message, { code, anthropic: { headers: { 'x-should-retry': 'false' } } })

async function teamsPlugin (fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  const settings = config.teams
  const store = storeOf(fastify)
  let counters: LimitCounters = new MemoryCounters()
  if (fastify.redis !== null) {
    const { RedisCounters } = await import('../lib/clients/redis-counters.js')
    counters = new RedisCounters(fastify.redis)
  }
  const limiter = new Limiter(counters)

  const build = async (): Promise<ClientDirectory> => new ClientDirectory({
    apiKeys: config.clientKeys,
    configClients: settings.clients,
    configGroups: settings.groups,
    configOrganization: settings.organization,
    storedClients: store ? await store.listClients() : [],
    storedGroups: store ? await store.listGroups() : [],
    storedOrganization: store ? await store.getOrganizationSpend() : {}
  })
  let directory = await build()
  let revision = store ? await store.revision() : 0

  const reload = async (): Promise<void> => {
    directory = await build()
  }

  let lastFailureLog = 0
  /** ENFORCEMENT=open serves when the counters cannot be read; closed refuses. Either way it is logged (not on every request). */
  function countersFailed (request: FastifyRequest, error: unknown): void {
    if (Date.now() - lastFailureLog > FAILURE_LOG_INTERVAL_MS) {
      lastFailureLog = Date.now()
      request.log.warn({ err: error instanceof Error ? error.message : String(error), enforcement: settings.enforcement }, 'limit counters cannot be read')
    }
    if (settings.enforcement === 'open') return
    if (anthropicShaped(request)) {
      throw new GatewayError(429, 'rate_limit_error', 'The gateway cannot read its usage counters right now, and it is set to refuse requests until it can; try again shortly.', {
        code: 'limits_unavailable',
        anthropic: { type: 'billing_error', headers: { 'x-should-retry': 'false', 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-overage-disabled-reason': 'fetch_error' } }
      })
    }
    throw new GatewayError(503, 'server_error', 'The gateway cannot read its usage counters right now, and it is set to refuse requests until it can; try again shortly.', { code: 'limits_unavailable', headers: { 'retry-after': '5' } })
  }

  function groupOf (match: KeyMatch): GroupRecord | undefined {
    return match.client.group === null ? undefined : directory.group(match.client.group)?.record
  }

  function refuseModel (request: FastifyRequest, requested: string): never {
    if (anthropicShaped(request)) throw new GatewayError(400, 'invalid_request_error', `The model '${requested}' is not available to this API key.`, { param: 'model', code: 'model_not_allowed' })
    throw new GatewayError(404, 'invalid_request_error', `The model '${requested}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' })
  }

  function refusal (request: FastifyRequest, admission: Admission, name: string, group: string | null): GatewayError {
    const now = Date.now()
    const refused = admission.refusal!
    const anthropic = anthropicShaped(request)
    if (refused.kind === 'rate') {
      const headers = { 'retry-after': retryAfterSeconds(refused.standing.resetAt, now), ...(anthropic ? {} : openAiRateHeaders(admission.rates, now)) }
      return new GatewayError(429, 'rate_limit_error', rateRefusalMessage(refused.standing, name, group, now), { code: 'rate_limit_exceeded', headers })
    }
    const message = spendRefusalMessage(refused.standing, name, group)
    const retryAfter = retryAfterSeconds(refused.standing.resetAt, now)
    return new GatewayError(429, 'insufficient_quota', message, {
      code: 'insufficient_quota',
      headers: { 'retry-after': retryAfter },
      anthropic: { type: 'billing_error', headers: spendRefusalHeaders(refused.standing, now) }
    })
  }

  const teams: Teams = {
    get directory () { return directory },
    limiter,
    authenticate (request, key) {
      const match = directory.lookup(key)
      if (match === undefined) throw unauthorized('Invalid API key', 'invalid_api_key')
      const { client } = match
      if (client.disabled) throw unauthorized(`This API key's client '${client.name ?? ''}' is disabled.`, 'client_disabled')
      if (client.expiresAt !== null && client.expiresAt <= Date.now()) {
        throw unauthorized(`This API key's client '${client.name ?? ''}' expired on ${new Date(client.expiresAt).toISOString()}.`, 'client_expired')
      }
      request.client = match
      return match
    },
    callerOf (request) {
      const name = request.client?.client.name
      return name == null ? callerIdentity(presentedKey(request) ?? '') : namedClientIdentity(name)
    },
    allowsModel (request, upstreamModel) {
      return request.client?.client.models.allows(upstreamModel) ?? true
    },
    async admit (request, reply, model, options) {
      const nothing = (): void => {}
      const match = request.client
      if (match === undefined) return nothing
      if (model.upstream !== undefined && !match.client.models.allows(model.upstream)) refuseModel(request, model.requested ?? model.upstream)
      const name = match.client.name
      if (!options.limits || name === null) return nothing
      const group = groupOf(match)
      const rates = rateLimitsFor(match.client, group)
      const caps = spendCapsFor(match.client, group, directory.organization)
      if (rates.length === 0 && caps.length === 0) return nothing
      let admission: Admission
      try {
        admission = await limiter.admit(rates, caps)
      } catch (error) {
        countersFailed(request, error)
        return nothing
      }
      if (admission.refusal) throw refusal(request, admission, name, match.client.group)
      request.teamsAdmission = { admission, rates, caps }
      if (reply !== undefined && !anthropicShaped(request)) reply.headers(openAiRateHeaders(admission.rates, Date.now()))
      if (admission.slots.length === 0) return nothing
      let released = false
      const release = (): void => {
        if (released) return
        released = true
        limiter.release(admission).catch((error: unknown) => request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not release a concurrency slot'))
      }
      // A WebSocket turn (no reply of its own) gives its slot back itself when the turn ends.
      reply?.raw.once('close', release)
      return release
    },
    messagesHeaders (request) {
      const spend = request.teamsAdmission?.admission.spend
      return spend === undefined ? {} : unifiedUsageHeaders(spend)
    },
    recordUsage (request, usage) {
      const name = request.client?.client.name
      if (name == null) return
      const admitted = request.teamsAdmission
      limiter.record(name, admitted?.rates ?? [], admitted?.caps ?? [], usage).catch((error: unknown) => {
        request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not count usage against limits')
      })
    },
    reload
  }
  fastify.decorate('teams', teams)
  fastify.decorateRequest('client', undefined)
  fastify.decorateRequest('teamsAdmission', undefined)
  fastify.decorateRequest('adminLabel', undefined)

  // Each request's real usage and cost, once it is over (streamed, failed mid-stream or not),
  // from the usage ledger's row: the same figures the ledger stores.
  fastify.addHook('onReady', async () => {
    if (!fastify.hasDecorator('ledger')) return
    const perClient = clientMetrics(fastify)
    fastify.ledger.onRecorded((row, request) => {
      if (row.client === null) return
      perClient(row)
      teams.recordUsage(request, {
        inputTokens: row.uncachedInputTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens,
        outputTokens: row.outputTokens,
        costNanoUsd: row.costNanoUsd
      })
    })
  })

  if (store) {
    await seedSpend(store, limiter, directory, fastify)
    const timer = setInterval(() => {
      store.revision().then(async (current) => {
        if (current === revision) return
        revision = current
        await reload()
      }).catch((error: unknown) => fastify.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not reload clients from the store'))
    }, RELOAD_INTERVAL_MS)
    timer.unref()
    fastify.addHook('onClose', async () => { clearInterval(timer) })
  }
}

/** Past this many distinct clients, the rest share the label `other`: the label stays bounded. */
const MAX_CLIENT_LABELS = 200

/** Per-client requests, tokens and cost on /metrics, labelled by client name (never a key). */
function clientMetrics (fastify: FastifyInstance): (row: LedgerRow) => void {
  const requests = fastify.metrics.counter({ name: 'claude2api_client_requests_total', help: 'Requests of each named client (past 200 clients: other)', labelNames: ['client'] })
  const tokens = fastify.metrics.counter({ name: 'claude2api_client_tokens_total', help: 'Tokens of each named client by kind: input (uncached), cache_write, cache_read, output', labelNames: ['client', 'kind'] })
  const cost = fastify.metrics.counter({ name: 'claude2api_client_cost_nano_usd_total', help: 'Cost of each named client in nano-US-dollars (unpriced requests add nothing)', labelNames: ['client'] })
  const seen = new Set<string>()
  const label = (name: string): string => {
    if (seen.has(name)) return name
    if (seen.size >= MAX_CLIENT_LABELS) return 'other'
    seen.add(name)
    return name
  }
  return (row) => {
    const client = label(row.client!)
    requests.inc({ client })
    const kinds: Array<[string, number]> = [['input', row.uncachedInputTokens], ['cache_write', row.cacheWrite5mTokens + row.cacheWrite1hTokens], ['cache_read', row.cacheReadTokens], ['output', row.outputTokens]]
    for (const [kind, count] of kinds) if (count > 0) tokens.inc({ client, kind }, count)
    if (row.costNanoUsd !== null && row.costNanoUsd > 0) cost.inc({ client }, row.costNanoUsd)
  }
}

/** Counters that do not exist yet (a fresh Redis, or memory after a restart) start from the ledger. */
async function seedSpend (store: TeamsStore, limiter: Limiter, directory: ClientDirectory, fastify: FastifyInstance): Promise<void> {
  try {
    const now = Date.now()
    for (const period of SPEND_PERIODS) {
      const spent = await store.spendByClient(periodStart(period, now))
      const pools = new Map<string, number>()
      for (const [client, nano] of spent) {
        await limiter.seed(`c:${client}`, period, nano)
        // As live (Limiter.record): a pool holds the spend of members whose cap for the period is the pooled one.
        const identity = directory.client(client)?.identity
        if (identity === undefined) continue
        const group = identity.group === null ? undefined : directory.group(identity.group)?.record
        for (const cap of spendCapsFor(identity, group, directory.organization)) {
          if (cap.pooled && cap.period === period) pools.set(cap.counter, (pools.get(cap.counter) ?? 0) + nano)
        }
      }
      for (const [counter, nano] of pools) await limiter.seed(counter, period, nano)
    }
  } catch (error) {
    fastify.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not seed spend counters from the ledger')
  }
}

export default fp(teamsPlugin, { name: 'teams', fastify: '5.x', dependencies: ['config', 'state'] })
