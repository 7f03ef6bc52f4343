import { hash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import got, { RequestError, type Got, type Response } from 'got'
import type { AnthropicRequest, AnthropicResponse, StreamPayload } from '../lib/anthropic/types.js'
import { GatewayError, knownAnthropicErrorType, networkErrorToClient, toClientError, UpstreamError, UpstreamNetworkError } from '../lib/errors.js'
import { rejectsKey, type PoolKey } from '../lib/key-pool.js'
import { estimateInputTokens, limitsFromHeaders } from '../lib/pool/headroom.js'
import { classify, parsePrefixRecord, prefixOf, type CacheOutcome } from '../lib/cache/cache-outcome.js'
import { parseErrorBody, parseJsonBody, readBody, readEvents } from '../lib/anthropic/upstream-events.js'
import { keptResponseHeaders } from '../lib/messages/response-headers.js'
import { redactAnthropicKeys } from '../lib/core/redact.js'
import type { GatewayConfig } from './config.js'

/** What every upstream call carries besides its body. */
interface CallContext {
  signal: AbortSignal
  log: FastifyBaseLogger
  /** Mirror mode: the caller's own key, used instead of the pool. */
  callerKey?: string
  /** The conversation this call belongs to (lib/core/affinity.ts): it keeps to the key it used before while that key is healthy. */
  affinity?: string
  /** Input tokens the call will use as far as the key's limits go (0: none worth counting). */
  inputTokens?: number
  /** Told the answer's prompt-cache outcome (lib/cache/cache-outcome.ts) once a pool key answered. */
  onCacheOutcome?: (outcome: CacheOutcome) => void
  /** The Anthropic body, for the cache outcome's prefix digests. */
  cacheBody?: unknown
  /** Told, once an attempt succeeds, which pool key answered (null for a mirror caller's own) and the upstream's request-id. */
  served?: (answer: UpstreamServed) => void
}

export interface UpstreamServed { keyLabel: string | null; requestId: string | null }

export interface UpstreamCall extends CallContext {
  body: AnthropicRequest
}

/** An open upstream stream whose `message_start` has arrived; nothing is retried after this. */
export interface UpstreamStream {
  first: StreamPayload
  rest: AsyncGenerator<StreamPayload>
  close (): void
}

/** A request forwarded as it came (the Messages pass-through): its bytes are not touched. */
export interface RawCall extends CallContext {
  method: 'GET' | 'POST'
  /** Path and query, e.g. `/v1/messages?beta=true`. */
  path: string
  body?: Buffer
  /** The client's `anthropic-version` (the configured one when it sent none) and `anthropic-beta`. */
  version: string
  beta: string | undefined
}

/** An upstream answer whose first bytes have arrived; nothing is retried after this. */
export interface RawAnswer {
  status: number
  /** The headers a client may see (content type, request id, rate-limit headers). */
  headers: Record<string, string>
  first: Buffer
  rest: AsyncGenerator<Buffer>
  close (): void
}

export interface UpstreamModel { id: string; display_name?: string; created_at?: string; type?: string }

export interface ClaudeClient {
  createMessage (call: UpstreamCall): Promise<AnthropicResponse>
  openStream (call: UpstreamCall): Promise<UpstreamStream>
  listModels (options: { log: FastifyBaseLogger; callerKey?: string; signal?: AbortSignal }): Promise<UpstreamModel[]>
  passThrough (call: RawCall): Promise<RawAnswer>
  /** A cheap models call with one key: 'ok' on 200, 'rejected' when the key is refused, else 'unknown'. */
  checkKey (secret: string): Promise<'ok' | 'rejected' | 'unknown'>
  /** POST /v1/messages/count_tokens with the same key choice and retries as a message. */
  countTokens (call: CountTokensCall): Promise<number>
}

export interface CountTokensCall extends CallContext {
  body: Record<string, unknown>
}

declare module 'fastify' {
  interface FastifyInstance {
    claude: ClaudeClient
  }
}

const DEFAULT_COOLDOWN_SECONDS = 30
/** How metrics name a mirror caller's own key: never by anything of the key. */
const CALLER_KEY_LABEL = 'caller'
const KEY_CHECK_TIMEOUT_MS = 10000
/** How often disabled keys are looked at; each is re-checked once KEY_RECHECK_SECONDS have passed. */
const RECHECK_TICK_MAX_MS = 5000
/** For calls nobody cancels; the first-byte, idle and total deadlines still bound them. */
const NEVER_ABORTED = new AbortController().signal

/** A response body as chunks; iterating it throws the upstream's error for a non-2xx answer. */
interface UpstreamBody { chunks: AsyncGenerator<Buffer>; head: Promise<Response>; destroy: () => void }

type Agents = { http: http.Agent; https: https.Agent }

/** Proxy agents are loaded only when PROXY is set: importing them costs tens of MB of memory. */
async function buildAgents (config: GatewayConfig): Promise<Agents> {
  const common = { keepAlive: true, keepAliveMsecs: 30000, maxFreeSockets: 256, scheduling: 'lifo' as const }
  if (!config.proxy) return { http: new http.Agent(common), https: new https.Agent(common) }
  if (config.proxy.startsWith('socks')) {
    const { SocksProxyAgent } = await import('socks-proxy-agent')
    const agent = new SocksProxyAgent(config.proxy, common)
    return { http: agent, https: agent }
  }
  const { HttpProxyAgent, HttpsProxyAgent } = await import('hpagent')
  return { http: new HttpProxyAgent({ ...common, proxy: config.proxy }), https: new HttpsProxyAgent({ ...common, proxy: config.proxy }) }
}

function toNetworkError (error: unknown): unknown {
  // got wraps the error a stream was destroyed with; ours already says what happened.
  if (error instanceof RequestError && error.cause instanceof UpstreamNetworkError) return error.cause
  if (error instanceof RequestError) {
    const phase = error.name === 'TimeoutError' ? ` (${(error as RequestError & { event?: string }).event ?? 'request'} timeout)` : ''
    return new UpstreamNetworkError(`${error.code ?? 'network error'}${phase}`, error.code ?? 'ENETWORK')
  }
  return error
}

/** One restartable timer; on expiry it reports which deadline was missed. */
class Deadline {
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly onExpiry: (phase: string) => void) {}

  arm (ms: number, phase: string): void {
    this.clear()
    this.timer = setTimeout(() => this.onExpiry(phase), ms)
  }

  clear (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

/** Waits for the response head of a got stream, or its failure. */
function responseOf (stream: Readable & { once: Readable['once'] }): Promise<Response> {
  return new Promise((resolve, reject) => {
    stream.once('response', resolve)
    stream.once('error', (error) => reject(toNetworkError(error)))
  })
}

/** Mirror keys the upstream rate limited, by digest (never the key itself), with when they may be used again. */
class CallerCooldowns {
  private readonly until = new Map<string, number>()

  constructor (private readonly limit = 10_000) {}

  set (callerKey: string, seconds: number): void {
    const id = hash('sha256', callerKey)
    this.until.delete(id)
    this.until.set(id, Date.now() + seconds * 1000)
    if (this.until.size > this.limit) this.until.delete(this.until.keys().next().value!)
  }

  /** Whole seconds the caller must still wait, or undefined when it may go ahead. */
  secondsLeft (callerKey: string): number | undefined {
    const id = hash('sha256', callerKey)
    const until = this.until.get(id)
    if (until === undefined) return undefined
    const left = until - Date.now()
    if (left > 0) return Math.ceil(left / 1000)
    this.until.delete(id)
    return undefined
  }
}

class AnthropicHttpClient implements ClaudeClient {
  private readonly http: Got
  private modelsCache: { models: UpstreamModel[]; until: number } | undefined
  private readonly callerCooldowns = new CallerCooldowns()

  constructor (private readonly fastify: FastifyInstance, agents: Agents) {
    const { config } = fastify
    this.http = got.extend({
      agent: agents,
      retry: { limit: 0 },
      // A redirect would carry the request, x-api-key included, to another origin: it is refused (see guard).
      followRedirect: false,
      throwHttpErrors: false,
      decompress: true,
      headers: { 'anthropic-version': config.anthropicVersion, ...(config.anthropicBeta ? { 'anthropic-beta': config.anthropicBeta } : {}) }
    })
  }

  async createMessage (call: UpstreamCall): Promise<AnthropicResponse> {
    let requestId: string | null = null
    return await this.withRetries({ ...withEstimate(call, call.body), cacheBody: call.body }, async (key) => {
      const response = this.post('/v1/messages', key, call.body, call.signal)
      const message = parseJsonBody<AnthropicResponse>(await readBody(response.chunks))
      requestId = header(await response.head, 'request-id') ?? null
      return message
    }, () => requestId)
  }

  async openStream (call: UpstreamCall): Promise<UpstreamStream> {
    let requestId: string | null = null
    return await this.withRetries({ ...withEstimate(call, call.body), cacheBody: call.body }, async (key) => {
      const response = this.post('/v1/messages', key, { ...call.body, stream: true }, call.signal)
      const events = readEvents(response.chunks)
      const close = response.destroy
      try {
        let first = await events.next()
        requestId = header(await response.head, 'request-id') ?? null
        // Pings carry nothing for the client; the stream counts as open from its first real event.
        while (first.done !== true && first.value.type === 'ping') first = await events.next()
        if (first.done) throw new UpstreamNetworkError('upstream stream ended before message_start', 'ESTREAMCUT')
        // An error before anything was sent to the client can still be retried on another key.
        if (first.value.type === 'error') throw new UpstreamError(first.value.error.type === 'overloaded_error' ? 529 : 500, first.value.error.type, first.value.error.message)
        return { first: first.value, rest: events, close }
      } catch (error) {
        close()
        throw error
      }
    }, () => requestId)
  }

  async countTokens (call: CountTokensCall): Promise<number> {
    return await this.withRetries(call, async (key) => {
      const response = this.post('/v1/messages/count_tokens', key, call.body, call.signal)
      return parseJsonBody<{ input_tokens: number }>(await readBody(response.chunks)).input_tokens
    })
  }

  async listModels (options: { log: FastifyBaseLogger; callerKey?: string; signal?: AbortSignal }): Promise<UpstreamModel[]> {
    const cached = this.modelsCache
    if (!options.callerKey && cached && cached.until > Date.now()) return cached.models
    const call: CallContext = { signal: options.signal ?? NEVER_ABORTED, log: options.log, callerKey: options.callerKey }
    const models = await this.withRetries(call, async (key) => {
      const response = this.get('/v1/models?limit=1000', key, call.signal)
      const parsed = parseJsonBody<{ data?: UpstreamModel[] }>(await readBody(response.chunks))
      return parsed.data ?? []
    })
    if (!options.callerKey) this.modelsCache = { models, until: Date.now() + this.fastify.config.modelsCacheSeconds * 1000 }
    return models
  }

  /**
   * Forwards a request with a pool key (or the mirror caller's key) and waits for the first
   * bytes of the answer, retrying like every other call until then. A stream that opens with
   * an `error` event counts as that error, since the client has seen nothing yet.
   */
  async passThrough (call: RawCall): Promise<RawAnswer> {
    let requestId: string | null = null
    const counted = call.method === 'POST' && call.path.startsWith('/v1/messages') && !call.path.startsWith('/v1/messages/count_tokens')
    const cacheBody = counted && call.onCacheOutcome !== undefined ? parseQuietly(call.body) : undefined
    return await this.withRetries({ ...call, inputTokens: counted ? estimateInputTokens(call.body?.length ?? 0) : 0, cacheBody }, async (key) => {
      const response = this.forward(call, key)
      try {
        const first = await response.chunks.next()
        if (first.done === true) throw new UpstreamNetworkError('upstream answer ended before its first byte', 'ESTREAMCUT')
        const head = await response.head
        const opening = openingErrorEvent(first.value)
        if (opening) throw new UpstreamError(opening.type === 'overloaded_error' ? 529 : 500, opening.type, opening.message)
        requestId = header(head, 'request-id') ?? null
        return { status: head.statusCode, headers: keptResponseHeaders(head.headers), first: first.value, rest: response.chunks, close: response.destroy }
      } catch (error) {
        response.destroy()
        throw error
      }
    }, () => requestId)
  }

  private forward (call: RawCall, key: string): UpstreamBody {
    const stream = this.http.stream(this.fastify.config.baseUrl + call.path, {
      method: call.method,
      body: call.body,
      // undefined removes got's defaults: the client's own version and betas go, or none.
      headers: { 'x-api-key': key, 'anthropic-version': call.version, 'anthropic-beta': call.beta, 'content-type': call.body ? 'application/json' : undefined },
      timeout: this.gotTimeouts()
    })
    return this.guard(stream, call.signal, key)
  }

  async checkKey (secret: string): Promise<'ok' | 'rejected' | 'unknown'> {
    try {
      await readBody(this.get('/v1/models?limit=1', secret, AbortSignal.timeout(KEY_CHECK_TIMEOUT_MS)).chunks)
      return 'ok'
    } catch (error) {
      return error instanceof UpstreamError && rejectsKey(error.status, error.message) ? 'rejected' : 'unknown'
    }
  }

  private post (path: string, key: string, body: unknown, signal: AbortSignal): UpstreamBody {
    const stream = this.http.stream.post(this.fastify.config.baseUrl + path, {
      json: body,
      headers: { 'x-api-key': key },
      timeout: this.gotTimeouts()
    })
    return this.guard(stream, signal, key)
  }

  private get (path: string, key: string, signal: AbortSignal): UpstreamBody {
    const stream = this.http.stream.get(this.fastify.config.baseUrl + path, {
      headers: { 'x-api-key': key },
      timeout: this.gotTimeouts()
    })
    return this.guard(stream, signal, key)
  }

  /**
   * Counts the call against its pool key's concurrency until the upstream stream closes, and
   * takes in the rate-limit headers of its answer, whatever its status.
   */
  private track (stream: ReturnType<Got['stream']>, secret: string): void {
    const { keyPool } = this.fastify
    const key = keyPool.withSecret(secret)
    if (key === undefined) return
    key.inFlight += 1
    stream.once('close', () => { key.inFlight -= 1 })
    stream.once('response', (response: Response) => {
      const limits = limitsFromHeaders(response.headers, Date.now())
      if (limits !== undefined) this.fastify.observeKeyLimits(key, limits)
    })
  }

  /** got keeps the connect and total limits; the first-byte and idle ones are kept by `guard`. */
  private gotTimeouts (): { connect: number; request: number } {
    const { timeouts } = this.fastify.config
    return { connect: timeouts.connect, request: timeouts.total }
  }

  /**
   * Aborts with the client, turns a non-2xx answer into an UpstreamError before any byte is read,
   * and keeps two deadlines: the first body byte must come within the first-byte timeout of the
   * request, and later bytes within the idle timeout of being asked for. The idle clock stops
   * while the consumer is not reading, so a slow client is never mistaken for a silent upstream.
   */
  private guard (stream: ReturnType<Got['stream']>, signal: AbortSignal, secret: string): UpstreamBody {
    const { timeouts } = this.fastify.config
    this.track(stream, secret)
    const abort = (): void => { stream.destroy(new UpstreamNetworkError('client went away', 'ECLIENTABORT')) }
    if (signal.aborted) abort()
    else signal.addEventListener('abort', abort, { once: true })
    const deadline = new Deadline((phase) => stream.destroy(new UpstreamNetworkError(`ETIMEDOUT (${phase} timeout)`, 'ETIMEDOUT')))
    deadline.arm(timeouts.firstByte, 'first-byte')
    const release = (): void => {
      deadline.clear()
      signal.removeEventListener('abort', abort)
    }
    stream.once('close', release)
    const head = responseOf(stream)
    head.catch(() => {})
    const chunks = (async function * () {
      try {
        const response = await head
        if (response.statusCode >= 300 && response.statusCode < 400) throw redirectRefused(response.statusCode)
        if (response.statusCode < 200 || response.statusCode >= 300) {
          const text = await readBody(stream).catch(() => '')
          throw parseErrorBody(response.statusCode, text, header(response, 'retry-after'), header(response, 'request-id'), header(response, 'content-type'), keptResponseHeaders(response.headers))
        }
        const body = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>
        for (let next = await body.next(); next.done !== true; next = await body.next()) {
          deadline.clear()
          yield next.value
          deadline.arm(timeouts.idle, 'idle')
        }
      } catch (error) {
        throw toNetworkError(error)
      } finally {
        release()
      }
    })()
    return { chunks, head, destroy: () => { stream.destroy() } }
  }

  /**
   * Tries keys until one answers. A rate-limited or rejected pool key is taken out of rotation
   * and the next key is tried at once, without using up an attempt; server faults and network
   * errors use up one of RETRY_COUNT attempts and back off a little first. Once every key has
   * been tried, a server fault may be retried on a key that already failed.
   */
  private async withRetries<T> (call: CallContext, attempt: (key: string) => Promise<T>, requestIdOf: () => string | null = () => null): Promise<T> {
    if (call.callerKey) this.refuseCoolingCaller(call.callerKey)
    const tried = new Set<number>()
    let failures = 0
    let attempts = 0
    let rejections = 0
    let lastError: unknown
    const preferred = call.affinity !== undefined && !call.callerKey ? await this.fastify.affinity.preferredKey(call.affinity) : undefined
    const previousPrefix = call.affinity !== undefined && call.cacheBody !== undefined && call.onCacheOutcome !== undefined ? this.fastify.state.get(`cache:${call.affinity}`).catch(() => undefined) : undefined
    while (failures < this.fastify.config.retryCount) {
      const key = call.callerKey ? undefined : this.nextKey(tried, lastError, preferred, call)
      if (!call.callerKey && !key) break
      if (key) tried.add(key.index)
      try {
        const result = await this.fastify.tracing.attempt({ keyLabel: key?.label, attempt: ++attempts }, async () => await attempt(call.callerKey ?? key!.secret))
        call.served?.({ keyLabel: key?.label ?? null, requestId: requestIdOf() })
        if (key && call.affinity !== undefined && key.id !== preferred) void this.fastify.affinity.remember(call.affinity, key.id).catch(() => {})
        if (key && call.affinity !== undefined) await this.reportCache(call, call.affinity, key, result, previousPrefix)
        this.fastify.metrics.upstreamAttempt('ok', key?.label ?? CALLER_KEY_LABEL)
        return result
      } catch (error) {
        if (call.signal.aborted) throw clientGone()
        this.fastify.metrics.upstreamFailure(error, key?.label ?? CALLER_KEY_LABEL)
        if (isKeyRejection(error, key)) {
          // One refusal per request is looked into; a second ends the request, so that a refusal
          // caused by the request itself (a beta the keys may not use) cannot take out the pool.
          const verdict = await this.confirmRejection(error as UpstreamError, key!, call.log)
          if (verdict === 'alive') throw refusedRequest(error as UpstreamError)
          if (++rejections > 1) throw this.secondRejection()
          continue
        }
        lastError = error
        const verdict = this.judge(error, key, call.log, call.callerKey)
        if (verdict === 'give-up') break
        if (verdict === 'retry' && ++failures < this.fastify.config.retryCount) {
          await sleep(backoffMs(failures - 1), undefined, { signal: call.signal }).catch(() => {})
          if (call.signal.aborted) throw clientGone()
        }
      }
    }
    throw this.finalError(lastError, call)
  }

  /**
   * Classifies the answer's prompt-cache outcome against the conversation's previous prefix and
   * keeps this prefix's digests (never its text) for the next turn, as long as Anthropic's longest cache lives.
   */
  private async reportCache (call: CallContext, affinity: string, key: PoolKey, result: unknown, previousPrefix: Promise<string | undefined> | undefined): Promise<void> {
    if (call.onCacheOutcome === undefined || call.cacheBody === undefined || previousPrefix === undefined) return
    try {
      const now = Date.now()
      const current = prefixOf(call.cacheBody as Record<string, unknown>, key.id, now)
      call.onCacheOutcome(classify(current, parsePrefixRecord(await previousPrefix), usageOf(result), now))
      if (current.cacheable) void this.fastify.state.set(`cache:${affinity}`, JSON.stringify({ keyId: current.keyId, at: current.at, ttlMs: current.ttlMs, blocks: current.blocks }), Math.ceil(current.ttlMs / 1000)).catch(() => {})
    } catch (error) {
      call.log.debug({ err: error }, 'no cache outcome for this request')
    }
  }

  /**
   * A pool key was refused as a credential: a models call with the same key says whether the
   * key is dead (then it leaves the pool) or the refusal was about this request.
   */
  private async confirmRejection (error: UpstreamError, key: PoolKey, log: FastifyBaseLogger): Promise<'dead' | 'alive'> {
    const check = await this.checkKey(key.secret)
    if (check !== 'rejected') {
      log.warn({ key: key.label, status: error.status, check }, 'upstream refused a request with a key that still works; the key stays in the pool')
      return 'alive'
    }
    this.fastify.keyPool.disable(key, `${error.status} ${error.upstreamType}`)
    log.error({ key: key.label, status: error.status }, 'upstream key rejected; removed from the pool')
    return 'dead'
  }

  /** Two keys refused for one request: it is not tried on more; a rejected pool says so itself. */
  private secondRejection (): GatewayError {
    if (this.fastify.keyPool.status().healthy === 0) return this.poolExhausted()
    return new GatewayError(503, 'server_error', 'Two upstream keys were refused while answering this request; retry to use another', { code: 'upstream_key_rejected', headers: { 'retry-after': '1' } })
  }

  private refuseCoolingCaller (callerKey: string): void {
    const wait = this.callerCooldowns.secondsLeft(callerKey)
    if (wait === undefined) return
    throw new GatewayError(429, 'rate_limit_error', `Your Anthropic API key is rate limited upstream; retry in ${wait}s`, { code: 'caller_key_rate_limited', headers: { 'retry-after': String(wait) } })
  }

  private nextKey (tried: ReadonlySet<number>, lastError: unknown, preferred: string | undefined, call: CallContext): PoolKey | undefined {
    const { keyPool } = this.fastify
    const choice = keyPool.choose(tried, preferred, call.inputTokens ?? 0)
    const key = choice.key ?? (isServerFault(lastError) ? keyPool.acquire(new Set(), preferred, call.inputTokens ?? 0) : undefined)
    // A conversation leaving its key on purpose (not after a failure of this request) is worth saying.
    if (key !== undefined && choice.moved !== undefined && choice.moved !== 'tried') {
      this.fastify.metrics.affinityMove(choice.moved)
      call.log.info({ from: keyPool.find(preferred!)?.label, to: key.label, reason: choice.moved }, 'conversation moved to another key')
    }
    return key
  }

  /** Updates the key's health from the failure and says what to do next. */
  private judge (error: unknown, key: PoolKey | undefined, log: FastifyBaseLogger, callerKey?: string): 'next-key' | 'retry' | 'give-up' {
    if (error instanceof UpstreamNetworkError) {
      log.warn({ key: key?.label, code: error.code }, 'upstream unreachable')
      return 'retry'
    }
    if (!(error instanceof UpstreamError)) return 'give-up'
    if (error.status === 429) {
      // A caller's own key (mirror mode) has no other key to fall back on: its retry-after is the
      // caller's to honour, and the gateway holds it to it rather than asking the upstream again.
      if (!key) {
        if (callerKey) this.callerCooldowns.set(callerKey, error.retryAfterSeconds ?? DEFAULT_COOLDOWN_SECONDS)
        return 'give-up'
      }
      this.fastify.keyPool.coolDown(key, error.retryAfterSeconds ?? DEFAULT_COOLDOWN_SECONDS, `429 ${error.upstreamType}`)
      log.warn({ key: key.label, retryAfter: error.retryAfterSeconds }, 'upstream key rate limited; cooling down')
      return 'next-key'
    }
    if (error.retryable) {
      log.warn({ key: key?.label, status: error.status }, 'upstream failed')
      return 'retry'
    }
    return 'give-up'
  }

  private finalError (lastError: unknown, call: CallContext): unknown {
    if (lastError === undefined) return this.poolExhausted()
    if (lastError instanceof UpstreamError) {
      if (lastError.status === 429 && !call.callerKey) {
        const wait = this.fastify.keyPool.secondsUntilAvailable() ?? lastError.retryAfterSeconds ?? DEFAULT_COOLDOWN_SECONDS
        return new GatewayError(429, 'rate_limit_error', `Upstream rate limit: ${lastError.message}`, { code: lastError.upstreamType, headers: { 'retry-after': String(wait) } })
      }
      return toClientError(lastError)
    }
    if (lastError instanceof UpstreamNetworkError) return networkErrorToClient(lastError)
    return lastError
  }

  /** No key left to try: all cooling (429 until the first is back) or all rejected (503). */
  private poolExhausted (): GatewayError {
    const wait = this.fastify.keyPool.secondsUntilAvailable()
    if (wait !== undefined) {
      return new GatewayError(429, 'rate_limit_error', `All upstream keys are rate limited; retry in ${wait}s`, { code: 'upstream_keys_cooling', headers: { 'retry-after': String(wait) } })
    }
    return new GatewayError(503, 'server_error', 'No usable upstream API key: every configured key was rejected by the upstream', { code: 'no_upstream_keys', headers: { 'retry-after': '60' } })
  }
}

/** The cache counts of an answer: a message's usage, a stream's message_start, or a raw answer's first bytes. */
function usageOf (result: unknown): { cache_read_input_tokens?: number; cache_creation_input_tokens?: number } {
  const value = result as { usage?: object; first?: unknown; status?: number }
  if (value.usage !== undefined) return value.usage
  if (Buffer.isBuffer(value.first)) {
    const text = value.first.toString('utf8', 0, 65536)
    const read = /"cache_read_input_tokens":\s*(\d+)/.exec(text)?.[1]
    const written = /"cache_creation_input_tokens":\s*(\d+)/.exec(text)?.[1]
    return { cache_read_input_tokens: Number(read ?? 0), cache_creation_input_tokens: Number(written ?? 0) }
  }
  const first = value.first as { type?: string; message?: { usage?: object } } | undefined
  return first?.message?.usage ?? {}
}

function parseQuietly (body: Buffer | undefined): unknown {
  try {
    return body === undefined ? undefined : JSON.parse(body.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

/** The call with the input tokens its body will use, for the keys' limits. */
function withEstimate<T extends CallContext> (call: T, body: unknown): T {
  return { ...call, inputTokens: estimateInputTokens(Buffer.byteLength(JSON.stringify(body))) }
}

/** A first chunk that is an SSE `error` event (an overload before anything began), read leniently. */
function openingErrorEvent (chunk: Buffer): { type: string; message: string } | undefined {
  if (!chunk.subarray(0, 12).equals(ERROR_EVENT_START)) return undefined
  // At most the first 64 KiB are read (toString clamps the end to the chunk); `.` stops at the line's end.
  const data = /^data: ?(.*)/m.exec(chunk.toString('utf8', 0, 65536))?.[1]
  try {
    const error = (JSON.parse(data ?? '') as { error?: { type?: unknown; message?: unknown } }).error ?? {}
    return { type: knownAnthropicErrorType(error.type), message: typeof error.message === 'string' ? redactAnthropicKeys(error.message) : 'upstream error' }
  } catch {
    return { type: 'api_error', message: 'upstream error' }
  }
}

const ERROR_EVENT_START = Buffer.from('event: error')

/** Not followed, not retried: the caller gets a 502 in its own shape. */
function redirectRefused (status: number): GatewayError {
  return new GatewayError(502, 'server_error', `The upstream answered with a redirect (HTTP ${status}), which the gateway does not follow; check ANTHROPIC_BASE_URL`, { code: 'upstream_redirect' })
}

/** The client left; nobody will read this error, it only ends the request quietly. */
function clientGone (): GatewayError {
  return new GatewayError(499, 'invalid_request_error', 'The client closed the connection before the answer was ready', { code: 'client_closed_request' })
}

/**
 * A pool key refused for this request while it works for a models call: the request is what
 * the upstream refused (a beta or feature its organisation may not use), so the client hears
 * so as a permission error rather than as a problem with its own key.
 */
function refusedRequest (error: UpstreamError): GatewayError {
  return new GatewayError(403, 'permission_error', `The upstream refused this request with a working key (${error.status} ${error.upstreamType}): ${error.message}`, { code: 'upstream_refused_request' })
}

/** A pool key the upstream refuses as a credential (mirror keys are the caller's business). */
function isKeyRejection (error: unknown, key: PoolKey | undefined): boolean {
  return key !== undefined && error instanceof UpstreamError && rejectsKey(error.status, error.message)
}

function isServerFault (error: unknown): boolean {
  return error instanceof UpstreamNetworkError || (error instanceof UpstreamError && error.status >= 500)
}

function backoffMs (attempt: number): number {
  return Math.min(40 * 2 ** attempt, 400) * (0.5 + Math.random() / 2)
}

function header (response: Response, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Disabled keys get a cheap models call after KEY_RECHECK_SECONDS and come back if it answers 200. */
async function recheckDisabledKeys (fastify: FastifyInstance): Promise<void> {
  const { keyPool, claude, config, log } = fastify
  for (const key of keyPool.dueForRecheck(config.keyRecheckSeconds * 1000)) {
    const verdict = await claude.checkKey(key.secret)
    if (verdict === 'ok') {
      keyPool.enable(key)
      log.info({ key: key.label }, 'upstream key answers again; back in the pool')
    } else {
      // Starts the wait for the next check.
      keyPool.disable(key, key.disabledReason ?? verdict)
      log.debug({ key: key.label, verdict }, 'upstream key still unusable')
    }
  }
}

function startKeyRechecks (fastify: FastifyInstance): void {
  const seconds = fastify.config.keyRecheckSeconds
  if (seconds === 0 || fastify.keyPool.size === 0) return
  let timer: NodeJS.Timeout | undefined
  let running = false
  fastify.addHook('onReady', async () => {
    timer = setInterval(() => {
      if (running) return
      running = true
      recheckDisabledKeys(fastify).catch((error: unknown) => fastify.log.warn({ err: error }, 'key re-check failed')).finally(() => { running = false })
    }, Math.max(100, Math.min(RECHECK_TICK_MAX_MS, seconds * 500)))
    timer.unref()
  })
  fastify.addHook('onClose', async () => { if (timer !== undefined) clearInterval(timer) })
}

/** How often keys whose cooldown ended are looked for; each gets one models call before it serves again. */
const PROBE_TICK_MS = 250

/**
 * A key back from a 429 cooldown is checked with a models call before a user's request is
 * spent on it: a key that answers comes back, one refused is disabled, one that does not
 * answer cools a little longer.
 */
function startCooldownProbes (fastify: FastifyInstance): void {
  const { keyPool, claude, log } = fastify
  if (keyPool.size === 0) return
  const probing = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  const probe = async (key: PoolKey): Promise<void> => {
    probing.add(key.id)
    try {
      const verdict = await claude.checkKey(key.secret)
      if (verdict === 'rejected') keyPool.disable(key, 'refused by the check after its cooldown')
      else keyPool.probed(key, verdict)
      log.info({ key: key.label, verdict }, 'key checked after its cooldown')
    } finally {
      probing.delete(key.id)
    }
  }
  fastify.addHook('onReady', async () => {
    timer = setInterval(() => {
      for (const key of keyPool.dueForProbe()) if (!probing.has(key.id)) void probe(key).catch(() => {})
    }, PROBE_TICK_MS)
    timer.unref()
  })
  fastify.addHook('onClose', async () => { if (timer !== undefined) clearInterval(timer) })
}

async function claudeClientPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorate('claude', new AnthropicHttpClient(fastify, await buildAgents(fastify.config)))
  startKeyRechecks(fastify)
  startCooldownProbes(fastify)
}

export default fp(claudeClientPlugin, { name: 'claude-client', fastify: '5.x', dependencies: ['config', 'key-pool', 'affinity', 'metrics', 'tracing'] })
