// Shared plumbing for the translation tests: the real gateway in front of the strict stub, and
// helpers that run one request both streamed and not, and rebuild a streamed answer.
import { startAnthropicStub, type AnthropicStub, type StubOptions, type StubReply } from './anthropic-stub.js'
import { parseChunks, postChat, readSse, startGateway, type RunningGateway } from './gateway.js'

export interface Harness {
  stub: AnthropicStub
  gateway: RunningGateway
  url: string
  close: () => Promise<void>
}

/** Something with tap's teardown: a test, or the file's root `t`. */
export interface HasTeardown { teardown: (fn: () => unknown) => void }

export async function openHarness (t: HasTeardown, config: Record<string, unknown> = {}, stubOptions: StubOptions = {}): Promise<Harness> {
  const stub = await startAnthropicStub(stubOptions)
  const gateway = await startGateway(stub.url, { config: { RETRY_COUNT: 1, ...config } })
  const close = async (): Promise<void> => {
    await gateway.close()
    await stub.close()
  }
  t.teardown(close)
  return { stub, gateway, url: gateway.url, close }
}

export interface JsonAnswer { status: number; headers: Headers; body: any }

export async function chatJson (url: string, body: Record<string, unknown>): Promise<JsonAnswer> {
  const response = await postChat(url, { ...body, stream: false })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

export interface StreamAnswer { status: number; headers: Headers; payloads: string[]; chunks: Array<Record<string, any>>; body: any }

/** A streamed request; `body` is the parsed error body when the gateway answered with an error status. */
export async function chatStream (url: string, body: Record<string, unknown>): Promise<StreamAnswer> {
  const response = await postChat(url, { ...body, stream: true })
  if (response.status !== 200) return { status: response.status, headers: response.headers, payloads: [], chunks: [], body: await response.json() }
  const payloads = await readSse(response)
  return { status: response.status, headers: response.headers, payloads, chunks: parseChunks(payloads), body: undefined }
}

export interface BothAnswers {
  plain: JsonAnswer
  streamed: StreamAnswer
  /** What the stub received for each, parsed. */
  plainRequest: any
  streamRequest: any
}

/** Sends the same request twice, non-streamed then streamed, each answered with `reply`. */
export async function runBoth (h: Harness, body: Record<string, unknown>, reply?: StubReply): Promise<BothAnswers> {
  const before = h.stub.requests.length
  if (reply) h.stub.enqueue(reply)
  const plain = await chatJson(h.url, body)
  const afterPlain = h.stub.requests.length
  if (reply) h.stub.enqueue(reply)
  const streamed = await chatStream(h.url, body)
  return {
    plain,
    streamed,
    plainRequest: afterPlain > before ? h.stub.requests[afterPlain - 1].body : undefined,
    streamRequest: h.stub.requests.length > afterPlain ? h.stub.requests[h.stub.requests.length - 1].body : undefined
  }
}

export interface AssembledToolCall { id: string | undefined; type: string | undefined; name: string | undefined; arguments: string; deltas: number }

export interface AssembledChoice {
  role: string | undefined
  content: string
  reasoning: string
  toolCalls: AssembledToolCall[]
  finishReasons: string[]
}

export interface AssembledStream { choices: AssembledChoice[]; usage: any; usageChunks: number; errors: any[]; done: boolean }

function emptyChoice (): AssembledChoice {
  return { role: undefined, content: '', reasoning: '', toolCalls: [], finishReasons: [] }
}

/** Rebuilds each choice from its chunks the way a careful client does (tool calls by `index`). */
export function assembleStream (answer: StreamAnswer): AssembledStream {
  const assembled: AssembledStream = { choices: [], usage: undefined, usageChunks: 0, errors: [], done: answer.payloads.at(-1) === '[DONE]' }
  for (const chunk of answer.chunks) {
    if (chunk.error) assembled.errors.push(chunk.error)
    if (chunk.usage) {
      assembled.usage = chunk.usage
      assembled.usageChunks++
    }
    for (const choice of chunk.choices ?? []) addChoiceDelta(assembled.choices, choice)
  }
  return assembled
}

function addChoiceDelta (choices: AssembledChoice[], choice: any): void {
  const target = choices[choice.index] ??= emptyChoice()
  const delta = choice.delta ?? {}
  if (delta.role !== undefined) target.role = delta.role
  if (typeof delta.content === 'string') target.content += delta.content
  if (typeof delta.reasoning_content === 'string') target.reasoning += delta.reasoning_content
  for (const call of delta.tool_calls ?? []) {
    const tool = target.toolCalls[call.index] ??= { id: undefined, type: undefined, name: undefined, arguments: '', deltas: 0 }
    tool.deltas++
    if (call.id !== undefined) tool.id = call.id
    if (call.type !== undefined) tool.type = call.type
    if (call.function?.name !== undefined) tool.name = call.function.name
    if (typeof call.function?.arguments === 'string') tool.arguments += call.function.arguments
  }
  if (choice.finish_reason) target.finishReasons.push(choice.finish_reason)
}

/** The parts of a non-streamed choice a streamed one must agree with. */
export function comparableMessage (choice: any): Record<string, unknown> {
  const message = choice.message
  return {
    content: message.content ?? '',
    reasoning: message.reasoning_content ?? '',
    toolCalls: (message.tool_calls ?? []).map((call: any) => ({ id: call.id, type: call.type, name: call.function.name, arguments: call.function.arguments })),
    finish: choice.finish_reason
  }
}

export function comparableAssembled (choice: AssembledChoice): Record<string, unknown> {
  return {
    content: choice.content,
    reasoning: choice.reasoning,
    toolCalls: choice.toolCalls.map((call) => ({ id: call.id, type: call.type, name: call.name, arguments: call.arguments })),
    finish: choice.finishReasons.length === 1 ? choice.finishReasons[0] : choice.finishReasons
  }
}

/** A chat request body with the usual defaults. */
export function chat (messages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-haiku-4-5-20251001', messages, ...extra }
}

export const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content })
export const assistant = (content: unknown, toolCalls?: unknown[]): Record<string, unknown> => toolCalls ? { role: 'assistant', content, tool_calls: toolCalls } : { role: 'assistant', content }
export const toolMessage = (id: string, content: unknown): Record<string, unknown> => ({ role: 'tool', tool_call_id: id, content })
export const toolCall = (id: string, name: string, args: unknown): Record<string, unknown> => ({ id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } })
export const functionTool = (name: string, parameters: Record<string, unknown> = { type: 'object', properties: {} }): Record<string, unknown> => ({ type: 'function', function: { name, description: `The ${name} tool`, parameters } })
