import { logRedactor } from './core/redact.js'

interface LoggerOptions {
  level: string
  redact: { paths: string[]; censor: string }
  hooks: { streamWrite: (line: string) => string }
}

/** Logger settings shared by the server and the tests: secrets are never written. */
export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]'
    },
    // Every finished line, whatever put a secret into it (an upstream message, an error's text).
    hooks: { streamWrite: (line) => logRedactor.redact(line) }
  }
}
