import { ApiError, isObject } from "./validation"

export type FaultMode = "500" | "429" | "hang" | "reset" | "commit-then-drop" | "late-commit"
export const FAULT_MODES: FaultMode[] = ["500", "429", "hang", "reset", "commit-then-drop", "late-commit"]

/** late-commit: how long after the 504 the request is applied, unless the fault says. */
export const DEFAULT_COMMIT_AFTER_MS = 3000

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string
  /** A prefix of the API path without /v3 or /l3, or a RegExp source when it starts with "^". */
  path: string
  mode: FaultMode
  /** How many matching calls fail; default 1. */
  count?: number
  /** For mode 429: the Retry-After header in seconds (default 1). */
  retryAfterSeconds?: number
  /**
   * For mode late-commit: the call is answered 504 at once and applied this many ms later, as a
   * gateway that timed out while the backend still worked (default 3000).
   */
  commitAfterMs?: number
}

export interface ActiveFault {
  method?: string
  path: string
  mode: FaultMode
  remaining: number
  retryAfterSeconds: number
  commitAfterMs: number
}

const API_PREFIX = /^\/(v3|l3)(?=\/)/

export function parseFaultSpec(input: unknown): FaultSpec {
  const invalid = (name: string, message: string) => new ApiError(422, "validation_error", "Validation Error", [{ name, code: "wrong_value", message }])
  if (!isObject(input)) throw invalid("", "The fault must be a JSON object")
  const { method, path, mode, count, retryAfterSeconds, commitAfterMs } = input
  if (typeof path !== "string" || path === "") throw invalid("path", "path is required")
  if (path.startsWith("^")) {
    try {
      new RegExp(path)
    } catch {
      throw invalid("path", "path is not a valid regular expression")
    }
  }
  if (typeof mode !== "string" || !FAULT_MODES.includes(mode as FaultMode)) {
    throw invalid("mode", `mode must be one of ${FAULT_MODES.join(", ")}`)
  }
  if (method !== undefined && typeof method !== "string") throw invalid("method", "method must be a string")
  if (count !== undefined && (typeof count !== "number" || !Number.isInteger(count) || count < 1)) {
    throw invalid("count", "count must be a positive integer")
  }
  if (retryAfterSeconds !== undefined && (typeof retryAfterSeconds !== "number" || !Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0)) {
    throw invalid("retryAfterSeconds", "retryAfterSeconds must be a non-negative integer")
  }
  if (commitAfterMs !== undefined && (typeof commitAfterMs !== "number" || !Number.isInteger(commitAfterMs) || commitAfterMs < 0)) {
    throw invalid("commitAfterMs", "commitAfterMs must be a non-negative integer")
  }
  return {
    commitAfterMs: commitAfterMs as number | undefined,
    method: method as string | undefined,
    path,
    mode: mode as FaultMode,
    count: count as number | undefined,
    retryAfterSeconds: retryAfterSeconds as number | undefined,
  }
}

export class Faults {
  private active: ActiveFault[] = []

  add(spec: FaultSpec): void {
    const parsed = parseFaultSpec(spec)
    this.active.push({
      method: parsed.method?.toUpperCase(),
      // A caller may paste a full API path; matching is defined on the path without the prefix.
      path: parsed.path.startsWith("^") ? parsed.path : parsed.path.replace(API_PREFIX, ""),
      mode: parsed.mode,
      remaining: parsed.count ?? 1,
      retryAfterSeconds: parsed.retryAfterSeconds ?? 1,
      commitAfterMs: parsed.commitAfterMs ?? DEFAULT_COMMIT_AFTER_MS,
    })
  }

  clear(): void {
    this.active = []
  }

  list(): ActiveFault[] {
    return this.active.map((fault) => ({ ...fault }))
  }

  /** Consumes one use of the first fault that matches this call, if any. */
  take(method: string, path: string): ActiveFault | null {
    const fault = this.active.find((candidate) => {
      if (candidate.method && candidate.method !== method.toUpperCase()) return false
      return candidate.path.startsWith("^") ? new RegExp(candidate.path).test(path) : path.startsWith(candidate.path)
    })
    if (!fault) return null
    fault.remaining -= 1
    if (fault.remaining <= 0) this.active = this.active.filter((candidate) => candidate !== fault)
    return { ...fault }
  }
}

/**
 * A sliding-window limiter per key. InvoiceBox/docs docs/api/limits.md:13-16: "100 запросов за 30 секунд
 * для одной учётной записи", "500 запросов за 30 секунд для одного IP-адреса", excess -> HTTP 429. The
 * page does not say whether the window is fixed or sliding; a sliding window is the strictest reading
 * (no burst of 2x the limit across a window edge is allowed).
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>()
  /** Calls refused since start / reset: the benchmark's "quota violations (goal 0)". */
  violations = 0
  /** Calls counted against the limit (accepted ones) since start / reset. */
  accepted = 0

  constructor(
    public limit: number,
    public windowMs: number
  ) {}

  set(limit: number, windowMs: number): void {
    this.limit = limit
    this.windowMs = windowMs
    this.hits.clear()
  }

  reset(): void {
    this.hits.clear()
    this.violations = 0
    this.accepted = 0
  }

  /** Counts the call; returns the seconds to wait when the caller is over the limit. */
  check(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs)
    if (recent.length >= this.limit) {
      this.violations++
      this.hits.set(key, recent)
      const waitMs = recent[0] + this.windowMs - now
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
    }
    recent.push(now)
    this.hits.set(key, recent)
    this.accepted++
    return { ok: true }
  }
}
