import net from 'node:net'
import { once } from 'node:events'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { postChat, startGateway } from '../helpers/gateway.js'

interface ProxyServer { url: string; tunnels: string[]; close: () => Promise<void> }

/** Opens the tunnel to `host:port` once the handshake named it, and says so with `reply`. */
type Handshake = (client: net.Socket, tunnel: (host: string, port: number, reply: Buffer | string) => void) => void

async function startProxy (scheme: string, handshake: Handshake): Promise<ProxyServer> {
  const tunnels: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    handshake(client, (host, port, reply) => {
      tunnels.push(`${host}:${port}`)
      const upstream = net.connect(port, host, () => {
        client.write(reply)
        client.pipe(upstream).pipe(client)
      })
      sockets.add(upstream)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** An HTTP proxy that only tunnels (CONNECT). */
const connectHandshake: Handshake = (client, tunnel) => {
  client.once('data', (head) => {
    const match = /^CONNECT ([^ :]+):(\d+) HTTP\/1\.[01]/.exec(head.toString('latin1'))
    if (!match) return client.destroy()
    tunnel(match[1], Number(match[2]), 'HTTP/1.1 200 Connection Established\r\n\r\n')
  })
}

/** SOCKS5 without authentication, IPv4 or domain-name targets. */
const socksHandshake: Handshake = (client, tunnel) => {
  client.once('data', () => {
    client.write(Buffer.from([5, 0]))
    client.once('data', (request) => {
      const addressType = request[3]
      if (addressType !== 1 && addressType !== 3) return client.destroy()
      const hostEnd = addressType === 1 ? 8 : 5 + request[4]
      const host = addressType === 1 ? [...request.subarray(4, 8)].join('.') : request.subarray(5, hostEnd).toString('latin1')
      tunnel(host, request.readUInt16BE(hostEnd), Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
    })
  })
}

for (const [kind, handshake] of [['http', connectHandshake], ['socks5', socksHandshake]] as const) {
  test(`upstream calls go through a ${kind} PROXY`, async (t) => {
    const stub = await startAnthropicStub()
    const proxy = await startProxy(kind, handshake)
    const gateway = await startGateway(stub.url, { config: { PROXY: proxy.url } })
    t.teardown(async () => {
      await gateway.close()
      await proxy.close()
      await stub.close()
    })
    const response = await postChat(gateway.url, { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'hi' }] })
    t.equal(response.status, 200)
    const body = await response.json() as { choices: Array<{ message: { content: string } }> }
    t.equal(body.choices[0].message.content, 'Hello from the stub.')
    t.equal(stub.requests.length, 1, 'the stub answered the request')
    t.same(proxy.tunnels, [new URL(stub.url).host], 'the request went through the proxy to the stub')
  })
}
