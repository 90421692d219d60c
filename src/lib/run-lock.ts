import type { ILockingModule, Logger } from "@medusajs/framework/types"
import { randomUUID } from "node:crypto"
import { runInBackground, stopBackgroundRun } from "../core"

export interface RunLockOptions {
  key: string
  /** Lifetime of the lock; renewed every third of it while the run works. */
  lockSeconds: number
  label: string
}

/**
 * Runs `fn` under Medusa's lock so that two instances never run the same phase, and makes sure the
 * run never outlives the lock: the run is background work (budget.ts) whose deadline is half the
 * lock's life — even if every renewal failed, nobody else can hold the lock before then — and a
 * failed renewal stops the run at once. Past either, every Invoicebox call of the run fails without
 * being sent, and the loops stop on `backgroundRunStopped()`; what is left waits for the next run.
 * Returns undefined when another run holds the lock.
 */
export async function withRunLock<T>(
  locking: ILockingModule,
  logger: Pick<Logger, "info" | "warn">,
  options: RunLockOptions,
  fn: (deadline: number) => Promise<T>
): Promise<{ ran: true; result: T } | { ran: false }> {
  const ownerId = `${options.key}:${randomUUID()}`
  try {
    await locking.acquire(options.key, { ownerId, expire: options.lockSeconds })
  } catch {
    logger.info(`${options.label}: another run holds the lock; skipped`)
    return { ran: false }
  }
  const deadline = Date.now() + (options.lockSeconds * 1000) / 2
  try {
    const result = await runInBackground(
      options.label,
      async () => {
        // Created inside the run, so the timer's callbacks belong to it and can stop it.
        const renew = setInterval(() => {
          locking.acquire(options.key, { ownerId, expire: options.lockSeconds }).catch((e) => {
            stopBackgroundRun()
            logger.warn(`${options.label}: lock renewal failed, the run stops: ${(e as Error).message}`)
          })
        }, Math.max(1000, (options.lockSeconds * 1000) / 3))
        renew.unref?.()
        try {
          return await fn(deadline)
        } finally {
          clearInterval(renew)
        }
      },
      { deadline }
    )
    return { ran: true, result }
  } finally {
    await locking.release(options.key, { ownerId }).catch(() => undefined)
  }
}
