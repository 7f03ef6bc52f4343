import type { AnthropicResponse, AnthropicUsage, BlockDelta, ContentBlock, ReasoningBlock, ServerToolUseBlock, StreamPayload, WebSearchToolResultBlock } from '../anthropic/types.js'
import { mapUsage, mergeUsage } from '../core/usage.js'
import { citedPage, type CitedPage } from '../core/web-search.js'
import type { CustomToolCallItem, FunctionCallItem, MessageItem, OutputItem, ReasoningItem, ResponseObject, ResponseUsage, WebSearchCallItem } from '../../schemas/responses.js'
import { codeForUpstream, type ResponseFailure } from './failure.js'
import { newId } from './ids.js'
import type { ToolNames } from './tool-names.js'

/** Where the translator is in the upstream's event sequence. */
export type ResponsesStreamState = 'awaiting-start' | 'streaming' | 'finished' | 'failed'

export interface TranslatorOptions {
  jsonTool: string | null
  tools: ToolNames
  summaries: boolean
  /** web_search_call items list the pages the search found. */
  searchSources?: boolean
  /** Seals a reasoning item's thinking blocks; absent when encrypted_content is not wanted. */
  seal?: (blocks: ReasoningBlock[]) => string
}

type OpenItem =
  | { kind: 'reasoning'; outputIndex: number; item: ReasoningItem; blocks: ReasoningBlock[] }
  | { kind: 'message'; outputIndex: number; item: MessageItem; text: string; annotations: UrlCitation[] }

type BlockState =
  | { kind: 'thinking'; text: string; signature: string; summaryIndex: number | null }
  | { kind: 'redacted'; data: string }
  | { kind: 'text'; from: number; sources: CitedPage[] }
  | { kind: 'function'; outputIndex: number; item: FunctionCallItem }
  | { kind: 'custom'; outputIndex: number; item: CustomToolCallItem; json: string }
  | { kind: 'json-tool'; sent: boolean }
  | { kind: 'web-search'; search: PendingSearch; json: string }

/** A web page a stretch of the answer cites, as OpenAI's output_text annotations have it. */
interface UrlCitation { type: 'url_citation'; start_index: number; end_index: number; url: string; title: string }

/** A web search Claude started: its item waits for the result block that names its id. */
interface PendingSearch { outputIndex: number; item: WebSearchCallItem }

export const KEEP_ALIVE = ': keep-alive\n\n'

/**
 * Turns the upstream's Messages stream into the Responses event sequence, each event with an
 * increasing sequence_number. An explicit state machine: awaiting-start → streaming → finished |
 * failed; the terminal states ignore everything. Consecutive thinking blocks make one reasoning
 * item and consecutive text blocks one message item; each tool call is its own item.
 */
export class ResponsesStreamTranslator {
  state: ResponsesStreamState = 'awaiting-start'
  private sequence = 0
  private readonly output: OutputItem[] = []
  private readonly blocks = new Map<number, BlockState>()
  private open: OpenItem | null = null
  private upstreamUsage: AnthropicUsage = {}
  private stopReason: string | null = null
  private readonly reasoning = new Map<string, ReasoningBlock[]>()
  private failure: ResponseFailure | null = null
  private readonly searches = new Map<string, PendingSearch>()

  constructor (private readonly shell: ResponseObject, private readonly options: TranslatorOptions) {}

  get finished (): boolean {
    return this.state === 'finished'
  }

  /** The response as it stands: final once the state is terminal. */
  get response (): ResponseObject {
    return { ...this.shell, ...this.outcome(), output: [...this.output] }
  }

  /** Thinking blocks of each reasoning item, by item id (kept with a stored response). */
  get reasoningById (): Map<string, ReasoningBlock[]> {
    return this.reasoning
  }

  /** For each reasoning item followed by tool calls: the calls' ids and the blocks (for the thinking store). */
  get toolTurnReasoning (): Array<{ callIds: string[]; blocks: ReasoningBlock[] }> {
    const turns: Array<{ callIds: string[]; blocks: ReasoningBlock[] }> = []
    let current: { callIds: string[]; blocks: ReasoningBlock[] } | null = null
    for (const item of this.output) {
      if (item.type === 'reasoning') {
        current = { callIds: [], blocks: this.reasoning.get(item.id) ?? [] }
        turns.push(current)
      } else if ((item.type === 'function_call' || item.type === 'custom_tool_call') && current) current.callIds.push(item.call_id)
    }
    return turns.filter((turn) => turn.callIds.length > 0 && turn.blocks.length > 0)
  }

