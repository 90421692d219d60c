/**
 * "A run never outlives its lock": a second instance is skipped while a run holds the lock, a run
 * whose lock renewal fails stops at once, and a run past its deadline (half the lock's life) sends
 * nothing more to Invoicebox.
 */
import type { ILockingModule } from "@medusajs/framework/types"
import { startSandbox, Sandbox } from "../../sandbox"
import { InvoiceboxBudgetExhaustedError, InvoiceboxClient, MemoryBudgetStore, RequestBudget, backgroundRunStopped } from "../../core"
import { withRunLock } from "../run-lock"

const TOKEN = "sbx-token-5d41402abc4b2a76b9719d911017c592"
const logger = { info: () => undefined, warn: () => undefined }

/** Medusa's in-memory locking semantics: one owner at a time until expiry; the owner may renew. */
function fakeLocking(options: { failRenewal?: boolean; onRenew?: () => void } = {}) {
  const held = new Map<string, { owner: string; until: number }>()
  const locking = {
    async acquire(key: string, { ownerId, expire }: { ownerId: string; expire: number }) {
      const now = Date.now()
      const current = held.get(key)
      if (current && current.until > now && current.owner !== ownerId) throw new Error(`"${key}" is already locked`)
      if (current?.owner === ownerId) {
        options.onRenew?.()
        if (options.failRenewal) throw new Error("locking provider unreachable")
      }
      held.set(key, { owner: ownerId, until: now + expire * 1000 })
    },
    async release(key: string, { ownerId }: { ownerId: string }) {
      if (held.get(key)?.owner === ownerId) held.delete(key)
      return true
    },
  }
  return { locking: locking as unknown as ILockingModule, held }
}

const budget = () => new RequestBudget({ store: new MemoryBudgetStore(), key: `k-${Math.random()}`, limit: 100 })

describe("withRunLock", () => {
  let sandbox: Sandbox
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, apiToken: TOKEN })
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())

  it("never lets two instances run the same phase", async () => {
    const { locking, held } = fakeLocking()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const phases: string[] = []
    const first = withRunLock(locking, logger, { key: "phase", lockSeconds: 60, label: "first" }, async () => {
      phases.push("first:start")
      await gate
      phases.push("first:end")
      return 1
    })
    const second = await withRunLock(locking, logger, { key: "phase", lockSeconds: 60, label: "second" }, async () => {
      phases.push("second")
      return 2
    })
    expect(second).toEqual({ ran: false })
    release()
    expect(await first).toEqual({ ran: true, result: 1 })
    expect(phases).toEqual(["first:start", "first:end"])
    expect(held.size).toBe(0)
  })

  it("stops the run when the lock cannot be renewed: nothing more is sent to Invoicebox", async () => {
    let renewed!: () => void
    const renewal = new Promise<void>((resolve) => (renewed = resolve))
    const { locking } = fakeLocking({ failRenewal: true, onRenew: () => renewed() })
    const client = new InvoiceboxClient({ baseUrl: sandbox.url, apiToken: TOKEN, budget: budget() })
    const run = await withRunLock(locking, logger, { key: "renew", lockSeconds: 3, label: "job" }, async () => {
      await client.findOrders()
      await renewal
      await new Promise((resolve) => setImmediate(resolve))
      expect(backgroundRunStopped()).toBe(true)
      return client.findOrders().then(() => "sent", (e) => e)
    })
    expect(run.ran && run.result).toBeInstanceOf(InvoiceboxBudgetExhaustedError)
    expect(sandbox.stats().quota.accepted).toBe(1)
  })

  it("sends nothing to Invoicebox past the run's deadline (half the lock's life)", async () => {
    const { locking } = fakeLocking()
    const client = new InvoiceboxClient({ baseUrl: sandbox.url, apiToken: TOKEN, budget: budget() })
    const run = await withRunLock(locking, logger, { key: "deadline", lockSeconds: 0.2, label: "job" }, async (deadline) => {
      await client.findOrders()
      while (Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      return client.findOrders().then(() => "sent", (e) => e)
    })
    expect(run.ran && run.result).toMatchObject({ code: "run_deadline" })
    expect(sandbox.stats().quota.accepted).toBe(1)
  })
})
