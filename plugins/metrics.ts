import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type HistogramConfiguration, type LabelValues, type OpenMetricsContentType } from 'prom-client'
import type { AnthropicUsage } from '../lib/anthropic/types.js'
import { tapUsage } from '../lib/anthropic/usage-tap.js'
import type {} from './ledger.js'
import { BUILT_IN_MODELS } from '../lib/model-list.js'
import { attemptOutcome, ModelLabels, statusClass, type AttemptOutcome } from '../lib/ops/metric-labels.js'
import { TrafficWindow } from '../lib/ops/traffic-window.js'
import type { UpstreamStream } from './claude-client.js'

export type { AttemptOutcome }

/** What the routes and the upstream client record; everything else is counted by hooks. */
export interface GatewayMetrics {
  /** One upstream attempt and how it ended (one per key tried, retries included), by key label (`caller` for a mirror caller's key). */
  upstreamAttempt: (outcome: AttemptOutcome, key: string) => void
  /** The outcome of a failed attempt, from its error. */
  upstreamFailure: (error: unknown, key: string) => void
  /** A conversation left its key on purpose, and why (lib/key-pool.ts PassOverReason). */
  affinityMove: (reason: string) => void
  /** A request's prompt-cache outcome (lib/cache/cache-outcome.ts). */
  cacheOutcome: (outcome: string) => void
  /** Tokens of one finished upstream answer, from its Anthropic `usage`, under the upstream model id. */
  recordUsage: (request: FastifyRequest, model: string, usage: AnthropicUsage, stopReason?: string | null) => void
  /** The first token of a streamed answer arrived: observes the time since the request came in. */
  recordFirstToken: (request: FastifyRequest, model: string) => void
  /** The same stream, recording its first token and its usage (once, however it ends). */
  observeStream: (request: FastifyRequest, model: string, stream: UpstreamStream) => UpstreamStream
  /** The exposition: OpenMetrics (with request-id exemplars) when asked for, else Prometheus text. */
  render: (openMetrics: boolean) => Promise<{ contentType: string; body: string }>
  /** The last minutes of API traffic on this instance, for the status page. */
  traffic: TrafficWindow
  /** A counter other plugins add, rendered in both expositions like the built-in ones. */
  counter: <T extends string>(config: CounterConfiguration<T>) => { inc: (labels: LabelValues<T>, value?: number) => void }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: GatewayMetrics
  }
  interface FastifyRequest {
    /** performance.now() when the request arrived, for time to first token. */
    receivedAt: number
  }
}

const PREFIX = 'claude2api_'
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
const FIRST_TOKEN_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60]
const KEY_STATES = ['healthy', 'cooling', 'disabled'] as const

/** The route's pattern (never the URL, whose ids would make labels unbounded); `unmatched` for 404s. */
function routeLabel (request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched'
}

function requestModel (request: FastifyRequest): unknown {
  const body = request.body
  return typeof body === 'object' && body !== null && 'model' in body ? (body as { model: unknown }).model : undefined
}

/** The API routes of the three protocols, under any prefix; health, metrics and pages are not traffic. */
function isApiRoute (route: string): boolean {
  return route.includes('/v1/')
}

function exemplarOf (request: FastifyRequest): Record<string, string> {
  return { request_id: request.id }
}

/**
 * A counter in both registries. prom-client cannot share one: exemplars are refused on a
 * Prometheus registry, and an OpenMetrics scrape renames the counters it renders.
 */
class DualCounter<T extends string> {
  private readonly plain: Counter<T>
  private readonly open: Counter<T>

  constructor (config: CounterConfiguration<T>, text: Registry, open: Registry<OpenMetricsContentType>) {
    this.plain = new Counter({ ...config, registers: [text] })
    this.open = new Counter({ ...config, registers: [open], enableExemplars: true })
  }

  inc (labels: LabelValues<T>, value = 1, exemplarLabels?: Record<string, string>): void {
    this.plain.inc(labels, value)
    this.open.inc({ labels, value, exemplarLabels: exemplarLabels as LabelValues<T> | undefined })
  }
}

