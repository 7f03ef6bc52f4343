import type { Redis } from 'ioredis'
import type { AdmissionEntry, AdmissionResult, LimitCounters } from './counters.js'

// Checks every counter first and increments only when all pass, so a refused request counts
// nowhere; one script makes the check and the increments one step for every replica.
const ADMIT = `
local values = {}
local refused = -1
for i = 1, #KEYS do
  local value = tonumber(redis.call('GET', KEYS[i]) or '0')
  values[i] = value
  local kind = ARGV[i * 3 - 2]
  local limit = tonumber(ARGV[i * 3 - 1])
  local over = (kind == 'level' and value >= limit) or (kind ~= 'level' and value + 1 > limit)
  if over and refused < 0 then refused = i - 1 end
end
if refused < 0 then
  for i = 1, #KEYS do
    if ARGV[i * 3 - 2] ~= 'level' then
      values[i] = redis.call('INCR', KEYS[i])
      redis.call('EXPIRE', KEYS[i], tonumber(ARGV[i * 3]))
    end
  end
end
local answer = { refused }
for i = 1, #KEYS do answer[i + 1] = values[i] end
return answer
`

// A slot whose counter expired during a long request has nothing to give back: DECR would
// recreate it without a time to live.
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('DECR', KEYS[i]) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
end
return 0
`

const ADD = `
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[i * 2 - 1])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[i * 2]) end
end
return 0
`

interface CounterCommands {
  c2aAdmit (count: number, ...args: Array<string | number>): Promise<number[]>
  c2aRelease (count: number, ...args: string[]): Promise<number>
  c2aAdd (count: number, ...args: Array<string | number>): Promise<number>
}

/** The counters in Redis (under REDIS_PREFIX, on the state store's connection): every replica sees one value. */
export class RedisCounters implements LimitCounters {
  readonly kind = 'redis' as const
  private readonly commands: CounterCommands

  constructor (private readonly redis: Redis) {
    redis.defineCommand('c2aAdmit', { lua: ADMIT })
    redis.defineCommand('c2aRelease', { lua: RELEASE })
    redis.defineCommand('c2aAdd', { lua: ADD })
    this.commands = redis as unknown as CounterCommands
  }

  async admit (entries: AdmissionEntry[]): Promise<AdmissionResult> {
    if (entries.length === 0) return { refused: -1, values: [] }
    const args = entries.flatMap((entry) => [entry.kind, entry.limit, Math.max(1, Math.ceil(entry.ttlSeconds))])
    const [refused, ...values] = await this.commands.c2aAdmit(entries.length, ...entries.map((entry) => entry.key), ...args)
    return { refused: Number(refused), values: values.map(Number) }
  }

  async release (keys: string[]): Promise<void> {
    if (keys.length > 0) await this.commands.c2aRelease(keys.length, ...keys)
  }

  async add (items: Array<{ key: string; amount: number; ttlSeconds: number }>): Promise<void> {
    const kept = items.filter((item) => item.amount > 0)
    if (kept.length === 0) return
    await this.commands.c2aAdd(kept.length, ...kept.map((item) => item.key), ...kept.flatMap((item) => [Math.round(item.amount), Math.max(1, Math.ceil(item.ttlSeconds))]))
  }

  async read (keys: string[]): Promise<number[]> {
    if (keys.length === 0) return []
    return (await this.redis.mget(...keys)).map((value) => Number(value ?? 0))
  }

  async seed (key: string, value: number, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, Math.round(value), 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')
  }

  /** The connection belongs to the state store, which closes it. */
  async close (): Promise<void> {}
}
