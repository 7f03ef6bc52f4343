import type { ReasoningBlock, StreamPayload } from './anthropic-types.js'
import { UpstreamError, UpstreamNetworkError } from './errors.js'
import { ChunkWriter, DONE_CHUNK, StreamTranslator, type StreamIdentity } from './stream-translator.js'
import { addUsage, emptyUsage, type ThinkingFormat } from './translate-response.js'

/** One upstream stream per choice, already past its `message_start`. */
export interface ChoiceSource { first: StreamPayload; rest: AsyncIterator<StreamPayload>; close: () => void }

export interface CompletionStreamOptions {
  identity: StreamIdentity
  jsonTool: string | null
  thinkingFormat: ThinkingFormat
  onReasoning: (toolCallIds: string[], blocks: ReasoningBlock[]) => void
}

function describeFailure (error: unknown): { message: string; code: string } {
  if (error instanceof UpstreamNetworkError) return { message: `The upstream stream failed before the answer was complete (${error.message})`, code: 'upstream_stream_failed' }
  if (error instanceof UpstreamError) return { message: `Upstream: ${error.message}`, code: error.upstreamType }
  return { message: 'The upstream stream failed before the answer was complete', code: 'upstream_stream_failed' }
}

type Pulled = { index: number; result?: IteratorResult<StreamPayload>; error?: unknown }

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
    const pending = new Map<number, Promise<Pulled>>()
    const pull = (index: number): void => {
      pending.set(index, sources[index].rest.next().then((result) => ({ index, result }), (error: unknown) => ({ index, error })))
    }
    sources.forEach((_, index) => pull(index))
    while (pending.size > 0) {
      const pulled = pending.size === 1 ? await pending.values().next().value! : await Promise.race(pending.values())
      pending.delete(pulled.index)
      const translator = translators[pulled.index]
      let chunk: string
      if (pulled.error !== undefined) {
        const failure = describeFailure(pulled.error)
        chunk = translator.fail(failure.message, failure.code)
      } else if (pulled.result!.done) {
        chunk = translator.fail('The upstream stream ended before the answer was complete', 'upstream_stream_failed')
      } else {
        chunk = translator.handle(pulled.result!.value)
        if (translator.state === 'streaming' || translator.state === 'awaiting-start') pull(pulled.index)
      }
      if (chunk) yield chunk
      // One failed choice fails the whole answer: the others are closed rather than streamed on.
      if (translator.state === 'failed') return
    }
    for (const translator of translators) {
      const reasoning = translator.reasoning
      if (reasoning) options.onReasoning(reasoning.toolCallIds, reasoning.blocks)
    }
    if (translators.some((translator) => translator.state !== 'finished')) return
    if (options.identity.includeUsage) {
      const usage = translators.map((translator) => translator.usage).reduce(addUsage, emptyUsage())
      yield new ChunkWriter(options.identity, 0).usage(usage)
    }
    yield DONE_CHUNK
  } finally {
    for (const source of sources) source.close()
  }
}
