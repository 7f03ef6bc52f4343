import net from 'node:net'
import { once } from 'node:events'
import { test } from 'tap'
import { startAnthropicStub } from '../helpers/anthropic-stub.js'
import { postChat, startGateway } from '../helpers/gateway.js'

interface ProxyServer { url: string; tunnels: string[]; close: () => Promise<void> }

/** An HTTP proxy that only tunnels (CONNECT), recording each target. */
async function startConnectProxy (): Promise<ProxyServer> {
  const tunnels: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.once('data', (head) => {
      const match = /^CONNECT ([^ ]+) HTTP\/1\.[01]/.exec(head.toString('latin1'))
      if (!match) return client.destroy()
      tunnels.push(match[1])
      const [host, port] = match[1].split(':')
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
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
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A SOCKS5 proxy without authentication, recording each target. */
async function startSocksProxy (): Promise<ProxyServer> {
  const tunnels: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.once('data', () => {
      client.write(Buffer.from([5, 0]))
      client.once('data', (request) => {
        const addressType = request[3]
        let host: string
        let offset: number
        if (addressType === 1) {
          host = [...request.subarray(4, 8)].join('.')
          offset = 8
        } else if (addressType === 3) {
          const length = request[4]
          host = request.subarray(5, 5 + length).toString('latin1')
          offset = 5 + length
        } else {
          return client.destroy()
        }
        const port = request.readUInt16BE(offset)
        tunnels.push(`${host}:${port}`)
        const upstream = net.connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
          client.pipe(upstream).pipe(client)
        })
        sockets.add(upstream)
        upstream.on('error', () => client.destroy())
        client.on('error', () => upstream.destroy())
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    url: `socks5://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

for (const [kind, start] of [['http', startConnectProxy], ['socks5', startSocksProxy]] as const) {
  test(`upstream calls go through a ${kind} PROXY`, async (t) => {
    const stub = await startAnthropicStub()
    const proxy = await start()
    const gateway = await startGateway(stub.url, { config: { PROXY: proxy.url } })
    t.teardown(async () => {
      await gateway.close()
      await proxy.close()
      await stub.close()
    })
    const response = await postChat(gateway.url, { model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'hi' }] })
    t.equal(response.status, 200)
    const body = await response.json() as { choices: Array<{ message: { content: string } }> }
    t.equal(body.choices[0].message.content, 'Hello from the stub.')
    t.equal(stub.requests.length, 1, 'the stub answered the request')
    t.same(proxy.tunnels, [new URL(stub.url).host], 'the request went through the proxy to the stub')
  })
}
