import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SERVER_SCRIPT = fileURLToPath(new URL('../../server.js', import.meta.url))

export interface ServerRun {
  /** Exit code; null when it was still running (and listening) and had to be stopped. */
  code: number | null
  listened: boolean
  /** stdout and stderr together. */
  output: string
}

/**
 * Runs `node dist/server.js` in an empty directory holding `files`, with only `env` (and PATH).
 * It runs until it exits, or until it listens (then it is stopped with SIGTERM), or for 60 s (a busy machine can take long to start it).
 */
export async function runServerProcess (env: Record<string, string>, files: Record<string, string> = {}): Promise<ServerRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'claude2api-server-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
  const child = spawn(process.execPath, [SERVER_SCRIPT], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let listened = false
  const onOutput = (chunk: Buffer): void => {
    output += chunk.toString()
    if (!listened && output.includes('Server listening')) {
      listened = true
      child.kill('SIGTERM')
    }
  }
  child.stdout.on('data', onOutput)
  child.stderr.on('data', onOutput)
  const killer = setTimeout(() => child.kill('SIGKILL'), 60000)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(killer)
  rmSync(cwd, { recursive: true, force: true })
  return { code: listened ? null : code, listened, output }
}