  handle (event: StreamPayload): string {
    switch (this.state) {
      case 'awaiting-start': return this.whileAwaitingStart(event)
      case 'streaming': return this.whileStreaming(event)
      case 'finished':
      case 'failed':
        return ''
    }
  }

  /** Ends the response with response.failed; never with response.completed. */
  fail (failure: ResponseFailure): string {
    if (this.state === 'finished' || this.state === 'failed') return ''
    const head = this.state === 'awaiting-start' ? this.begin() : ''
    this.state = 'failed'
    this.failure = failure
    return head + this.emit('response.failed', { response: this.response })
  }

  private whileAwaitingStart (event: StreamPayload): string {
    switch (event.type) {
      case 'message_start':
        this.upstreamUsage = { ...event.message.usage }
        return this.begin()
      case 'error': return this.fail({ code: codeForUpstream(event.error.type, event.error.message), message: `Upstream: ${event.error.message}` })
      default: return ''
    }
  }

  private begin (): string {
    this.state = 'streaming'
    const snapshot = { ...this.shell, output: [] }
    return this.emit('response.created', { response: snapshot }) + this.emit('response.in_progress', { response: snapshot })
  }

  private whileStreaming (event: StreamPayload): string {
    switch (event.type) {
      case 'content_block_start': return this.onBlockStart(event.index, event.content_block)
      case 'content_block_delta': return this.onBlockDelta(event.index, event.delta)
      case 'content_block_stop': return this.onBlockStop(event.index)
      case 'message_delta':
        if (event.delta.stop_reason !== undefined) this.stopReason = event.delta.stop_reason
        if (event.usage) this.upstreamUsage = mergeUsage(this.upstreamUsage, event.usage)
        return ''
      case 'message_stop': return this.finish()
      case 'ping': return KEEP_ALIVE
      case 'error': return this.fail({ code: codeForUpstream(event.error.type, event.error.message), message: `Upstream: ${event.error.message}` })
      default: return ''
    }
  }

  private emit (type: string, fields: Record<string, unknown>): string {
    const data = JSON.stringify({ type, sequence_number: this.sequence++, ...fields })
    return `event: ${type}\ndata: ${data}\n\n`
  }

  // --- items -----------------------------------------------------------------------------------

  private addItem (item: OutputItem): { outputIndex: number; text: string } {
    const outputIndex = this.output.length
    this.output.push(item)
    return { outputIndex, text: this.emit('response.output_item.added', { output_index: outputIndex, item }) }
  }

  private doneItem (outputIndex: number, item: OutputItem): string {
    this.output[outputIndex] = item
    return this.emit('response.output_item.done', { output_index: outputIndex, item })
  }

  private openReasoning (): string {
    if (this.open?.kind === 'reasoning') return ''
    const closed = this.closeOpen()
    const item: ReasoningItem = { type: 'reasoning', id: newId('rs'), summary: [] }
    const added = this.addItem({ ...item, summary: [] })
    this.open = { kind: 'reasoning', outputIndex: added.outputIndex, item, blocks: [] }
    return closed + added.text
  }

  private openMessage (): string {
    if (this.open?.kind === 'message') return ''
    const closed = this.closeOpen()
    const item: MessageItem = { type: 'message', id: newId('msg'), role: 'assistant', status: 'in_progress', content: [] }
    const added = this.addItem(item)
    this.open = { kind: 'message', outputIndex: added.outputIndex, item, text: '', annotations: [] }
    const part = { type: 'output_text', text: '', annotations: [] }
    return closed + added.text + this.emit('response.content_part.added', { item_id: item.id, output_index: added.outputIndex, content_index: 0, part })
  }

  private closeOpen (): string {
    const open = this.open
    if (!open) return ''
    this.open = null
    if (open.kind === 'reasoning') {
      const item: ReasoningItem = { ...open.item, summary: [...open.item.summary] }
      this.reasoning.set(item.id, open.blocks)
      if (this.options.seal && open.blocks.length > 0) item.encrypted_content = this.options.seal(open.blocks)
      return this.doneItem(open.outputIndex, item)
    }
    const status = this.finalItemStatus()
    const part = { type: 'output_text' as const, text: open.text, annotations: open.annotations }
    const where = { item_id: open.item.id, output_index: open.outputIndex, content_index: 0 }
    return this.emit('response.output_text.done', { ...where, text: open.text, logprobs: [] }) +
      this.emit('response.content_part.done', { ...where, part }) +
      this.doneItem(open.outputIndex, { ...open.item, status, content: [part] })
  }

