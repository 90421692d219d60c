import { AsyncLocalStorage } from "node:async_hooks"
import { randomUUID } from "node:crypto"
import { InvoiceboxError } from "../errors"

/**
 * One request budget per Invoicebox account (merchant), shared by checkout, admin and jobs.
 *
 * Invoicebox allows 100 requests / 30 s per account and answers 429 above it
 * (InvoiceBox/docs docs/api/limits.md:13-16). Retrying 429s is not enough: a reconciliation run that
 * burns the quota makes the next checkout wait or fail. So every attempt first takes a slot here.
 *
 * The window is a sliding log, not a token bucket: Invoicebox does not say how it counts, and a
 * bucket refilled at 100 / 30 s lets 150 requests into one 30 s span (full bucket + refill), which a
 * sliding counter — the sandbox's, the strictest reading — refuses. A small guard is added to the
 * window because a slot is stamped when taken, while Invoicebox counts the request when it arrives.
 *
 * Hand-written rather than Bottleneck or rate-limiter-flexible: Bottleneck's Redis "reservoir" is
 * refilled on a fixed interval (200 requests across one refill edge), and neither has the one thing
 * needed here — background calls capped below the account limit so the rest is kept for checkout —
 * without the same amount of glue. The Redis store is one Lua script over ioredis (redis-store.ts).
 */

export type BudgetPriority = "interactive" | "background"

/** Where the sliding window lives: this process, or Redis for several instances. */
export interface BudgetStore {
  /**
   * Counts one request under `key` if fewer than `cap` were counted in the last `windowMs`;
   * otherwise returns how long until one more fits under `cap`.
   */
  take(key: string, cap: number, windowMs: number): Promise<{ ok: true } | { ok: false; waitMs: number }>
}

export interface RequestBudgetOptions {
  store?: BudgetStore
  /** Usually the merchant id: every client of one account shares it. */
  key: string
  /** Requests per window for the account (Invoicebox default 100). */
  limit?: number
  windowMs?: number
  /** Added to the window (latency between taking a slot and Invoicebox counting it). Default 1000. */
  guardMs?: number
  /** Share of `limit` background work may use; the rest is kept for checkout and admin. Default 0.6. */
  backgroundShare?: number
  /** How long an interactive call may wait for a slot before failing as rate-limited. Default 15 000. */
  interactiveMaxWaitMs?: number
  /**
   * How long a background call waits before its run gives up. Default one window (+ guard): by then
   * every slot it saw taken has come free, so still none for it means checkout is using them.
   */
  backgroundMaxWaitMs?: number
  sleep?: (ms: number) => Promise<void>
}

/**
 * No slot in time. Background work gets it when the budget is tight (the run stops, the next one goes
 * on); checkout only after `interactiveMaxWaitMs`. Not an InvoiceboxRateLimitError on purpose: the
 * client's retry loop must not wait for the budget a second time — nothing was sent.
 */
export class InvoiceboxBudgetExhaustedError extends InvoiceboxError {
  readonly retryAfterMs: number
  readonly background: boolean
  constructor(message: string, init: { code: string; retryAfterMs: number; background: boolean }) {
    super(message, { code: init.code, httpStatus: 429 })
    this.retryAfterMs = init.retryAfterMs
    this.background = init.background
  }
}

interface BackgroundScope {
  label: string
  /** Once one call of the run gave up, the rest fail at once instead of each waiting again. */
  exhausted: boolean
  /** The run's lock expires at this time (ms epoch): no call is started after it. */
  deadline?: number
}

const scopes = new AsyncLocalStorage<BackgroundScope>()

/**
 * Runs `fn` as background work: its Invoicebox calls yield to checkout and give up when the budget
 * is tight or when `deadline` (the run's lock expiry) has passed, so a run never outlives its lock.
 */
export function runInBackground<T>(label: string, fn: () => Promise<T>, options: { deadline?: number } = {}): Promise<T> {
  return scopes.run({ label, exhausted: false, deadline: options.deadline }, fn)
}

/**
 * Stops the current background run: its further Invoicebox calls fail at once. Called when the
 * run's lock could not be renewed — another instance may own the phase now. Timers started inside
 * the run see its scope too (AsyncLocalStorage follows them), so a renewal timer can call it.
 */
export function stopBackgroundRun(): void {
  const scope = scopes.getStore()
  if (scope) scope.exhausted = true
}

export function currentPriority(): BudgetPriority {
  return scopes.getStore() ? "background" : "interactive"
}

