import { accessSync, constants } from 'node:fs'

/** Where Debian and Ubuntu put Chromium (and Chrome), looked at in this order after CHROMIUM_PATH. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The browser the status-page test drives; without one, an error at once saying how to get one
 * (playwright-core would otherwise only fail when it tries to launch it).
 */
export function findChromium (env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = CHROMIUM_CANDIDATES): string {
  const paths = env.CHROMIUM_PATH ? [env.CHROMIUM_PATH, ...candidates] : candidates
  const found = paths.find(isExecutable)
  if (found !== undefined) return found
  throw new Error(`No Chromium found (looked at ${paths.join(', ')}): install it with \`sudo apt-get install chromium\` (npm test does this itself when it may use apt-get), or set CHROMIUM_PATH to a Chromium or Chrome binary`)
}
