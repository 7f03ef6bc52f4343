import type { FastifyReply, FastifyRequest } from 'fastify'

/** Aborts the upstream work as soon as the client goes away before its answer is complete. */
export function abortOnDisconnect (request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  // The client may have left while its body was being read: then 'close' has already fired.
  if (request.raw.socket.destroyed) controller.abort()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort()
  })
  return controller.signal
}
