/**
 * The background jobs at the scale of a store with years of B2B orders (part of `npm run bench`).
 *
 * Seeds, straight into the database and the in-process sandbox (no API calls, so the quota is not
 * spent on the setup), AWAITING open invoices and CAPTURED paid ones: Medusa payment sessions (and
 * payments for the paid ones), the plugin's invoicebox_invoice rows, and the matching Invoicebox
 * orders. Then runs reconciliation cycles (reconcileInvoiceboxPayments with its defaults: the
 * rotation, the refund sync, the pauses) until every seeded open invoice was re-read, while a
 * storefront checkout starts every second, with the sandbox held to Invoicebox's real quota
 * (100 requests / 30 s per account).
 */
import { randomUUID } from "node:crypto"
import { performance } from "node:perf_hooks"

export interface JobsStore {
  container: any
  sandbox: any
}

export interface JobsBenchOptions {
  awaiting: number
  captured: number
  /** Starts one storefront checkout (the caller's own), resolves when it completed. */
  checkout: () => Promise<unknown>
  /** The invoice request of one real checkout: the template of the seeded invoices. */
  template: Record<string, unknown>
  collectionId: string
  log: (line: string) => void
}

export interface CycleResult {
  seconds: number
  reconcileRequests: number
  refundRequests: number
  orphanRequests: number
  awaiting: number
  newlyRead: number
}

