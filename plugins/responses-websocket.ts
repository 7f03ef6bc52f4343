import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { WebSocket } from 'ws'
import { GatewayError } from '../lib/errors.js'
import { ResponsesSocketSession, type TurnRunner } from '../lib/responses/websocket-session.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Responses WebSocket mode (present only when RESPONSES_WEBSOCKET is on). */
    responsesSockets: ResponsesSockets
  }
}

export interface ResponsesSockets {
  /** Throws a 429 when the caller already holds its share of open sockets. */
  admit: (identity: string) => void
  /** Runs one upgraded connection until it closes. */
  serve: (socket: WebSocket, request: FastifyRequest, identity: string, runner: TurnRunner) => void
}

/** RFC 6455's close code for a server going away (shutdown) or ending an idle connection. */
const GOING_AWAY = 1001

/**
 * Fastify's WebSocket plugin under one upgrade listener for the whole server, and the bounds of
 * Responses WebSocket mode: frame size (BODY_LIMIT), idle time, open sockets per client key,
 * ping/pong to find dead peers, and a clean close of every socket on shutdown.
 */
async function responsesWebsocketPlugin (fastify: FastifyInstance): Promise<void> {
  const { bodyLimit, mirror } = fastify.config
  const { idleMs, perClient } = fastify.config.responses.websocket
  const open = new Map<string, number>()
  const sockets = new Set<WebSocket>()

  await fastify.register(websocket, {
    options: { maxPayload: bodyLimit },
    preClose: (done) => {
      for (const socket of sockets) socket.close(GOING_AWAY, 'server shutting down')
      fastify.websocketServer.close(() => done())
    }
  })

  const admit = (identity: string): void => {
    if ((open.get(identity) ?? 0) < perClient) return
    throw new GatewayError(429, 'rate_limit_error', `This API key already has ${perClient} Responses WebSockets open; close one or use POST /v1/responses`, { code: 'too_many_websockets', headers: { 'retry-after': '1' } })
  }

  const serve = (socket: WebSocket, request: FastifyRequest, identity: string, runner: TurnRunner): void => {
    open.set(identity, (open.get(identity) ?? 0) + 1)
    sockets.add(socket)
    const frameLimit = request.url.startsWith(`${mirror.prefix ?? '\0'}/`) ? mirror.bodyLimit : bodyLimit
    const session = new ResponsesSocketSession(runner, (text) => { socket.send(text) }, frameLimit)
    let idle: NodeJS.Timeout | undefined
    const restIdle = (): void => {
      clearTimeout(idle)
      if (session.state === 'closed') return
      idle = setTimeout(() => { if (!session.busy) socket.close(GOING_AWAY, 'idle timeout') }, idleMs)
    }
    // A peer that answers no ping within one interval is gone; its turn is aborted on close.
    let alive = true
    const pinger = setInterval(() => {
      if (!alive) { socket.terminate(); return }
      alive = false
      socket.ping()
    }, Math.min(idleMs, 30_000))
    socket.on('pong', () => { alive = true })
    socket.on('message', (data, isBinary) => {
      restIdle()
      if (isBinary) { socket.close(1003, 'text frames only'); return }
      void session.receive(data.toString()).finally(restIdle)
    })
    socket.once('close', () => {
      clearTimeout(idle)
      clearInterval(pinger)
      session.close()
      sockets.delete(socket)
      const left = (open.get(identity) ?? 1) - 1
      if (left > 0) open.set(identity, left)
      else open.delete(identity)
    })
    restIdle()
  }

  fastify.decorate('responsesSockets', { admit, serve })
}

export default fp(responsesWebsocketPlugin, { name: 'responses-websocket', fastify: '5.x', dependencies: ['config'] })