  /** Items still open when the upstream stops for max_tokens are cut short. */
  private finalItemStatus (): 'completed' | 'incomplete' {
    return incompleteReason(this.stopReason) !== null ? 'incomplete' : 'completed'
  }

  private textDelta (text: string): string {
    if (this.open?.kind !== 'message' || text === '') return ''
    this.open.text += text
    return this.emit('response.output_text.delta', { item_id: this.open.item.id, output_index: this.open.outputIndex, content_index: 0, delta: text, logprobs: [] })
  }

  // --- blocks ----------------------------------------------------------------------------------

  private onBlockStart (index: number, block: ContentBlock | { type: string }): string {
    switch (block.type) {
      case 'thinking': {
        const thinking: BlockState = { kind: 'thinking', text: '', signature: '', summaryIndex: null }
        this.blocks.set(index, thinking)
        return this.openReasoning() + this.thinkingText(thinking, (block as { thinking?: string }).thinking ?? '')
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'redacted', data: (block as { data: string }).data })
        return this.openReasoning()
      case 'text': {
        const opened = this.openMessage()
        // A text block's citations cover the whole block: from where it starts in the message to where it stops.
        this.blocks.set(index, { kind: 'text', from: (this.open as Extract<OpenItem, { kind: 'message' }>).text.length, sources: [] })
        return opened + this.textDelta((block as { text?: string }).text ?? '')
      }
      case 'tool_use': {
        const use = block as { id: string; name: string }
        return use.name === this.options.jsonTool ? this.onJsonToolStart(index) : this.onToolStart(index, use.id, use.name)
      }
      // Blocks with nothing to show are not recorded: their deltas and stop then find no block.
      case 'server_tool_use': {
        const use = block as unknown as ServerToolUseBlock
        return use.name === 'web_search' ? this.onSearchStart(index, use.id, use.input) : ''
      }
      case 'web_search_tool_result': return this.onSearchResult(block as unknown as WebSearchToolResultBlock)
      default: return ''
    }
  }

  private onJsonToolStart (index: number): string {
    this.blocks.set(index, { kind: 'json-tool', sent: false })
    return this.openMessage()
  }

  private onToolStart (index: number, callId: string, upstreamName: string): string {
    const closed = this.closeOpen()
    const tool = this.options.tools.lookup(upstreamName) ?? { kind: 'function' as const, name: upstreamName }
    const namespace = tool.namespace !== undefined ? { namespace: tool.namespace } : {}
    if (tool.kind === 'custom') {
      const item: CustomToolCallItem = { type: 'custom_tool_call', id: newId('ctc'), call_id: callId, name: tool.name, ...namespace, input: '', status: 'in_progress' }
      const added = this.addItem({ ...item })
      this.blocks.set(index, { kind: 'custom', outputIndex: added.outputIndex, item, json: '' })
      return closed + added.text
    }
    const item: FunctionCallItem = { type: 'function_call', id: newId('fc'), call_id: callId, name: tool.name, ...namespace, arguments: '', status: 'in_progress' }
    const added = this.addItem({ ...item })
    this.blocks.set(index, { kind: 'function', outputIndex: added.outputIndex, item })
    return closed + added.text
  }

  private onSearchStart (index: number, id: string, input: Record<string, unknown> | undefined): string {
    const closed = this.closeOpen()
    const item: WebSearchCallItem = { type: 'web_search_call', id: newId('ws'), status: 'in_progress', action: { type: 'search', query: '' } }
    const added = this.addItem(item)
    const search = { outputIndex: added.outputIndex, item }
    this.searches.set(id, search)
    // A whole message carries the input in the block; a stream sends it as deltas.
    this.blocks.set(index, { kind: 'web-search', search, json: input !== undefined && Object.keys(input).length > 0 ? JSON.stringify(input) : '' })
    return closed + added.text + this.emit('response.web_search_call.in_progress', { item_id: item.id, output_index: added.outputIndex })
  }

  private onSearchQuery (block: Extract<BlockState, { kind: 'web-search' }>): string {
    const { item, outputIndex } = block.search
    item.action.query = searchQuery(block.json)
    item.status = 'searching'
    return this.emit('response.web_search_call.searching', { item_id: item.id, output_index: outputIndex })
  }

  private onSearchResult (result: WebSearchToolResultBlock): string {
    const search = this.searches.get(result.tool_use_id)
    if (!search) return ''
    this.searches.delete(result.tool_use_id)
    const { item, outputIndex } = search
    const pages = Array.isArray(result.content) ? result.content : null
    const sources = this.options.searchSources === true && pages ? { sources: pages.flatMap((page) => typeof page.url === 'string' ? [{ type: 'url' as const, url: page.url }] : []) } : {}
    const done: WebSearchCallItem = { ...item, status: pages ? 'completed' : 'failed', action: { ...item.action, ...sources } }
    return (pages ? this.emit('response.web_search_call.completed', { item_id: item.id, output_index: outputIndex }) : '') + this.doneItem(outputIndex, done)
  }

  /** A search whose result never came (the turn paused or was cut) ends as failed. */
  private closeUnansweredSearches (): string {
    let text = ''
    for (const { item, outputIndex } of this.searches.values()) text += this.doneItem(outputIndex, { ...item, status: 'failed' })
    return text
  }

  private onBlockDelta (index: number, delta: BlockDelta): string {
    const block = this.blocks.get(index)
    if (!block) return ''
    switch (delta.type) {
      case 'text_delta': return block.kind === 'text' ? this.textDelta(delta.text) : ''
      case 'thinking_delta': return this.thinkingText(block, delta.thinking)
      case 'signature_delta':
        if (block.kind === 'thinking') block.signature += delta.signature
        return ''
      case 'input_json_delta': return this.onArguments(block, delta.partial_json)
      case 'citations_delta':
        if (block.kind === 'text') block.sources.push(...citedPage(delta.citation))
        return ''
      default: return ''
    }
  }

  private thinkingText (block: BlockState, text: string): string {
    if (block.kind !== 'thinking' || text === '' || this.open?.kind !== 'reasoning') return ''
    block.text += text
    if (!this.options.summaries) return ''
    const open = this.open
    let head = ''
    if (block.summaryIndex === null) {
      block.summaryIndex = open.item.summary.length
      open.item.summary.push({ type: 'summary_text', text: '' })
      head = this.emit('response.reasoning_summary_part.added', { item_id: open.item.id, output_index: open.outputIndex, summary_index: block.summaryIndex, part: { type: 'summary_text', text: '' } })
    }
    open.item.summary[block.summaryIndex].text += text
    return head + this.emit('response.reasoning_summary_text.delta', { item_id: open.item.id, output_index: open.outputIndex, summary_index: block.summaryIndex, delta: text })
  }

  private onArguments (block: BlockState, partial: string): string {
    if (!partial) return ''
    switch (block.kind) {
      case 'function':
        block.item.arguments += partial
        return this.emit('response.function_call_arguments.delta', { item_id: block.item.id, output_index: block.outputIndex, delta: partial })
      case 'custom':
        block.json += partial
        return ''
      case 'json-tool':
        block.sent = true
        return this.textDelta(partial)
      case 'web-search':
        block.json += partial
        return ''
      default:
        return ''
    }
  }

  private onBlockStop (index: number): string {
    const block = this.blocks.get(index)
    if (!block) return ''
    switch (block.kind) {
      case 'thinking': return this.onThinkingStop(block)
      case 'redacted':
        if (this.open?.kind === 'reasoning') this.open.blocks.push({ type: 'redacted_thinking', data: block.data })
        return ''
      case 'function': return this.onFunctionStop(block)
      case 'custom': return this.onCustomStop(block)
      case 'json-tool': return block.sent ? '' : this.textDelta('{}')
      case 'web-search': return this.onSearchQuery(block)
      case 'text': return this.onTextStop(block)
    }
  }

  private onTextStop (block: Extract<BlockState, { kind: 'text' }>): string {
    const open = this.open
    if (open?.kind !== 'message') return ''
    let text = ''
    for (const source of block.sources) {
      const annotation: UrlCitation = { type: 'url_citation', start_index: block.from, end_index: open.text.length, url: source.url, title: source.title }
      open.annotations.push(annotation)
      text += this.emit('response.output_text.annotation.added', { item_id: open.item.id, output_index: open.outputIndex, content_index: 0, annotation_index: open.annotations.length - 1, annotation })
    }
    return text
  }

  private onThinkingStop (block: Extract<BlockState, { kind: 'thinking' }>): string {
    const open = this.open
    if (open?.kind !== 'reasoning') return ''
    open.blocks.push({ type: 'thinking', thinking: block.text, signature: block.signature })
    if (block.summaryIndex === null) return ''
    const text = open.item.summary[block.summaryIndex].text
    const where = { item_id: open.item.id, output_index: open.outputIndex, summary_index: block.summaryIndex }
    return this.emit('response.reasoning_summary_text.done', { ...where, text }) +
      this.emit('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text } })
  }

  private onFunctionStop (block: Extract<BlockState, { kind: 'function' }>): string {
    const item: FunctionCallItem = { ...block.item, arguments: block.item.arguments || '{}', status: 'completed' }
    return this.emit('response.function_call_arguments.done', { item_id: item.id, output_index: block.outputIndex, name: item.name, arguments: item.arguments }) +
      this.doneItem(block.outputIndex, item)
  }

  private onCustomStop (block: Extract<BlockState, { kind: 'custom' }>): string {
    const item: CustomToolCallItem = { ...block.item, input: customInput(block.json), status: 'completed' }
    const where = { item_id: item.id, output_index: block.outputIndex }
    return (item.input ? this.emit('response.custom_tool_call_input.delta', { ...where, delta: item.input }) : '') +
      this.emit('response.custom_tool_call_input.done', { ...where, input: item.input }) +
      this.doneItem(block.outputIndex, item)
  }

  // --- the end ---------------------------------------------------------------------------------

  private finish (): string {
    const closed = this.closeOpen() + this.closeUnansweredSearches()
    this.state = 'finished'
    const response = this.response
    return closed + this.emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response })
  }

  private outcome (): Pick<ResponseObject, 'status' | 'error' | 'incomplete_details' | 'usage' | 'completed_at'> {
    const usage = responseUsage(this.upstreamUsage)
    if (this.state === 'failed') return { status: 'failed', error: this.failure, incomplete_details: null, usage, completed_at: null }
    if (this.state !== 'finished') return { status: 'in_progress', error: null, incomplete_details: null, usage: null, completed_at: null }
    const reason = incompleteReason(this.stopReason)
    const completedAt = Math.floor(Date.now() / 1000)
    return reason
      ? { status: 'incomplete', error: null, incomplete_details: { reason }, usage, completed_at: completedAt }
      : { status: 'completed', error: null, incomplete_details: null, usage, completed_at: completedAt }
  }
}

