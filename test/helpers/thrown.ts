/** The whole message a call throws (t.throws would accept any message containing the expected one), or 'nothing thrown'. */
export function thrown (run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return (error as Error).message
  }
  return 'nothing thrown'
}
