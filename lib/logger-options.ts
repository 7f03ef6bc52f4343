/** Logger settings shared by the server and the tests: secrets are never written. */
export function loggerOptions (level: string): { level: string; redact: { paths: string[]; censor: string } } {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]'
    }
  }
}