/** True when the current background run was stopped by the budget or its deadline. */
export function backgroundRunStopped(): boolean {
  const scope = scopes.getStore()
  return !!scope && (scope.exhausted || (scope.deadline !== undefined && Date.now() >= scope.deadline))
}

export function isBudgetExhausted(error: unknown): error is InvoiceboxBudgetExhaustedError {
  return error instanceof InvoiceboxBudgetExhaustedError
}

export class RequestBudget {
  readonly key: string
  readonly limit: number
  readonly windowMs: number
  private readonly store: BudgetStore
  private readonly guardMs: number
  private readonly backgroundCap: number
  private readonly interactiveMaxWaitMs: number
  private readonly backgroundMaxWaitMs: number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(options: RequestBudgetOptions) {
    this.key = options.key
    this.limit = Math.max(1, Math.floor(options.limit ?? 100))
    this.windowMs = options.windowMs ?? 30_000
    this.store = options.store ?? sharedMemoryStore
    this.guardMs = options.guardMs ?? 1000
    const share = Math.min(1, Math.max(0, options.backgroundShare ?? 0.6))
    this.backgroundCap = Math.max(1, Math.floor(this.limit * share))
    this.interactiveMaxWaitMs = options.interactiveMaxWaitMs ?? 15_000
    this.backgroundMaxWaitMs = options.backgroundMaxWaitMs ?? this.windowMs + this.guardMs
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** The most requests of this priority that may be in one window. */
  capFor(priority: BudgetPriority): number {
    return priority === "background" ? this.backgroundCap : this.limit
  }

  /** Waits for a slot for one request (one attempt; a retry takes another). */
  async acquire(operation = "request"): Promise<void> {
    const scope = scopes.getStore()
    const priority: BudgetPriority = scope ? "background" : "interactive"
    const maxWait = scope ? this.backgroundMaxWaitMs : this.interactiveMaxWaitMs
    const started = Date.now()
    for (;;) {
      if (scope) this.checkScope(scope, operation)
      const taken = await this.store.take(this.key, this.capFor(priority), this.windowMs + this.guardMs)
      if (taken.ok) return
      const waited = Date.now() - started
      const wait = Math.max(10, taken.waitMs)
      const past = waited + wait > maxWait || (scope?.deadline !== undefined && Date.now() + wait >= scope.deadline)
      if (past) {
        if (scope) scope.exhausted = true
        throw this.exhausted(operation, priority, wait)
      }
      await this.sleep(wait)
    }
  }

  private checkScope(scope: BackgroundScope, operation: string): void {
    if (scope.exhausted) throw this.exhausted(operation, "background", 0)
    if (scope.deadline !== undefined && Date.now() >= scope.deadline) {
      scope.exhausted = true
      throw new InvoiceboxBudgetExhaustedError(
        `Invoicebox ${operation}: ${scope.label} stopped, its run reached the end of its lock`,
        { code: "run_deadline", retryAfterMs: 0, background: true }
      )
    }
  }

  private exhausted(operation: string, priority: BudgetPriority, waitMs: number): InvoiceboxBudgetExhaustedError {
    const message =
      `Invoicebox ${operation}: the account's request budget (${this.limit} / ${Math.round(this.windowMs / 1000)} s) is used up` +
      (priority === "background" ? "; background work yields to checkout until the next run" : "")
    return new InvoiceboxBudgetExhaustedError(message, {
      code: "request_budget_exhausted",
      retryAfterMs: waitMs,
      background: priority === "background",
    })
  }
}

/** The sliding window in this process: correct for one instance, per instance for several. */
export class MemoryBudgetStore implements BudgetStore {
  private readonly logs = new Map<string, number[]>()

  constructor(private readonly now: () => number = Date.now) {}

  reset(): void {
    this.logs.clear()
  }

  async take(key: string, cap: number, windowMs: number): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const now = this.now()
    const log = (this.logs.get(key) ?? []).filter((at) => at > now - windowMs)
    this.logs.set(key, log)
    if (log.length < cap) {
      log.push(now)
      return { ok: true }
    }
    // The entry whose expiry brings the count under `cap`.
    return { ok: false, waitMs: log[log.length - cap] + windowMs - now + 1 }
  }
}

/** Every client of one account in this process shares one window, whichever provider made it. */
const sharedMemoryStore = new MemoryBudgetStore()

/** A unique member for a sorted-set entry (two requests in one millisecond must both count). */
export function slotId(): string {
  return randomUUID()
}