function incompleteReason (stopReason: string | null): 'max_output_tokens' | 'content_filter' | null {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
    case 'pause_turn':
      return 'max_output_tokens'
    case 'refusal': return 'content_filter'
    default: return null
  }
}

/** The custom tool's one string input; anything else Claude sent is given as its JSON. */
function customInput (json: string): string {
  try {
    const parsed = JSON.parse(json === '' ? '{}' : json) as { input?: unknown }
    return typeof parsed.input === 'string' ? parsed.input : JSON.stringify(parsed)
  } catch {
    return json
  }
}

/** The query of a web search's input ({"query": …}); what cannot be read is an empty query. */
function searchQuery (json: string): string {
  try {
    const query = (JSON.parse(json) as { query?: unknown }).query
    return typeof query === 'string' ? query : ''
  } catch {
    return ''
  }
}

/** input = prompt tokens including cache reads and writes; the same invariants as chat. */
export function responseUsage (usage: AnthropicUsage): ResponseUsage {
  const mapped = mapUsage(usage)
  return {
    input_tokens: mapped.prompt_tokens,
    input_tokens_details: { cached_tokens: mapped.prompt_tokens_details.cached_tokens },
    output_tokens: mapped.completion_tokens,
    output_tokens_details: { reasoning_tokens: mapped.completion_tokens_details.reasoning_tokens },
    total_tokens: mapped.total_tokens
  }
}

