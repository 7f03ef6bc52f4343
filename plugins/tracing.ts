import { context, createContextKey, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { attemptOutcome } from '../lib/ops/metric-labels.js'
import { AnswerTotals, operationOf, protocolOf, spanName, type TracedAnswer } from '../lib/ops/tracing.js'

export interface AttemptDetails {
  /** The pool key's label (never the key); undefined for a mirror caller's own key. */
  keyLabel: string | undefined
  /** 1 for the first try of a request, 2 for the first retry, … */
  attempt: number
  /** Defaults to the model of the request the attempt belongs to. */
  model?: string
}

/** What the routes and the upstream client tell traces; every call is free when tracing is off. */
export interface GatewayTracing {
  readonly enabled: boolean
  /** Runs one upstream attempt inside a child span of the request that made it. */
  attempt: <T>(details: AttemptDetails, run: () => Promise<T>) => Promise<T>
  /** One finished upstream answer of the request: usage, model, finish reason. */
  recordAnswer: (request: FastifyRequest, answer: TracedAnswer) => void
  /** Gateway facts known later in the request. */
  annotate: (request: FastifyRequest, attributes: Attributes) => void
  /** Adds attributes that another plugin knows when a request span ends (the client, the cost). */
  contribute: (attributesOf: (request: FastifyRequest) => Attributes) => void
}

interface RequestTrace {
  span: Span
  context: Context
  answers: AnswerTotals
  ended: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    tracing: GatewayTracing
  }
  interface FastifyRequest {
    trace: RequestTrace | undefined
  }
}

const propagator = new W3CTraceContextPropagator()
/** The requested model, carried in the request's context so attempt spans can be named after it. */
const MODEL_KEY = createContextKey('claude2api.request.model')
let contextManagerInstalled = false

/** Continuing a request's trace through awaits needs one process-wide context manager. */
function installContextManager (): void {
  if (contextManagerInstalled) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  contextManagerInstalled = true
}

const DISABLED: GatewayTracing = {
  enabled: false,
  attempt: async (_details, run) => await run(),
  recordAnswer: () => {},
  annotate: () => {},
  contribute: () => {}
}

function requestModel (request: FastifyRequest): string | undefined {
  const body = request.body
  const model = typeof body === 'object' && body !== null && 'model' in body ? (body as { model: unknown }).model : undefined
  return typeof model === 'string' ? model.slice(0, 200) : undefined
}

type AttributeSource = (request: FastifyRequest) => Attributes

function endRequestSpan (request: FastifyRequest, reply: FastifyReply, sources: readonly AttributeSource[]): void {
  const traced = request.trace
  if (!traced || traced.ended) return
  traced.ended = true
  const status = reply.raw.headersSent ? reply.statusCode : 499
  traced.span.setAttributes({ 'http.response.status_code': status, ...traced.answers.attributes() })
  for (const source of sources) traced.span.setAttributes(source(request))
  if (!reply.raw.writableFinished) traced.span.setAttribute('claude2api.client_disconnected', true)
  if (status >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR })
  traced.span.end()
}

function startRequestSpan (tracer: Tracer, request: FastifyRequest): void {
  const route = request.routeOptions.url
  const protocol = route === undefined ? undefined : protocolOf(route)
  if (route === undefined || protocol === undefined) return
  const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter)
  const span = tracer.startSpan(`${request.method} ${route}`, {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': request.method,
      'http.route': route,
      'gen_ai.operation.name': operationOf(protocol),
      'gen_ai.provider.name': 'anthropic',
      'claude2api.protocol': protocol,
      'claude2api.request_id': request.id
    }
  }, parent)
  request.trace = { span, context: trace.setSpan(parent, span), answers: new AnswerTotals(), ended: false }
}

function tracingFor (tracer: Tracer, sources: AttributeSource[]): GatewayTracing {
  return {
    enabled: true,
    attempt: async (details, run) => {
      const model = details.model ?? context.active().getValue(MODEL_KEY) as string | undefined
      const span = tracer.startSpan(spanName('chat', model), {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          ...(model ? { 'gen_ai.request.model': model } : {}),
          'claude2api.upstream.attempt': details.attempt,
          'claude2api.upstream.key': details.keyLabel ?? 'caller'
        }
      }, context.active())
      try {
        const result = await run()
        span.setAttribute('claude2api.upstream.outcome', 'ok')
        return result
      } catch (error) {
        const outcome = attemptOutcome(error)
        span.setAttributes({ 'claude2api.upstream.outcome': outcome, 'error.type': outcome })
        span.setStatus({ code: SpanStatusCode.ERROR })
        throw error
      } finally {
        span.end()
      }
    },
    recordAnswer: (request, answer) => { request.trace?.answers.add(answer) },
    annotate: (request, attributes) => { request.trace?.span.setAttributes(attributes) },
    contribute: (source) => { sources.push(source) }
  }
}

async function tracingPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.decorateRequest('trace', undefined)
  const { tracing } = fastify.config
  if (!tracing) {
    fastify.decorate('tracing', DISABLED)
    return
  }
  installContextManager()
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': tracing.serviceName, 'service.version': fastify.instanceInfo.version }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracing.url }), scheduledDelayMillis: tracing.exportDelayMs })]
  })
  const tracer = provider.getTracer('claude2api', fastify.instanceInfo.version)
  const sources: AttributeSource[] = []
  fastify.decorate('tracing', tracingFor(tracer, sources))

  fastify.addHook('onRequest', async (request) => { startRequestSpan(tracer, request) })
  // From here on the handler, and every await inside it, runs in the request span's context,
  // so upstream attempts find their parent without being handed it.
  fastify.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const traced = request.trace
    if (!traced) { done(); return }
    const model = requestModel(request)
    if (!model) { context.with(traced.context, done); return }
    traced.span.setAttribute('gen_ai.request.model', model)
    context.with(traced.context.setValue(MODEL_KEY, model), done)
  })
  fastify.addHook('onResponse', async (request, reply) => { endRequestSpan(request, reply, sources) })
  fastify.addHook('onRequestAbort', async (request) => {
    const traced = request.trace
    if (!traced || traced.ended) return
    traced.ended = true
    traced.span.setAttributes({ 'claude2api.client_disconnected': true, ...traced.answers.attributes() })
    traced.span.end()
  })
  fastify.addHook('onClose', async () => { await provider.shutdown() })
}

export default fp(tracingPlugin, { name: 'tracing', fastify: '5.x', dependencies: ['config'] })
