import { randomUUID } from "node:crypto"
import type { TransportLog } from "./transport-log"

/** The two calls of Medusa's locking module the election needs (ILockingModule). */
export interface LeaseLocking {
  acquire(keys: string | string[], args?: { ownerId?: string | null; expire?: number }): Promise<void>
  release(keys: string | string[], args?: { ownerId?: string | null }): Promise<boolean>
}

/** What the leader runs: the gate connection. */
export interface LeaderWork {
  start(): void
  /** `terminate`: drop at once (the lease may be lost); otherwise close gracefully. */
  stop(options?: { terminate?: boolean }): Promise<void>
}

export interface LeaderElectionOptions {
  lockKey: string
  locking: LeaseLocking
  work: LeaderWork
  log: TransportLog
  /** Lifetime of the lease; a dead leader is replaced within about this long. */
  leaseSeconds?: number
  /** How often a standby instance tries to become the leader (jittered ±50 %). */
  standbyPollMs?: number
  random?: () => number
}

export const LEADER_DEFAULTS = { leaseSeconds: 10, standbyPollMs: 2_000 }

export type LeaderRole = "standby" | "leader" | "stopped"

/**
 * One gate connection per shop across all instances: whoever holds the shop's lock in Medusa's
 * locking module (Redis with several instances, memory with one) runs the connection. The lease
 * is short and renewed every third of its life while connected. The connection never outlives
 * the lease: if a renewal fails, or has not succeeded by the time only a sixth of the lease
 * is left (Redis slow or unreachable), the connection is dropped at once, before another
 * instance can take the lock. A leader that dies stops renewing, its lease runs out, and a
 * standby takes over at its next poll: within leaseSeconds + standbyPollMs.
 */
export class LeaderElection {
  private role_: LeaderRole = "stopped"
  private readonly ownerId = `invoicebox-gate:${randomUUID()}`
  private timer: NodeJS.Timeout | undefined
  private watchdog: NodeJS.Timeout | undefined
  private readonly leaseMs: number
  /** Number of times this instance became the leader. */
  terms = 0
  private announcedStandby = false

  constructor(private readonly options: LeaderElectionOptions) {
    // Whole seconds: locking-redis passes the lease to SET … EX, which takes integers only.
    this.leaseMs = Math.max(2, Math.round(options.leaseSeconds ?? LEADER_DEFAULTS.leaseSeconds)) * 1000
  }

  get role(): LeaderRole {
    return this.role_
  }

  start(): void {
    if (this.role_ !== "stopped") return
    this.role_ = "standby"
    void this.campaign()
  }

  async stop(): Promise<void> {
    const wasLeader = this.role_ === "leader"
    this.role_ = "stopped"
    this.clearTimers()
    if (!wasLeader) return
    await this.options.work.stop().catch((e) => this.options.log.warn(`closing the connection failed: ${(e as Error).message}`))
    await this.options.locking
      .release(this.options.lockKey, { ownerId: this.ownerId })
      .catch((e) => this.options.log.warn(`releasing the gate lock failed (it expires by itself): ${(e as Error).message}`))
  }

  private async campaign(): Promise<void> {
    if (this.role_ !== "standby") return
    const startedAt = Date.now()
    try {
      await this.options.locking.acquire(this.options.lockKey, { ownerId: this.ownerId, expire: this.leaseMs / 1000 })
    } catch {
      if (!this.announcedStandby) this.options.log.info("another instance holds the gate lock: standing by")
      this.announcedStandby = true
      this.schedule(() => this.campaign(), this.standbyDelay())
      return
    }
    if (this.role_ !== "standby") {
      // Stopped while acquiring: give the lock straight back.
      await this.options.locking.release(this.options.lockKey, { ownerId: this.ownerId }).catch(() => undefined)
      return
    }
    this.role_ = "leader"
    this.announcedStandby = false
    this.terms++
    this.options.log.info(`this instance holds the gate lock (term ${this.terms}); connecting`)
    this.leaseObtained(startedAt)
    this.options.work.start()
  }

  private async renew(): Promise<void> {
    if (this.role_ !== "leader") return
    const startedAt = Date.now()
    try {
      await this.options.locking.acquire(this.options.lockKey, { ownerId: this.ownerId, expire: this.leaseMs / 1000 })
    } catch (e) {
      this.demote(`the gate lock could not be renewed (${(e as Error).message})`)
      return
    }
    if (this.role_ === "leader") this.leaseObtained(startedAt)
  }

  /** The lease runs from before the call that obtained it: the conservative end. */
  private leaseObtained(startedAt: number): void {
    const now = Date.now()
    const expiresAt = startedAt + this.leaseMs
    if (this.watchdog) clearTimeout(this.watchdog)
    this.watchdog = setTimeout(() => this.demote("the gate lock was not renewed in time"), Math.max(0, expiresAt - this.leaseMs / 6 - now))
    this.watchdog.unref?.()
    this.schedule(() => this.renew(), Math.max(0, startedAt + this.leaseMs / 3 - now))
  }

  private demote(reason: string): void {
    if (this.role_ !== "leader") return
    this.role_ = "standby"
    this.clearTimers()
    this.options.log.warn(`${reason}: dropping the connection and standing by`)
    void this.options.work.stop({ terminate: true })
    this.schedule(() => this.campaign(), this.standbyDelay())
  }

  private standbyDelay(): number {
    const base = this.options.standbyPollMs ?? LEADER_DEFAULTS.standbyPollMs
    return Math.round(base * (0.5 + (this.options.random ?? Math.random)()))
  }

  private schedule(fn: () => Promise<void>, ms: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void fn()
    }, ms)
    this.timer.unref?.()
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.watchdog) clearTimeout(this.watchdog)
    this.timer = undefined
    this.watchdog = undefined
  }
}
