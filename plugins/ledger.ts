import { cacheHeader } from '../lib/cache/cache-outcome.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { UpstreamError, UpstreamNetworkError, GatewayError } from '../lib/errors.js'
import { LedgerWriter } from '../lib/ledger/ledger-writer.js'
import { BUILT_IN_PRICES, PriceTable } from '../lib/ledger/prices.js'
import { protocolOfRoute, RequestAccount, type AccountHolder } from '../lib/ledger/request-account.js'
import { ModelLabels } from '../lib/ops/metric-labels.js'
import type { LedgerRow } from '../lib/store/teams-store.js'

export type LedgerListener = (row: LedgerRow, request: FastifyRequest) => void

export interface Ledger {
  readonly prices: PriceTable
  /**
   * Runs for every request's row as soon as the request is over, before the row is stored
   * (and whether or not the store is up): the place to add a client's spend to its counters.
   */
  onRecorded (listener: LedgerListener): void
  /** Writes the rows still waiting (shutdown, tests). */
  flush (): Promise<void>
  /** Rows waiting to be written (more than a batch only while the store is down). */
  readonly pendingRows: number
}

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger
  }
  interface FastifyRequest {
    /** This request's usage ledger row in the making (generation routes only, else null). */
    ledgerAccount: RequestAccount | null
  }
}

const BATCH_SIZE = 100
const FLUSH_INTERVAL_MS = 1000
const RETRY_DELAY_MS = 2000
const MAX_PENDING_ROWS = 100_000
/** A stream nobody closed would hold its row forever; after the response this long, it is written as it stands. */
const SOURCE_GRACE_MS = 30_000
const DAY_MS = 86_400_000
const PRUNE_INTERVAL_MS = DAY_MS

/** What the ledger records of a failure: Anthropic's or the gateway's error type, never a message. */
export function failureType (error: unknown): string {
  if (error instanceof UpstreamError) return error.upstreamType
  if (error instanceof UpstreamNetworkError) return 'network_error'
  if (error instanceof GatewayError) return error.code ?? error.type
  return 'api_error'
}

/** The client the teams plugin found for the request's key, read without depending on its module. */
function holderOf (request: FastifyRequest): AccountHolder {
  const match = (request as unknown as { client?: { client?: { name?: string | null, group?: string | null } } }).client
  return { client: match?.client?.name ?? null, group: match?.client?.group ?? null }
}

function requestedModelOf (request: FastifyRequest): string | null {
  const body = request.body
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return null
  const model = (body as { model?: unknown }).model
  return typeof model === 'string' ? model.slice(0, 256) : null
}

