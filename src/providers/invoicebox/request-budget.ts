import { Redis } from "ioredis"
import { MemoryBudgetStore, RedisBudgetStore, RequestBudget, type BudgetStore } from "../../core"

export interface RequestBudgetSettings {
  /** Requests per window for the account; Invoicebox's default is 100 / 30 s (docs api/limits.md). */
  limit?: number
  windowMs?: number
  /** Share of the limit background jobs may use (default 0.6); the rest is kept for checkout and admin. */
  backgroundShare?: number
}

const redisClients = new Map<string, Redis>()
const memory = new MemoryBudgetStore()

/** One connection per Redis URL and process, shared by every provider registration. */
function redisFor(url: string): Redis {
  let client = redisClients.get(url)
  if (!client) {
    // One try per command and a short connect timeout: a Redis outage must fail fast into the
    // fallback below, not hold a checkout until Redis is back.
    client = new Redis(url, { lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 2000 })
    client.on("error", () => undefined)
    redisClients.set(url, client)
  }
  return client
}

/**
 * Redis when it answers; this process's window when it does not. An outage then lets each instance
 * use the full budget on its own (as without Redis), which is better than refusing every payment.
 */
class FallbackStore implements BudgetStore {
  constructor(
    private readonly primary: BudgetStore,
    private readonly warn: (message: string) => void
  ) {}

  async take(key: string, cap: number, windowMs: number) {
    try {
      return await this.primary.take(key, cap, windowMs)
    } catch (error) {
      this.warn(`Invoicebox request budget: Redis unavailable, counting in this process: ${(error as Error).message}`)
      return memory.take(key, cap, windowMs)
    }
  }
}

export function createRequestBudget(input: {
  merchantId: string
  redisUrl?: string
  settings?: RequestBudgetSettings
  warn?: (message: string) => void
}): RequestBudget {
  const store = input.redisUrl
    ? new FallbackStore(new RedisBudgetStore(redisFor(input.redisUrl)), input.warn ?? (() => undefined))
    : memory
  return new RequestBudget({ key: input.merchantId, store, ...input.settings })
}

/** For tests and shutdown: closes the shared Redis connections. */
export async function closeBudgetConnections(): Promise<void> {
  const clients = [...redisClients.values()]
  redisClients.clear()
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)))
}

/**
 * Company look-ups that reach Invoicebox, per account and across instances: at most 40 of the
 * account's 100 / 30 s (more than one client's own 30 / min, so one busy buyer is not refused). The
 * per-client limit of the route can be dodged (a forged X-Forwarded-For when the store is not behind
 * exactly one proxy, or many addresses); this one cannot. A flood of look-ups therefore leaves
 * checkout at least 60 requests per window — jobs only start below 60 in total — and can at worst
 * deny look-ups, after which the buyer fills the form by hand.
 */
export const LOOKUP_LIMIT = { limit: 40, windowMs: 30_000 }
/** The same share of an account with another quota (`requestBudget.limit`). */
const LOOKUP_SHARE = 0.4

export async function takeLookupSlot(input: {
  merchantId: string
  redisUrl?: string
  settings?: RequestBudgetSettings
  warn?: (message: string) => void
}): Promise<{ ok: true } | { ok: false; waitMs: number }> {
  const store = input.redisUrl
    ? new FallbackStore(new RedisBudgetStore(redisFor(input.redisUrl)), input.warn ?? (() => undefined))
    : memory
  const limit = input.settings?.limit ? Math.max(1, Math.floor(input.settings.limit * LOOKUP_SHARE)) : LOOKUP_LIMIT.limit
  return store.take(`${input.merchantId}:counterparty`, limit, input.settings?.windowMs ?? LOOKUP_LIMIT.windowMs)
}

/** For tests: forget this process's windows (the Redis ones expire on their own). */
export function resetMemoryBudget(): void {
  memory.reset()
}
