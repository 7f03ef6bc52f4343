/** 1 US cent in nano-dollars, the ledger's unit. */
export const NANO_USD_PER_CENT = 10_000_000

/** Nano-dollars as cents in a decimal string, exact (e.g. 123_456_789 → "12.3456789"; 0 → "0"). */
export function centsString (nanoUsd: number): string {
  const nano = BigInt(Math.round(nanoUsd))
  const sign = nano < 0n ? '-' : ''
  const abs = nano < 0n ? -nano : nano
  const whole = abs / 10_000_000n
  const fraction = (abs % 10_000_000n).toString().padStart(7, '0').replace(/0+$/, '')
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`
}
