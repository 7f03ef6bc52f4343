import type { Usage } from '../../schemas/chat-completion.js'
import type { AnthropicUsage, ContentBlock, ReasoningBlock, StreamPayload } from '../anthropic/types.js'
import { finishReasonOf, mergeUsage, mapUsage, type FinishReason } from '../core/usage.js'
import { citedPage, type CitedPage } from '../core/web-search.js'
import { REASONING_SEPARATOR, THINK_CLOSE, THINK_OPEN, urlCitation, type ThinkingFormat } from './translate-response.js'

/** Where the translator is in the upstream's event sequence. */
export type StreamState = 'awaiting-start' | 'streaming' | 'finished' | 'failed'

type BlockState =
  | { kind: 'text'; from: number; pages: CitedPage[] }
  | { kind: 'thinking'; text: string; signature: string; opened: boolean }
  | { kind: 'redacted'; data: string }
  | { kind: 'tool'; toolIndex: number; id: string; sentArguments: boolean }
  | { kind: 'json-tool'; sentArguments: boolean }
  | { kind: 'ignored' }

export interface StreamIdentity { id: string; created: number; model: string; includeUsage: boolean }

/**
 * The constant head and tail of every chunk of one choice, serialized once: each chunk is then
 * head + JSON of the delta + tail, with no per-chunk object for the envelope.
 */
export class ChunkWriter {
  private readonly head: string
  private readonly tail: string
  private readonly usageHead: string

  constructor (identity: StreamIdentity, index: number) {
    const envelope = `{"id":${JSON.stringify(identity.id)},"object":"chat.completion.chunk","created":${identity.created},"model":${JSON.stringify(identity.model)},"system_fingerprint":null,`
    this.head = `data: ${envelope}"choices":[{"index":${index},"delta":`
    this.tail = `,"logprobs":null,"finish_reason":null}]${identity.includeUsage ? ',"usage":null' : ''}}\n\n`
    this.usageHead = `data: ${envelope}"choices":[],"usage":`
  }

  /** How much content this choice has sent: where the next piece starts, for citations. */
  contentLength = 0

  delta (delta: { content?: string; [field: string]: unknown }): string {
    this.contentLength += delta.content?.length ?? 0
    return this.head + JSON.stringify(delta) + this.tail
  }

  finish (reason: FinishReason): string {
    return this.head + '{}' + this.tail.replace('"finish_reason":null', `"finish_reason":"${reason}"`)
  }

  usage (usage: Usage): string {
    return `${this.usageHead}${JSON.stringify(usage)}}\n\n`
  }
}

