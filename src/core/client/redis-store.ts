import type { BudgetStore } from "./budget"
import { slotId } from "./budget"

/** The part of an ioredis client this store needs (keeps the core free of a hard ioredis import). */
export interface RedisLike {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>
}

/**
 * The sliding window of budget.ts in one Redis sorted set per account, so every instance of the
 * store counts against the same 100 / 30 s. One Lua script makes "count, then add" atomic, and the
 * clock is Redis' own TIME: instances with skewed clocks still agree on what is in the window.
 */
const TAKE = `
local key = KEYS[1]
local cap = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if n < cap then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local edge = redis.call('ZRANGE', key, n - cap, n - cap, 'WITHSCORES')
return {0, tonumber(edge[2]) + window - now + 1}
`

export class RedisBudgetStore implements BudgetStore {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix = "invoicebox:budget:v1:"
  ) {}

  async take(key: string, cap: number, windowMs: number): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const [ok, waitMs] = (await this.redis.eval(TAKE, 1, this.prefix + key, cap, Math.ceil(windowMs), slotId())) as [number, number]
    return ok === 1 ? { ok: true } : { ok: false, waitMs: Number(waitMs) }
  }
}