class DualHistogram<T extends string> {
  private readonly plain: Histogram<T>
  private readonly open: Histogram<T>

  constructor (config: HistogramConfiguration<T>, text: Registry, open: Registry<OpenMetricsContentType>) {
    this.plain = new Histogram({ ...config, registers: [text] })
    this.open = new Histogram({ ...config, registers: [open], enableExemplars: true })
  }

  observe (labels: LabelValues<T>, value: number, exemplarLabels?: Record<string, string>): void {
    this.plain.observe(labels, value)
    this.open.observe({ labels, value, exemplarLabels: exemplarLabels as LabelValues<T> | undefined })
  }
}

async function metricsPlugin (fastify: FastifyInstance): Promise<void> {
  // Two registries: prom-client writes exemplars only in OpenMetrics, and Prometheus'
  // classic text format stays the default for every other scraper.
  const text = new Registry()
  const open = new Registry<OpenMetricsContentType>()
  open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
  const registers = [text, open] as Registry[]
  collectDefaultMetrics({ register: text, prefix: PREFIX })
  collectDefaultMetrics({ register: open, prefix: PREFIX })

  const models = new ModelLabels(new Set(BUILT_IN_MODELS.map((model) => model.id)))
  const traffic = new TrafficWindow()

  const requests = new DualCounter({ name: `${PREFIX}requests_total`, help: 'Requests answered, by route pattern, status class and requested model', labelNames: ['route', 'status_class', 'model'] }, text, open)
  const duration = new DualHistogram({ name: `${PREFIX}request_duration_seconds`, help: 'Time from request to the end of the answer (a whole stream for streams)', labelNames: ['route'], buckets: DURATION_BUCKETS }, text, open)
  const firstToken = new DualHistogram({ name: `${PREFIX}time_to_first_token_seconds`, help: 'Time from request to the first streamed token', labelNames: ['model'], buckets: FIRST_TOKEN_BUCKETS }, text, open)
  const attempts = new DualCounter({ name: `${PREFIX}upstream_attempts_total`, help: 'Upstream attempts by outcome (ok, rate_limited, rejected, server_error, network) and key label (caller: a mirror caller\'s own key)', labelNames: ['outcome', 'key'] }, text, open)
  const moves = new DualCounter({ name: `${PREFIX}affinity_moves_total`, help: 'Conversations moved off their key before it failed, by reason: cooling, probing, disabled, concurrency, requests, input_tokens, output_tokens', labelNames: ['reason'] }, text, open)
  const cacheOutcomes = new DualCounter({ name: `${PREFIX}cache_outcomes_total`, help: 'Prompt-cache outcome of each answered request: hit, first_write, miss_key_switch, miss_expired, miss_prefix_changed, not_cacheable', labelNames: ['outcome'] }, text, open)
  const tokens = new DualCounter({ name: `${PREFIX}tokens_total`, help: 'Tokens by upstream model and kind: input, output, cache_read, cache_write, reasoning (reasoning is part of output)', labelNames: ['model', 'kind'] }, text, open)
  const openStreams = new Gauge({ name: `${PREFIX}open_streams`, help: 'Streamed answers being sent right now', registers })
  new Gauge({
    name: `${PREFIX}key_state`,
    help: '1 for the state each upstream key is in (by label; never the key)',
    labelNames: ['key', 'state'],
    registers,
    collect () {
      this.reset()
      for (const key of fastify.keyPool.describe()) for (const state of KEY_STATES) this.set({ key: key.label, state }, key.state === state ? 1 : 0)
    }
  })
  // In memory mode there is nothing that could be down: 1, so one alert rule fits both modes.
  new Gauge({ name: `${PREFIX}redis_up`, help: '1 when the shared state store is reachable (always 1 in memory mode; see claude2api_state_store_info)', registers, collect () { this.set(fastify.state.connected ? 1 : 0) } })
  new Gauge({ name: `${PREFIX}state_store_info`, help: 'Which state store this instance uses', labelNames: ['kind'], registers, collect () { this.reset(); this.set({ kind: fastify.state.kind }, 1) } })

  for (const key of fastify.keyPool.all) for (const outcome of ['ok', 'rate_limited', 'rejected', 'server_error', 'network'] as const) attempts.inc({ outcome, key: key.label }, 0)

  const recordUsage = (request: FastifyRequest, model: string, usage: AnthropicUsage, stopReason?: string | null): void => {
    const label = models.label(model)
    const kinds: Array<[string, number]> = [
      ['input', usage.input_tokens ?? 0],
      ['output', usage.output_tokens ?? 0],
      ['cache_read', usage.cache_read_input_tokens ?? 0],
      ['cache_write', usage.cache_creation_input_tokens ?? 0],
      ['reasoning', usage.output_tokens_details?.thinking_tokens ?? 0]
    ]
    for (const [kind, count] of kinds) if (count > 0) tokens.inc({ model: label, kind }, count)
    traffic.recordTokens(kinds[0][1] + kinds[2][1] + kinds[3][1], kinds[1][1])
    fastify.tracing.recordAnswer(request, { model, usage, stopReason })
    request.ledgerAccount?.addUsage(model, usage)
  }

  const recordFirstToken = (request: FastifyRequest, model: string): void => {
    request.ledgerAccount?.firstToken(performance.now())
    firstToken.observe({ model: models.label(model) }, (performance.now() - request.receivedAt) / 1000, exemplarOf(request))
  }

  const metrics: GatewayMetrics = {
    upstreamAttempt: (outcome, key) => { attempts.inc({ outcome, key }) },
    upstreamFailure: (error, key) => { attempts.inc({ outcome: attemptOutcome(error), key }) },
    affinityMove: (reason) => { moves.inc({ reason }) },
    cacheOutcome: (outcome) => { cacheOutcomes.inc({ outcome }) },
    recordUsage,
    recordFirstToken,
    observeStream: (request, model, stream) => {
      // The ledger row waits for this stream's usage; closing an unread stream releases it too.
      const release = request.ledgerAccount?.hold() ?? (() => {})
      if (request.ledgerAccount) request.ledgerAccount.streamed = true
      const events = tapUsage(stream.first, stream.rest, {
        onFirstToken: () => recordFirstToken(request, model),
        onEnd: (usage, end) => {
          recordUsage(request, model, usage, end.stopReason)
          if (end.failure !== undefined) request.ledgerAccount?.fail(end.failure)
          release()
        }
      })
      return { first: stream.first, rest: events, close: () => { stream.close(); void events.return(undefined); release() } }
    },
    render: async (openMetrics) => {
      const registry = openMetrics ? open : text
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
    traffic,
    counter: (config) => new DualCounter(config, text, open)
  }
  fastify.decorate('metrics', metrics)
  fastify.decorateRequest('receivedAt', 0)

  fastify.addHook('onRequest', async (request) => { request.receivedAt = performance.now() })
  fastify.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply) => {
    const type = reply.getHeader('content-type')
    if (typeof type !== 'string' || !type.startsWith('text/event-stream')) return
    openStreams.inc()
    reply.raw.once('close', () => openStreams.dec())
  })
  fastify.addHook('onResponse', async (request, reply) => {
    const route = routeLabel(request)
    const exemplarLabels = exemplarOf(request)
    // Only a 2xx answer means the upstream took the request (key and model alike).
    const model = reply.statusCode < 300 ? models.label(requestModel(request)) : models.labelUnaccepted(requestModel(request))
    requests.inc({ route, status_class: statusClass(reply.statusCode), model }, 1, exemplarLabels)
    duration.observe({ route }, reply.elapsedTime / 1000, exemplarLabels)
    if (isApiRoute(route)) traffic.recordRequest(reply.elapsedTime, reply.statusCode)
  })
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x', dependencies: ['config', 'state', 'key-pool', 'tracing'] })
