import type { Usage } from '../schemas/chat-completion.js'
import type { AnthropicUsage, ContentBlock, ReasoningBlock, StreamPayload } from './anthropic-types.js'
import { mapStopReason, mapUsage, type FinishReason, type ThinkingFormat } from './translate-response.js'

/** Where the translator is in the upstream's event sequence. */
export type StreamState = 'awaiting-start' | 'streaming' | 'finished' | 'failed'

type BlockState =
  | { kind: 'text' }
  | { kind: 'thinking'; text: string; signature: string; opened: boolean }
  | { kind: 'redacted'; data: string }
  | { kind: 'tool'; toolIndex: number; id: string; sentArguments: boolean }
  | { kind: 'json-tool' }
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

  delta (delta: object): string {
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
 * An explicit state machine: awaiting-start → streaming → finished | failed.
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
    if (this.state === 'finished' || this.state === 'failed') return ''
    switch (event.type) {
      case 'message_start': return this.onMessageStart(event.message.usage)
      case 'content_block_start': return this.onBlockStart(event.index, event.content_block)
      case 'content_block_delta': return this.onBlockDelta(event.index, event.delta)
      case 'content_block_stop': return this.onBlockStop(event.index)
      case 'message_delta': return this.onMessageDelta(event)
      case 'message_stop': return this.onMessageStop()
      case 'error': return this.fail(event.error.message, event.error.type)
      default: return ''
    }
  }

  /** Ends the choice with a visible error; never with a finish_reason. */
  fail (message: string, code: string): string {
    if (this.state === 'finished' || this.state === 'failed') return ''
    this.state = 'failed'
    return errorChunk(message, 'server_error', code)
  }

  private onMessageStart (usage: AnthropicUsage | undefined): string {
    if (this.state !== 'awaiting-start') return ''
    this.state = 'streaming'
    this.upstreamUsage = { ...usage }
    return this.writer.delta({ role: 'assistant', content: '' })
  }

  private onBlockStart (index: number, block: ContentBlock): string {
    if (this.state !== 'streaming') return ''
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' })
        return block.text ? this.writer.delta({ content: block.text }) : ''
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking', text: block.thinking ?? '', signature: block.signature ?? '', opened: false })
        return block.thinking ? this.thinkingDelta(index, block.thinking) : ''
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

  private onToolStart (index: number, id: string, name: string): string {
    if (name === this.jsonTool) {
      this.blocks.set(index, { kind: 'json-tool' })
      return ''
    }
    const toolIndex = this.toolCallIds.length
    this.toolCallIds.push(id)
    this.blocks.set(index, { kind: 'tool', toolIndex, id, sentArguments: false })
    return this.writer.delta({ tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: '' } }] })
  }

  private onBlockDelta (index: number, delta: Extract<StreamPayload, { type: 'content_block_delta' }>['delta']): string {
    const block = this.blocks.get(index)
    if (!block || this.state !== 'streaming') return ''
    switch (delta.type) {
      case 'text_delta':
        return block.kind === 'text' && delta.text ? this.writer.delta({ content: delta.text }) : ''
      case 'thinking_delta':
        if (block.kind !== 'thinking' || !delta.thinking) return ''
        block.text += delta.thinking
        return this.thinkingDelta(index, delta.thinking)
      case 'signature_delta':
        if (block.kind === 'thinking') block.signature += delta.signature
        return ''
      case 'input_json_delta':
        return this.onArguments(block, delta.partial_json)
      default:
        return ''
    }
  }

  private onArguments (block: BlockState, partial: string): string {
    if (!partial) return ''
    if (block.kind === 'json-tool') return this.writer.delta({ content: partial })
    if (block.kind !== 'tool') return ''
    block.sentArguments = true
    return this.writer.delta({ tool_calls: [{ index: block.toolIndex, function: { arguments: partial } }] })
  }

  private thinkingDelta (index: number, text: string): string {
    if (this.thinkingFormat === 'reasoning_content') return this.writer.delta({ reasoning_content: text })
    const block = this.blocks.get(index)
    if (block?.kind === 'thinking' && !block.opened) {
      block.opened = true
      return this.writer.delta({ content: `<think>\n${text}` })
    }
    return this.writer.delta({ content: text })
  }

  private onBlockStop (index: number): string {
    const block = this.blocks.get(index)
    if (!block) return ''
    switch (block.kind) {
      case 'thinking':
        this.reasoningBlocks.push({ type: 'thinking', thinking: block.text, signature: block.signature })
        return this.thinkingFormat === 'think-tags' && block.opened ? this.writer.delta({ content: '\n</think>\n\n' }) : ''
      case 'redacted':
        this.reasoningBlocks.push({ type: 'redacted_thinking', data: block.data })
        return ''
      case 'tool':
        return block.sentArguments ? '' : this.writer.delta({ tool_calls: [{ index: block.toolIndex, function: { arguments: '{}' } }] })
      default:
        return ''
    }
  }

  private onMessageDelta (event: Extract<StreamPayload, { type: 'message_delta' }>): string {
    if (event.delta.stop_reason !== undefined) this.stopReason = event.delta.stop_reason
    // message_delta usage is cumulative: later values replace earlier ones.
    if (event.usage) this.upstreamUsage = { ...this.upstreamUsage, ...definedOnly(event.usage) }
    return ''
  }

  private onMessageStop (): string {
    if (this.state !== 'streaming') return ''
    this.state = 'finished'
    this.finishReason = mapStopReason(this.stopReason, this.jsonTool)
    return this.writer.finish(this.finishReason)
  }
}

function definedOnly (usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== null && value !== undefined))
}
