export { InvoiceboxClient } from "./client"
export type {
  InvoiceboxClientLogger,
  InvoiceboxClientOptions,
  RecoveredOrder,
  RecoveredRefund,
  TwinOrders,
} from "./client"
export * from "./types"
export { isLoopbackHost, assertSafeApiUrl } from "./url"
export {
  DEFAULT_RATE_LIMIT_DELAY_MS,
  backoffDelayMs,
  parseRetryAfter,
  retryDelayFor,
} from "./retry"
export type { RetryPolicy } from "./retry"
export { parseErrorBody } from "./http-errors"
export type { ParsedErrorBody, RequestFailureSummary } from "./http-errors"
export { buildUserAgent, packageVersion } from "./user-agent"
export { toInvoiceboxDateTime } from "./datetime"
export {
  RequestBudget,
  MemoryBudgetStore,
  InvoiceboxBudgetExhaustedError,
  runInBackground,
  currentPriority,
  backgroundRunStopped,
  stopBackgroundRun,
  isBudgetExhausted,
} from "./budget"
export type { BudgetPriority, BudgetStore, RequestBudgetOptions } from "./budget"
export { RedisBudgetStore } from "./redis-store"
export type { RedisLike } from "./redis-store"