export async function runJobsBench(store: JobsStore, options: JobsBenchOptions) {
  const { reconcileInvoiceboxPayments } = require("../src/jobs/invoicebox-reconcile")
  const { resolveInvoiceboxProvider } = require("../src/lib")
  const provider = resolveInvoiceboxProvider(store.container, "invoicebox")
  const t0 = performance.now()
  const seeded = await seed(store, options)
  options.log(`  seeded ${options.awaiting} open and ${options.captured} paid invoices in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  // The rotation reads by id; any other order search is the orphan cleanup's.
  const counters = { reconcile: 0, orphans: 0, refunds: 0 }
  const readIds = new Set<string>()
  const restore = [
    wrap(provider.client, "findOrders", (filter: { id?: string[] }) => {
      if (!filter?.id) return void counters.orphans++
      counters.reconcile++
      for (const id of filter.id) readIds.add(id)
    }),
    wrap(provider.client, "findRefunds", () => counters.refunds++),
  ]
  const quota = quotaCounter(store.sandbox)
  store.sandbox.setRateLimit(100, 30_000)
  const shopper = everySecond(options.checkout)
  const cycles: CycleResult[] = []
  let checkouts: Awaited<ReturnType<typeof shopper.stop>> | undefined
  try {
    const open = new Set(seeded.awaitingIds)
    while (cycles.length < 20 && [...open].some((id) => !readIds.has(id))) {
      const before = { ...counters, read: [...open].filter((id) => readIds.has(id)).length }
      const c0 = performance.now()
      const report = await reconcileInvoiceboxPayments(store.container, {})
      cycles.push({
        seconds: (performance.now() - c0) / 1000,
        reconcileRequests: counters.reconcile - before.reconcile,
        refundRequests: counters.refunds - before.refunds,
        orphanRequests: counters.orphans - before.orphans,
        awaiting: report.awaiting,
        newlyRead: [...open].filter((id) => readIds.has(id)).length - before.read,
      })
      options.log(`  cycle ${cycles.length}: ${JSON.stringify(cycles[cycles.length - 1])}`)
    }
  } finally {
    checkouts = await shopper.stop()
    store.sandbox.setRateLimit(1_000_000, 30_000)
    for (const r of restore) r()
    quota.stop()
  }
  return { cycles, checkouts, quotaViolations: quota.count(), quotaSource: quota.source, everyRead: seeded.awaitingIds.every((id) => readIds.has(id)) }
}

async function seed(store: JobsStore, options: JobsBenchOptions) {
  const state = store.sandbox.state
  if (!state?.createOrder) throw new Error("the jobs bench seeds the sandbox in process (sandbox.state.createOrder)")
  store.sandbox.blockNotifications(true)
  const make = (kind: string, k: number) => {
    const sessionId = `payses_bench_${kind}_${k}_${randomUUID().slice(0, 8)}`
    const order = state.createOrder({ ...options.template, merchantOrderId: sessionId })
    return { sessionId, orderId: order.id as string }
  }
  const awaiting = Array.from({ length: options.awaiting }, (_, k) => make("open", k))
  const paid = Array.from({ length: options.captured }, (_, k) => make("paid", k))
  // Stays blocked for the whole part: a blocked notification is lost, not held, and the seeded
  // payments have no cart to settle.
  for (const p of paid) state.transition(p.orderId, "completed")

  const pg = store.container.resolve("__pg_connection__")
  const amount = Number((options.template as any).totalAmount ?? 1000)
  const kopecks = Math.round(amount * 100)
  const rows = (list: typeof awaiting) => JSON.stringify(list.map((x) => [x.sessionId, x.orderId]))
  const insertSessions = (list: typeof awaiting, status: string, invoiceStatus: string) =>
    pg.raw(
      `INSERT INTO payment_session (id, currency_code, amount, raw_amount, provider_id, data, status, payment_collection_id)
       SELECT r->>0, 'rub', ?, jsonb_build_object('value', ?::text, 'precision', 20), 'pp_invoicebox_invoicebox',
              jsonb_build_object('invoicebox_order_id', r->>1, 'invoice_status', ?::text, 'amount_kopecks', ?::int, 'currency', 'RUB', 'session_id', r->>0),
              ?, ?
       FROM jsonb_array_elements(?::jsonb) r`,
      [amount, String(amount), invoiceStatus, kopecks, status, options.collectionId, rows(list)]
    )
  const insertInvoices = (list: typeof awaiting, status: string, paidDaysAgo: number | null) =>
    pg.raw(
      `INSERT INTO invoicebox_invoice (id, provider_id, invoicebox_order_id, payment_session_id, status, amount_kopecks, raw_amount_kopecks, currency, paid_at)
       SELECT 'ibxinv_bench_' || md5(r->>1), 'pp_invoicebox_invoicebox', r->>1, r->>0, ?, ?, jsonb_build_object('value', ?::text, 'precision', 20), 'RUB',
              CASE WHEN ?::int IS NULL THEN NULL ELSE now() - (((ord * 7919) % (?::int * 2)) || ' days')::interval END
       FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS t(r, ord)`,
      [status, kopecks, String(kopecks), paidDaysAgo, paidDaysAgo ?? 1, rows(list)]
    )
  await insertSessions(awaiting, "pending", "created")
  await insertInvoices(awaiting, "created", null)
  // Paid ones: Medusa marks the session authorized and keeps a captured payment.
  await insertSessions(paid, "authorized", "completed")
  // Paid over the last two years: about half inside the refund sync's 180-day window... (365 × 2 days spread)
  await insertInvoices(paid, "completed", 365)
  await pg.raw(
    `INSERT INTO payment (id, amount, raw_amount, currency_code, provider_id, data, captured_at, payment_collection_id, payment_session_id)
     SELECT 'pay_bench_' || md5(r->>0), ?, jsonb_build_object('value', ?::text, 'precision', 20), 'rub', 'pp_invoicebox_invoicebox',
            jsonb_build_object('invoicebox_order_id', r->>1, 'invoice_status', 'completed'), now(), ?, r->>0
     FROM jsonb_array_elements(?::jsonb) r`,
    [amount, String(amount), options.collectionId, rows(paid)]
  )
  return { awaitingIds: awaiting.map((a) => a.orderId) }
}

/** Counts calls of target[method] (the job's reads), restoring it afterwards. */
function wrap(target: any, method: string, onCall: (...args: any[]) => void): () => void {
  const original = target[method]
  target[method] = function (this: unknown, ...args: unknown[]) {
    onCall(...args)
    return original.apply(this, args)
  }
  return () => (target[method] = original)
}

/**
 * Requests the sandbox refused for exceeding the account quota. Reads the sandbox's own counter
 * when it has one; otherwise counts the refusals of its rate limiter.
 */
function quotaCounter(sandbox: any) {
  if (typeof sandbox.stats === "function" && typeof sandbox.stats()?.quota?.violations === "number") {
    const read = () => Number(sandbox.stats().quota.violations)
    const start = read()
    return { source: "the sandbox's quota.violations", count: () => read() - start, stop: () => undefined }
  }
  const limiter = sandbox.limiter
  const check = limiter.check
  let refused = 0
  limiter.check = function (this: unknown, ...args: unknown[]) {
    const verdict = check.apply(this, args)
    if (!verdict.ok) refused++
    return verdict
  }
  return { source: "429s of the sandbox's rate limiter", count: () => refused, stop: () => (limiter.check = check) }
}

/** Starts fn every second (the next one as soon as the previous finished, if that took longer). */
function everySecond(fn: () => Promise<unknown>) {
  let stopped = false
  const result = { completed: 0, failed: 0, errors: [] as string[], ms: [] as number[] }
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now()
      try {
        await fn()
        result.completed++
        result.ms.push(performance.now() - t0)
      } catch (e) {
        result.failed++
        if (result.errors.length < 3) result.errors.push((e as Error).message.slice(0, 200))
      }
      const wait = 1000 - (performance.now() - t0)
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait))
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      return result
    },
  }
}
