/** How long to wait before reconnecting to the gate. */
export interface BackoffPolicy {
  /** Ceiling of the first delay. */
  baseMs: number
  /** No delay is longer than this. */
  maxMs: number
  /** Growth of the ceiling per consecutive failure (default 2). */
  factor?: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, factor: 2 }

/**
 * The delay before reconnect number `failures + 1`: capped exponential growth with "equal
 * jitter" (half of the ceiling fixed, half random). The fixed half keeps a refusing gate from
 * being hammered; the random half spreads the instances of a store (and the stores of a network
 * outage) so that they do not all come back in the same second.
 */
export function reconnectDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2
  const exponent = Math.max(0, Math.floor(failures))
  const ceiling = Math.min(policy.maxMs, policy.baseMs * Math.pow(factor, Math.min(exponent, 32)))
  const drawn = random()
  const r = Number.isFinite(drawn) ? Math.min(1, Math.max(0, drawn)) : 1
  return Math.round(ceiling / 2 + (ceiling / 2) * r)
}

/**
 * Counts consecutive failures. A connection resets the count only once it has stayed up for a
 * while: a gate that accepts and drops at once must still be backed off from.
 */
export class Backoff {
  private failures = 0

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random
  ) {}

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    return reconnectDelay(this.failures++, this.policy, this.random)
  }

  reset(): void {
    this.failures = 0
  }

  get consecutiveFailures(): number {
    return this.failures
  }
}