async function ledgerPlugin (fastify: FastifyInstance): Promise<void> {
  const { config, teamsStore: store } = fastify
  const prices = new PriceTable(BUILT_IN_PRICES, config.prices)
  const listeners: LedgerListener[] = []
  const models = new ModelLabels(new Set(prices.entries().map((price) => price.id)))
  const warnedUnpriced = new Set<string>()
  const unpriced = fastify.metrics.counter({ name: 'claude2api_unpriced_requests_total', help: 'Requests whose model has no price (their cost is recorded as unknown), by model', labelNames: ['model'] })
  const dropped = fastify.metrics.counter({ name: 'claude2api_ledger_rows_dropped_total', help: 'Ledger rows lost because the store was down longer than the retry buffer holds' })

  const writer = new LedgerWriter(store, {
    batchSize: BATCH_SIZE,
    flushIntervalMs: FLUSH_INTERVAL_MS,
    maxPending: MAX_PENDING_ROWS,
    retryDelayMs: RETRY_DELAY_MS,
    onWriteError: (error, pending) => fastify.log.error({ err: error instanceof Error ? error.message : String(error), pending }, 'could not write usage ledger rows; keeping them to retry'),
    onDropped: (count) => {
      dropped.inc({}, count)
      fastify.log.error({ dropped: count }, 'usage ledger retry buffer full: oldest rows dropped')
    },
    onRecovered: (written) => fastify.log.info({ written }, 'usage ledger store answers again; pending rows are being written')
  })

  const record = (request: FastifyRequest, account: RequestAccount): void => {
    account.holder = holderOf(request)
    if (request.cacheOutcome) account.cacheOutcome = cacheHeader(request.cacheOutcome)
    const row = account.toRow(prices)
    if (row.costNanoUsd === null && row.upstreamModel !== null) {
      unpriced.inc({ model: models.label(row.upstreamModel) })
      if (!warnedUnpriced.has(row.upstreamModel) && warnedUnpriced.size < 1000) {
        warnedUnpriced.add(row.upstreamModel)
        fastify.log.warn({ model: row.upstreamModel }, 'no price for this model: its requests are recorded with an unknown cost; add it with PRICES')
      }
    }
    for (const listener of listeners) {
      try {
        listener(row, request)
      } catch (error) {
        request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'a ledger listener failed')
      }
    }
    writer.add(row)
  }

  // The request span names the client and what the request cost so far (its usage is in by the time the answer is sent).
  fastify.tracing.contribute((request) => {
    const account = request.ledgerAccount
    if (!account) return {}
    const holder = holderOf(request)
    const quote = account.upstreamModel === null ? undefined : prices.quote(account.upstreamModel, account.usage)
    return {
      ...(holder.client === null ? {} : { 'claude2api.client': holder.client }),
      ...(holder.group === null ? {} : { 'claude2api.group': holder.group }),
      ...(quote === undefined ? {} : { 'claude2api.cost_nano_usd': quote.costNanoUsd, 'claude2api.price_version': quote.priceVersion })
    }
  })
  fastify.decorate('ledger', {
    prices,
    onRecorded: (listener: LedgerListener) => { listeners.push(listener) },
    flush: async () => { await writer.flush() },
    get pendingRows () { return writer.pendingRows }
  })
  fastify.decorateRequest('ledgerAccount', null)

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const protocol = protocolOfRoute(request.method, request.routeOptions.url ?? '')
    if (protocol === undefined) return
    const account = new RequestAccount(request.id, protocol, request.routeOptions.url ?? '', Date.now(), performance.now(), (done) => record(request, done))
    request.ledgerAccount = account
    // 'close' comes for answers sent in full and for clients that left half way alike.
    reply.raw.once('close', () => {
      account.end(reply.statusCode, performance.now())
      setTimeout(() => account.forceComplete(), SOURCE_GRACE_MS).unref()
    })
  })
  fastify.addHook('preHandler', async (request) => {
    if (request.ledgerAccount) request.ledgerAccount.requestedModel ??= requestedModelOf(request)
  })
  fastify.addHook('onError', async (request, _reply, error) => { request.ledgerAccount?.fail(failureType(error)) })
  fastify.addHook('onResponse', async (request, reply) => { request.ledgerAccount?.end(reply.statusCode, performance.now()) })

  startPruning(fastify)
  fastify.addHook('onClose', async () => {
    await writer.close()
    await writer.flush().catch((error: unknown) => fastify.log.error({ err: error instanceof Error ? error.message : String(error), pending: writer.pendingRows }, 'usage ledger rows could not be written before shutdown'))
  })
}

/** Deletes rows older than LEDGER_RETENTION_DAYS, once at start-up and then daily. */
function startPruning (fastify: FastifyInstance): void {
  const days = fastify.config.ledgerRetentionDays
  if (days === 0) return
  const prune = (): void => {
    fastify.teamsStore.pruneLedger(Date.now() - days * DAY_MS)
      .then((deleted) => { if (deleted > 0) fastify.log.info({ deleted, days }, 'pruned old usage ledger rows') })
      .catch((error: unknown) => fastify.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not prune the usage ledger'))
  }
  let timer: NodeJS.Timeout | undefined
  fastify.addHook('onReady', async () => {
    prune()
    timer = setInterval(prune, PRUNE_INTERVAL_MS)
    timer.unref()
  })
  fastify.addHook('onClose', async () => { if (timer !== undefined) clearInterval(timer) })
}

export default fp(ledgerPlugin, { name: 'ledger', fastify: '5.x', dependencies: ['config', 'store', 'metrics', 'tracing'] })
