import type { Server } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionDrain {
  /** Shutdown began: connections with nothing left to answer are ended, now and as they become so. */
  start: () => void
}

/** Ends the server's side once what was written is flushed; destroys it in case the client keeps its side open. */
function endConnection (socket: Socket): void {
  if (socket.destroyed || socket.writableEnded) return
  socket.end(() => { socket.destroy() })
}

/**
 * On shutdown, Node's server.close() closes only the keep-alive connections that are idle at
 * that moment, then waits for all the others. Two kinds carry no request and would hold it up
 * until the client leaves or keepAliveTimeout (72 s) passes: a connection that has not sent its
 * first request yet (Node counts it as busy; fetch leaves one behind after an abort), and a
 * keep-alive connection whose answer ends after shutdown began. This ends both, and any
 * connection accepted while shutting down; a request being answered is left to finish.
 */
export function connectionDrain (server: Server): ConnectionDrain {
  /** Open connections and the number of requests each is being answered. */
  const answering = new Map<Socket, number>()
  let draining = false

  server.on('connection', (socket: Socket) => {
    if (draining) {
      endConnection(socket)
      return
    }
    answering.set(socket, 0)
    socket.once('close', () => answering.delete(socket))
  })

  server.on('request', (request, response) => {
    const socket = request.socket
    if (!answering.has(socket)) return
    answering.set(socket, answering.get(socket)! + 1)
    // 'finish', not 'close': a response that never finishes takes its socket with it.
    response.once('finish', () => {
      if (!answering.has(socket)) return
      const left = answering.get(socket)! - 1
      answering.set(socket, left)
      if (draining && left === 0) endConnection(socket)
    })
  })

  return {
    start () {
      draining = true
      // Bytes read and no request being answered: idle after earlier ones (server.close() ends
      // those), a request still arriving, or an upgraded WebSocket (closed by its own plugin).
      for (const [socket, requests] of answering) if (requests === 0 && socket.bytesRead === 0) endConnection(socket)
    }
  }
}
