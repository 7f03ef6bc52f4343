import type { ReasoningBlock, StreamPayload } from '../anthropic/types.js'
import { UpstreamError, UpstreamNetworkError } from '../errors.js'
import { ChunkWriter, DONE_CHUNK, StreamTranslator, type StreamIdentity } from './stream-translator.js'
import { addUsage, emptyUsage } from '../core/usage.js'
import type { ThinkingFormat } from './translate-response.js'

/** One upstream stream per choice, already past its `message_start`. */
export interface ChoiceSource { first: StreamPayload; rest: AsyncIterator<StreamPayload>; close: () => void }

export interface CompletionStreamOptions {
  identity: StreamIdentity
  jsonTool: string | null
  thinkingFormat: ThinkingFormat
  /** Awaited before the stream ends, so the next turn (maybe on another instance) finds what it saved. */
  onReasoning: (toolCallIds: string[], blocks: ReasoningBlock[]) => void | Promise<void>
}

function describeFailure (error: unknown): { message: string; code: string } {
  if (error instanceof UpstreamNetworkError) return { message: `The upstream stream failed before the answer was complete (${error.message})`, code: 'upstream_stream_failed' }
  if (error instanceof UpstreamError) return { message: `Upstream: ${error.message}`, code: error.upstreamType }
  return { message: 'The upstream stream failed before the answer was complete', code: 'upstream_stream_failed' }
}

type Pulled = { index: number; result?: IteratorResult<StreamPayload>; error?: unknown }

/** The chunk one pulled event (or failure) makes for its choice. */
function chunkFor (translator: StreamTranslator, pulled: Pulled): string {
  if (pulled.error !== undefined) {
    const failure = describeFailure(pulled.error)
    return translator.fail(failure.message, failure.code)
  }
  if (pulled.result!.done) return translator.fail('The upstream stream ended before the answer was complete', 'upstream_stream_failed')
  return translator.handle(pulled.result!.value)
}

function isOpen (translator: StreamTranslator): boolean {
  return translator.state === 'streaming' || translator.state === 'awaiting-start'
}

async function pull (source: ChoiceSource, index: number): Promise<Pulled> {
  try {
    return { index, result: await source.rest.next() }
  } catch (error) {
    return { index, error: error ?? new Error('upstream stream failed') }
  }
}

/** One choice (nearly every request): events in order, without the bookkeeping of a merge. */
async function * singleChoice (source: ChoiceSource, translator: StreamTranslator): AsyncGenerator<string> {
  while (isOpen(translator)) {
    const chunk = chunkFor(translator, await pull(source, 0))
    if (chunk) yield chunk
  }
}

/** Several choices: chunks in the order their events arrive. One failed choice fails them all. */
async function * mergedChoices (sources: ChoiceSource[], translators: StreamTranslator[]): AsyncGenerator<string> {
  const pending = new Map<number, Promise<Pulled>>()
  sources.forEach((source, index) => pending.set(index, pull(source, index)))
  while (pending.size > 0) {
    const pulled = await Promise.race(pending.values())
    pending.delete(pulled.index)
    const translator = translators[pulled.index]
    const chunk = chunkFor(translator, pulled)
    if (chunk) yield chunk
    if (translator.state === 'failed') return
    if (isOpen(translator)) pending.set(pulled.index, pull(sources[pulled.index], pulled.index))
  }
}

/**
 * The client's SSE body: the choices' chunks as they come, then (when every choice finished
 * cleanly) the usage chunk if asked for and `[DONE]`. A failed choice ends the whole body with
 * an error chunk and no `[DONE]`, so a cut answer never looks complete.
 */
export async function * completionStream (sources: ChoiceSource[], options: CompletionStreamOptions): AsyncGenerator<string> {
  const translators = sources.map((_, index) => new StreamTranslator(options.identity, index, options.jsonTool, options.thinkingFormat))
  try {
    for (const [index, source] of sources.entries()) {
      const chunk = translators[index].handle(source.first)
      if (chunk) yield chunk
    }
    yield * (sources.length === 1 ? singleChoice(sources[0], translators[0]) : mergedChoices(sources, translators))
    if (translators.some((translator) => translator.state !== 'finished')) return
    for (const translator of translators) {
      const reasoning = translator.reasoning
      if (reasoning) await options.onReasoning(reasoning.toolCallIds, reasoning.blocks)
    }
    if (options.identity.includeUsage) {
      const usage = translators.map((translator) => translator.usage).reduce(addUsage, emptyUsage())
      yield new ChunkWriter(options.identity, 0).usage(usage)
    }
    yield DONE_CHUNK
  } finally {
    for (const source of sources) source.close()
  }
}
