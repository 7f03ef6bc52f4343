import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './ports.js'

/** A real redis-server on a loopback port, without persistence, that a test can kill and restart. */
export interface RedisServer {
  url: string
  port: number
  /** Kills the process (SIGKILL: no goodbye to its clients) and waits for it to exit. */
  kill: () => Promise<void>
  /** Starts it again on the same port, empty. */
  restart: () => Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered. */
  pause: () => void
  resume: () => void
  stop: () => Promise<void>
}

async function launch (port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      if (output.includes('Ready to accept connections')) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}): ${output.slice(-400)}`)))
    child.once('error', reject)
  })
  child.stdout?.resume()
  child.stderr?.resume()
  return child
}

async function end (child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || (child.signalCode !== null && child.signalCode !== 'SIGSTOP' && child.signalCode !== 'SIGCONT')) return
  const exited = once(child, 'exit')
  child.kill('SIGCONT')
  child.kill(signal)
  await exited
}

export async function startRedis (): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined = await launch(port)
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: async () => {
      await end(child, 'SIGKILL')
      child = undefined
    },
    restart: async () => {
      await end(child, 'SIGKILL')
      child = await launch(port)
    },
    pause: () => { child?.kill('SIGSTOP') },
    resume: () => { child?.kill('SIGCONT') },
    stop: async () => {
      await end(child, 'SIGTERM')
      child = undefined
    }
  }
}

/** Waits until `check` holds, polling; fails after `limitMs` (a generous bound, not a measurement). */
export async function eventually (check: () => boolean | Promise<boolean>, what: string, limitMs = 15000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