export function errorChunk (message: string, type: string, code: string | null): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`
}

export const DONE_CHUNK = 'data: [DONE]\n\n'

/**
 * Turns the upstream's Messages stream events for one choice into OpenAI chunk lines.
 * An explicit state machine: awaiting-start → streaming → finished | failed. Each state has its
 * own handler; the terminal states ignore everything (events after message_stop included), and
 * unknown event, block and delta types are passed over.
 */
export class StreamTranslator {
  state: StreamState = 'awaiting-start'
  finishReason: FinishReason | null = null
  private readonly writer: ChunkWriter
  private readonly blocks = new Map<number, BlockState>()
  private readonly reasoningBlocks: ReasoningBlock[] = []
  private readonly toolCallIds: string[] = []
  private upstreamUsage: AnthropicUsage = {}
  private stopReason: string | null = null
  private shownThoughts = 0

  constructor (identity: StreamIdentity, index: number, private readonly jsonTool: string | null, private readonly thinkingFormat: ThinkingFormat) {
    this.writer = new ChunkWriter(identity, index)
  }

  get usage (): Usage {
    return mapUsage(this.upstreamUsage)
  }

  /** Thinking blocks of a turn that made tool calls, for the thinking store. */
  get reasoning (): { toolCallIds: string[]; blocks: ReasoningBlock[] } | null {
    return this.toolCallIds.length > 0 && this.reasoningBlocks.length > 0 ? { toolCallIds: this.toolCallIds, blocks: this.reasoningBlocks } : null
  }

  /** Returns the chunk text to send for this event ('' when there is none). */
  handle (event: StreamPayload): string {
    switch (this.state) {
      case 'awaiting-start': return this.whileAwaitingStart(event)
      case 'streaming': return this.whileStreaming(event)
      case 'finished':
      case 'failed':
        return ''
    }
  }

  /** Ends the choice with a visible error; never with a finish_reason. */
  fail (message: string, code: string): string {
    if (this.state === 'finished' || this.state === 'failed') return ''
    this.state = 'failed'
    return errorChunk(message, 'server_error', code)
  }

  private whileAwaitingStart (event: StreamPayload): string {
    switch (event.type) {
      case 'message_start': return this.start(event.message.usage)
      case 'error': return this.fail(event.error.message, event.error.type)
      default: return ''
    }
  }

  private whileStreaming (event: StreamPayload): string {
    switch (event.type) {
      case 'content_block_start': return this.onBlockStart(event.index, event.content_block)
      case 'content_block_delta': return this.onBlockDelta(event.index, event.delta)
      case 'content_block_stop': return this.onBlockStop(event.index)
      case 'message_delta': return this.onMessageDelta(event)
      case 'message_stop': return this.finish()
      case 'error': return this.fail(event.error.message, event.error.type)
      default: return ''
    }
  }

  private start (usage: AnthropicUsage | undefined): string {
    this.state = 'streaming'
    this.upstreamUsage = { ...usage }
    return this.writer.delta({ role: 'assistant', content: '' })
  }

  private finish (): string {
    this.state = 'finished'
    this.finishReason = finishReasonOf(this.stopReason, this.toolCallIds.length)
    return this.writer.finish(this.finishReason)
  }

  private onBlockStart (index: number, block: ContentBlock): string {
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text', from: this.writer.contentLength, pages: [] })
        return block.text ? this.writer.delta({ content: block.text }) : ''
      case 'thinking': {
        const state: BlockState = { kind: 'thinking', text: block.thinking ?? '', signature: block.signature ?? '', opened: false }
        this.blocks.set(index, state)
        return block.thinking ? this.thinkingDelta(state, block.thinking) : ''
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'redacted', data: block.data })
        return ''
      case 'tool_use':
        return this.onToolStart(index, block.id, block.name)
      default:
        this.blocks.set(index, { kind: 'ignored' })
        return ''
    }
  }

  /** Calls are numbered 0, 1, 2… in start order, never by the upstream's block index. */
  private onToolStart (index: number, id: string, name: string): string {
    if (name === this.jsonTool) {
      this.blocks.set(index, { kind: 'json-tool', sentArguments: false })
      return ''
    }
    const toolIndex = this.toolCallIds.length
    this.toolCallIds.push(id)
    this.blocks.set(index, { kind: 'tool', toolIndex, id, sentArguments: false })
    return this.writer.delta({ tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }] })
  }

  private onBlockDelta (index: number, delta: Extract<StreamPayload, { type: 'content_block_delta' }>['delta']): string {
    const block = this.blocks.get(index)
    if (!block) return ''
    switch (delta.type) {
      case 'text_delta':
        return block.kind === 'text' && delta.text ? this.writer.delta({ content: delta.text }) : ''
      case 'thinking_delta':
        if (block.kind !== 'thinking' || !delta.thinking) return ''
        block.text += delta.thinking
        return this.thinkingDelta(block, delta.thinking)
      case 'signature_delta':
        if (block.kind === 'thinking') block.signature += delta.signature
        return ''
      case 'input_json_delta':
        return this.onArguments(block, delta.partial_json)
      case 'citations_delta':
        // A citation covers its whole text block, so it is sent when the block stops.
        if (block.kind === 'text') block.pages.push(...citedPage(delta.citation))
        return ''
      default:
        return ''
    }
  }

  private onArguments (block: BlockState, partial: string): string {
    if (!partial || (block.kind !== 'tool' && block.kind !== 'json-tool')) return ''
    block.sentArguments = true
    if (block.kind === 'json-tool') return this.writer.delta({ content: partial })
    return this.writer.delta({ tool_calls: [{ index: block.toolIndex, function: { arguments: partial } }] })
  }

  /** The first piece of a thinking block opens it: a <think> tag, or a separator after earlier thoughts. */
  private thinkingDelta (block: Extract<BlockState, { kind: 'thinking' }>, text: string): string {
    let prefix = ''
    if (!block.opened) {
      block.opened = true
      prefix = this.thinkingFormat === 'think-tags' ? THINK_OPEN : this.shownThoughts > 0 ? REASONING_SEPARATOR : ''
      this.shownThoughts++
    }
    return this.writer.delta(this.thinkingFormat === 'think-tags' ? { content: prefix + text } : { reasoning_content: prefix + text })
  }

  private onBlockStop (index: number): string {
    const block = this.blocks.get(index)
    if (!block) return ''
    switch (block.kind) {
      case 'thinking':
        this.reasoningBlocks.push({ type: 'thinking', thinking: block.text, signature: block.signature })
        return this.thinkingFormat === 'think-tags' && block.opened ? this.writer.delta({ content: THINK_CLOSE }) : ''
      case 'redacted':
        this.reasoningBlocks.push({ type: 'redacted_thinking', data: block.data })
        return ''
      case 'tool':
        return block.sentArguments ? '' : this.writer.delta({ tool_calls: [{ index: block.toolIndex, function: { arguments: '{}' } }] })
      case 'json-tool':
        return block.sentArguments ? '' : this.writer.delta({ content: '{}' })
      case 'text':
        return block.pages.length > 0 ? this.writer.delta({ annotations: block.pages.map((page) => urlCitation(block.from, this.writer.contentLength, page)) }) : ''
      default:
        return ''
    }
  }

  private onMessageDelta (event: Extract<StreamPayload, { type: 'message_delta' }>): string {
    if (event.delta.stop_reason !== undefined) this.stopReason = event.delta.stop_reason
    // message_delta usage is cumulative: later values replace earlier ones.
    if (event.usage) this.upstreamUsage = mergeUsage(this.upstreamUsage, event.usage)
    return ''
  }
}
