import {
  InvoiceboxNetworkError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxRateLimitError,
  InvoiceboxServerError,
} from "../errors"

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE"

/** Wait used for a 429 without a usable Retry-After header. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 1000

export interface RetryPolicy {
  /** Resends after the first attempt (0 = never resend). */
  maxRetries: number
  /** First backoff step; doubles with every retry. */
  baseDelayMs: number
  /** Upper bound of any single wait, including a server-requested Retry-After. */
  maxDelayMs: number
}

/**
 * Retry-After as milliseconds: either delta-seconds ("3", "1.5") or an HTTP date, relative to
 * `nowMs`. Returns undefined for a missing or unparseable value so the caller can apply its default.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  nowMs: number = Date.now()
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (typeof raw !== "string") {
    return undefined
  }
  const text = raw.trim()
  if (text === "") {
    return undefined
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Math.ceil(Number(text) * 1000)
  }
  // Date.parse also accepts bare numbers like "-1" or "2024"; an HTTP date always has letters.
  if (!/[a-z]/i.test(text)) {
    return undefined
  }
  const at = Date.parse(text)
  if (Number.isNaN(at)) {
    return undefined
  }
  return Math.max(0, at - nowMs)
}

/**
 * Exponential backoff with "equal jitter": the step doubles per retry, is capped, and a random
 * share of up to half of it is dropped so that many clients failing together do not retry in step.
 */
export function backoffDelayMs(
  retryIndex: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryIndex))
  return Math.round(step / 2 + (step / 2) * random())
}

/**
 * How long to wait before resending, or undefined to give up and throw `error`.
 *
 * - GET is safe to repeat, so it is retried on anything transient: a request that never left
 *   (network), one whose fate is unknown (timeout, reset), 429 and 5xx.
 * - POST / PUT / DELETE are never resent on an unknown outcome or a 5xx: Invoicebox has no
 *   idempotency key, so a resend could create a second invoice or refund. `createOrRecover*`
 *   resolves those cases by looking the object up instead.
 * - The one exception is 429 for any method: the rate limiter answers before the request is
 *   processed, so nothing happened yet and resending after Retry-After cannot duplicate anything.
 * - A Retry-After longer than `maxDelayMs` is not shortened: retrying early would only burn another
 *   request of the quota, so the error is surfaced with its `retryAfterMs` instead.
 */
export function retryDelayFor(
  method: HttpMethod,
  error: unknown,
  retriesSoFar: number,
  policy: RetryPolicy,
  random: () => number = Math.random
): number | undefined {
  if (retriesSoFar >= policy.maxRetries) {
    return undefined
  }
  if (error instanceof InvoiceboxRateLimitError) {
    return error.retryAfterMs <= policy.maxDelayMs ? error.retryAfterMs : undefined
  }
  if (method !== "GET") {
    return undefined
  }
  if (
    error instanceof InvoiceboxNetworkError ||
    error instanceof InvoiceboxOutcomeUnknownError ||
    error instanceof InvoiceboxServerError
  ) {
    return backoffDelayMs(retriesSoFar, policy, random)
  }
  return undefined
}