/** A whole (non-streamed) message as the event sequence that would have streamed it. */
export function eventsOfMessage (message: AnthropicResponse): StreamPayload[] {
  const events: StreamPayload[] = [{ type: 'message_start', message: { ...message, content: [] } }]
  message.content.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: emptied(block) })
    for (const delta of deltasOf(block)) events.push({ type: 'content_block_delta', index, delta })
    events.push({ type: 'content_block_stop', index })
  })
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }, usage: message.usage })
  events.push({ type: 'message_stop' })
  return events
}

function emptied (block: ContentBlock): ContentBlock {
  switch (block.type) {
    case 'text': return { type: 'text', text: '' }
    case 'thinking': return { type: 'thinking', thinking: '', signature: '' }
    case 'tool_use': return { ...block, input: {} }
    default: return block
  }
}

function deltasOf (block: ContentBlock): BlockDelta[] {
  switch (block.type) {
    case 'text': return [{ type: 'text_delta', text: block.text }, ...(block.citations ?? []).map((citation): BlockDelta => ({ type: 'citations_delta', citation }))]
    case 'thinking': return [{ type: 'thinking_delta', thinking: block.thinking }, { type: 'signature_delta', signature: block.signature }]
    case 'tool_use': return [{ type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) }]
    default: return []
  }
}
