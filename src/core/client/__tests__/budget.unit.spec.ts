/**
 * The account's request budget: in this process and through Redis (127.0.0.1:6379, or REDIS_URL),
 * background work capped below the limit so checkout keeps its share, and a run that stops at its
 * deadline. The sandbox tests show the point of it all: its quota-violation counter stays at 0.
 */
import { Redis } from "ioredis"
import { startSandbox, Sandbox } from "../../../sandbox"
import {
  InvoiceboxBudgetExhaustedError,
  InvoiceboxClient,
  MemoryBudgetStore,
  RedisBudgetStore,
  RequestBudget,
  backgroundRunStopped,
  runInBackground,
} from ".."

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const TOKEN = "sbx-token-5d41402abc4b2a76b9719d911017c592"
const MERCHANT = "0f0f0f0f-1111-4222-8333-444455556666"

async function settle(count: number, fn: () => Promise<unknown>) {
  const results = await Promise.allSettled(Array.from({ length: count }, fn))
  return {
    ok: results.filter((r) => r.status === "fulfilled").length,
    errors: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
  }
}

describe("RequestBudget in this process", () => {
  it("never lets more than the limit into one window, and says how long until the next slot", async () => {
    let now = 1_000_000
    const store = new MemoryBudgetStore(() => now)
    expect(await store.take("a", 2, 1000)).toEqual({ ok: true })
    now += 400
    expect(await store.take("a", 2, 1000)).toEqual({ ok: true })
    expect(await store.take("a", 2, 1000)).toEqual({ ok: false, waitMs: 601 })
    // Another account has its own window.
    expect(await store.take("b", 2, 1000)).toEqual({ ok: true })
    now += 601
    expect(await store.take("a", 2, 1000)).toEqual({ ok: true })
    expect((await store.take("a", 2, 1000)).ok).toBe(false)
  })

  it("keeps checkout's share: jobs stop at their cap, checkout still gets the rest", async () => {
    const budget = new RequestBudget({
      store: new MemoryBudgetStore(),
      key: "shop",
      limit: 10,
      windowMs: 60_000,
      backgroundShare: 0.6,
      backgroundMaxWaitMs: 0,
      interactiveMaxWaitMs: 0,
    })
    const job = await runInBackground("reconciliation", () => settle(20, () => budget.acquire("getOrder")))
    expect(job.ok).toBe(6)
    expect(job.errors.every((e) => e instanceof InvoiceboxBudgetExhaustedError && e.background)).toBe(true)
    const checkout = await settle(10, () => budget.acquire("createOrder"))
    expect(checkout.ok).toBe(4)
    expect(checkout.errors[0]).toBeInstanceOf(InvoiceboxBudgetExhaustedError)
    expect(checkout.errors[0].background).toBe(false)
  })

  it("gives up the rest of a run once it was refused, and stops a run at its deadline", async () => {
    const budget = new RequestBudget({ store: new MemoryBudgetStore(), key: "s", limit: 5, backgroundShare: 0.2, backgroundMaxWaitMs: 0 })
    await runInBackground("sync", async () => {
      await budget.acquire()
      await expect(budget.acquire()).rejects.toBeInstanceOf(InvoiceboxBudgetExhaustedError)
      expect(backgroundRunStopped()).toBe(true)
    })
    const fresh = new RequestBudget({ store: new MemoryBudgetStore(), key: "s", limit: 5 })
    await runInBackground(
      "retry",
      async () => {
        await expect(fresh.acquire()).rejects.toMatchObject({ code: "run_deadline" })
      },
      { deadline: Date.now() - 1 }
    )
    // Outside a run the same budget serves checkout in full.
    expect(backgroundRunStopped()).toBe(false)
    await expect(fresh.acquire()).resolves.toBeUndefined()
  })

  it("waits for the window instead of failing when there is time", async () => {
    const slept: number[] = []
    let now = 0
    const store = new MemoryBudgetStore(() => now)
    const budget = new RequestBudget({
      store,
      key: "w",
      limit: 1,
      windowMs: 1000,
      guardMs: 0,
      sleep: async (ms) => {
        slept.push(ms)
        now += ms
      },
    })
    await budget.acquire()
    await budget.acquire()
    expect(slept).toEqual([1001])
  })
})

describe("RequestBudget through Redis", () => {
  const connections: Redis[] = []
  const connect = () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true })
    connections.push(redis)
    return redis
  }
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit()))
  })

  it("two budgets on one Redis key (two instances) never exceed the quota together", async () => {
    const key = `test-${Date.now()}-${Math.random()}`
    const make = () =>
      new RequestBudget({ store: new RedisBudgetStore(connect()), key, limit: 10, windowMs: 60_000, interactiveMaxWaitMs: 0, backgroundMaxWaitMs: 0 })
    const [a, b] = [make(), make()]
    const results = await settle(30, async () => ((Math.random() < 0.5 ? a : b).acquire()))
    expect(results.ok).toBe(10)
    expect(results.errors).toHaveLength(20)
    // Background work on either instance finds the window full too.
    await runInBackground("job", async () => {
      await expect(a.acquire()).rejects.toBeInstanceOf(InvoiceboxBudgetExhaustedError)
    })
  })
})

describe("the budget against the sandbox's quota", () => {
  let sandbox: Sandbox
  const connections: Redis[] = []
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, apiToken: TOKEN, merchantId: MERCHANT, notificationKey: "test" })
  })
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit()))
    await sandbox.close()
  })
  beforeEach(() => sandbox.reset())

  function instance(key: string) {
    const redis = new Redis(REDIS_URL, { lazyConnect: true })
    connections.push(redis)
    // The guard is as long as the window, as in production it is the margin for the time between
    // taking a slot and the sandbox counting the request, which on a loaded machine can pass 100 ms.
    const budget = new RequestBudget({ store: new RedisBudgetStore(redis), key, limit: 10, windowMs: 1000, guardMs: 1000 })
    return new InvoiceboxClient({ baseUrl: sandbox.url, apiToken: TOKEN, maxRetries: 0, budget })
  }

  it("a reconciliation run and a checkout burst on two instances cause no quota violation", async () => {
    sandbox.setRateLimit(10, 1000)
    const key = `sbx-${Date.now()}-${Math.random()}`
    const [one, two] = [instance(key), instance(key)]
    const reconciliation = runInBackground("reconciliation", () =>
      settle(30, () => one.findOrders({}, { pageSize: 10 }))
    )
    const checkout = await settle(15, () => two.findOrders({}, { pageSize: 1 }))
    const job = await reconciliation
    expect(checkout.errors).toEqual([])
    expect(checkout.ok).toBe(15)
    // The job did what the budget let it, and whatever it could not do was given up, not sent.
    expect(job.errors.every((e) => e instanceof InvoiceboxBudgetExhaustedError)).toBe(true)
    expect(sandbox.stats().quota.violations).toBe(0)
    expect(sandbox.stats().quota.accepted).toBe(15 + job.ok)
  })
})
