import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The pinned Claude Code CLI of e2e-clients/ (the same depth from dist/test/helpers as from dist/test/e2e). */
export const CLAUDE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'e2e-clients', 'node_modules', '.bin', 'claude')
/** A generous bound for one run on a busy machine; a run that passes it is killed, not timed. */
export const RUN_LIMIT_MS = 240_000

export interface ClaudeRun { code: number | null; stdout: string; stderr: string }

export interface ClaudeOptions {
  baseUrl: string
  apiKey: string
  /** A fresh HOME, so that no settings or sessions of the machine's user are read. */
  home: string
  args: string[]
  /** Extra environment, over the defaults below. */
  env?: Record<string, string>
}

/** Claude Code with a fresh HOME (also its working directory), pointed at `baseUrl`, with every optional network call turned off. */
export async function runClaude (options: ClaudeOptions): Promise<ClaudeRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: options.home,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: options.apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_BUG_COMMAND: '1',
    CI: '1',
    ...options.env
  }
  const child = spawn(CLAUDE, options.args, { env, cwd: options.home, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(killer)
  return { code, stdout, stderr }
}
