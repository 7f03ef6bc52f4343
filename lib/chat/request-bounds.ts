import type { ChatCompletionRequest } from '../../schemas/chat-completion.js'
import { checkCount, checkMetadata, LIMITS, partsIn } from '../core/request-limits.js'

/** Counts and sizes of a chat request, checked before its history is looked up or translated. */
export function checkChatBounds (request: ChatCompletionRequest): void {
  checkCount(request.messages.length, LIMITS.items, 'messages', 'messages')
  let parts = 0
  for (const message of request.messages) parts += partsIn(message.content)
  checkCount(parts, LIMITS.contentParts, 'content parts', 'messages')
  checkCount(request.tools?.length ?? 0, LIMITS.tools, 'tools', 'tools')
  checkMetadata(request.metadata)
}
