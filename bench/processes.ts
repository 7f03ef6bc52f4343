/** Child processes of the benchmark: each system runs in its own process, as in production. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ChildService {
  name: string
  url: string
  pid: number
  /** The last lines the process wrote, for error messages. */
  output: () => string
  stop: () => Promise<void>
}

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** An empty working folder, so a child reads no config.yaml or .env of the developer's. */
export function emptyWorkingDirectory (): string {
  return mkdtempSync(join(tmpdir(), 'claude2api-bench-'))
}

function keepTail (child: ChildProcess): () => string {
  let tail = ''
  const append = (chunk: Buffer): void => { tail = (tail + chunk.toString('utf8')).slice(-4000) }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  return () => tail
}

async function stopChild (child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** Polls a URL until the process answers any HTTP status, or fails when it exits or time runs out. */
async function waitUntilAnswering (child: ChildProcess, url: string, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering: ${output()}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      return
    } catch {
      await sleep(50)
    }
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms: ${output()}`)
}

export interface SpawnOptions {
  name: string
  args: string[]
  env: Record<string, string>
  cwd: string
  port: number
  readyPath: string
}

export async function spawnService (options: SpawnOptions): Promise<ChildService> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const output = keepTail(child)
  const url = `http://127.0.0.1:${options.port}`
  try {
    await waitUntilAnswering(child, url + options.readyPath, output)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  return { name: options.name, url, pid: child.pid!, output, stop: async () => { await stopChild(child) } }
}

/** Starts the Anthropic stand-in in its own process; it prints its port as JSON on its first line. */
export async function spawnUpstream (script: string): Promise<ChildService> {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = keepTail(child)
  const port = await new Promise<number>((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8')
      const newline = text.indexOf('\n')
      if (newline === -1) return
      child.stdout!.off('data', onData)
      resolve((JSON.parse(text.slice(0, newline)) as { port: number }).port)
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}: ${output()}`)))
  })
  return { name: 'stand-in', url: `http://127.0.0.1:${port}`, pid: child.pid!, output, stop: async () => { await stopChild(child) } }
}

/** Resident memory of a process, in bytes (VmRSS from /proc). */
export function residentBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) * 1024
}

/** The median of a few RSS readings a little apart, to smooth out a collection in progress. */
export async function settledResidentBytes (pid: number, readings = 5, apartMs = 200): Promise<number> {
  const values: number[] = []
  for (let index = 0; index < readings; index++) {
    if (index > 0) await sleep(apartMs)
    values.push(residentBytes(pid))
  }
  values.sort((a, b) => a - b)
  return values[Math.floor(values.length / 2)]
}

/** CPU time a process has used so far (user + system), in microseconds, from /proc/PID/stat. */
export function cpuMicroseconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6
}

/** Linux reports process times in USER_HZ, which is 100 on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100
