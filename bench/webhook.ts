/**
 * How fast and how safely does the store settle Invoicebox notifications under load?
 * `npm run bench:webhook` (node -r ts-node/register/transpile-only bench/webhook.ts).
 *
 * Starts its own store the way `npm run demo` does (scripts/demo.mjs: PostgreSQL — embedded unless
 * DB_HOST / DATABASE_URL —, the Invoicebox sandbox and `medusa start` in a separate process), checks
 * out INVOICES orders through the Store API, marks their invoices paid in the sandbox with
 * notifications held back, then fires DELIVERIES signed notifications at /hooks/invoicebox with
 * CONCURRENCY requests in flight: each paid invoice's notification several times, first deliveries
 * and duplicates shuffled together (so duplicates also race the first one). Prints throughput,
 * p50/p99 latency, the verdicts, the ratio of p50 to GET /health measured the same way on the same
 * server, and checks that every paid invoice was captured exactly once.
 *
 * Env: BENCH_INVOICES (200), BENCH_DELIVERIES (1000), BENCH_CONCURRENCY (16), BENCH_SETUP_CONCURRENCY (6),
 * BENCH_PORT (9100; the sandbox and the demo storefront take the next two ports), BENCH_RATE_LIMIT (sandbox
 * requests per 30 s; default unthrottled — set 100 to see Invoicebox's real account limit bite).
 * The yardstick: Medusa's own capture (POST /admin/payments/:id/capture) of as many authorized
 * pp_system_default payments, at the same concurrency on the same store, right before.
 * Exit code 1 when a goal is missed (first-delivery p50 > 1.5× or p99 > 2× the capture's, an
 * unexpected verdict, or not exactly one capture per invoice).
 */
import { sql } from "../integration-tests/helpers/pg"
import { phpJson } from "../src/sandbox/json"
import { createHmac } from "node:crypto"
import path from "node:path"
import { performance } from "node:perf_hooks"

const INVOICES = Number(process.env.BENCH_INVOICES || 200)
const DELIVERIES = Number(process.env.BENCH_DELIVERIES || 1000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 16)
const SETUP_CONCURRENCY = Number(process.env.BENCH_SETUP_CONCURRENCY || 6)
const PORT = Number(process.env.BENCH_PORT || 9100)
const NOTIFICATION_KEY = process.env.INVOICEBOX_NOTIFICATION_KEY || "test"
// Goals as ratios to Medusa's own capture of an authorized pp_system_default payment, measured
// on the same store in the same run: absolute times differ twofold between machines.
const P50_RATIO_GOAL = 1.5
const P99_RATIO_GOAL = 2
const RATE_LIMIT = Number(process.env.BENCH_RATE_LIMIT || 1_000_000)

const LEGAL_PAYER = {
  type: "legal",
  name: "ПАО Сбербанк",
  inn: "7707083893",
  kpp: "773601001",
  address: "117312, г. Москва, ул. Вавилова, д. 19",
  email: "buyer@example.com",
}

// ts-node compiles this file to CommonJS; a real dynamic import is needed for the .mjs module.
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>

interface Timed {
  ms: number
  verdict: string
}

async function main() {
  const root = path.resolve(__dirname, "..")
  const log = (line: string) => console.log(line)
  const { startDemo } = await importEsm(path.join(root, "scripts", "demo.mjs"))
  if (process.env.DB_HOST && !process.env.DATABASE_URL) await ensureDatabase("medusa_invoicebox_bench")

  // The plugin's request budget follows the sandbox's limit: both stand for the account's quota.
  process.env.INVOICEBOX_REQUEST_BUDGET_LIMIT = String(RATE_LIMIT)
  // The reconciliation job would capture the paid invoices during a long setup, turning every
  // "first delivery" into a duplicate.
  process.env.INVOICEBOX_RECONCILE_INTERVAL_MINUTES = "0"
  log(`Starting a store for the benchmark (migrations take about a minute)…`)
  const demo = await startDemo({
    name: "bench",
    persistent: false,
    medusaPort: PORT,
    sandboxPort: PORT + 1,
    storefrontPort: PORT + 2,
    watch: false,
    echo: false,
    log: (line: string) => log(`  ${line}`),
  })
  let failed = false
  try {
    const store = demo.urls.backend as string
    const sandbox = demo.urls.sandbox as string
    if (!sandbox) throw new Error("The benchmark needs the sandbox; unset the real Invoicebox credentials")
    const key = demo.seed.publishableKey as string

    // --- setup: orders with paid invoices whose notifications were held back -----------------
    const t0 = performance.now()
    // Invoicebox allows 100 requests / 30 s per account; the setup alone makes 2 per order, and the
    // question here is the store's own cost, so the sandbox is told not to throttle (BENCH_RATE_LIMIT).
    await post(`${sandbox}/__sandbox/rate-limit`, { limit: RATE_LIMIT, windowMs: 30_000 })
    // The yardstick's orders first, so the paid invoices wait as briefly as before.
    const admin = await adminToken(store)
    const auth = { authorization: `Bearer ${admin}` }
    await post(`${store}/admin/regions/${demo.seed.regionId}`, { payment_providers: ["pp_invoicebox_invoicebox", "pp_system_default"] }, auth)
    const authorized: string[] = []
    await pool(INVOICES, SETUP_CONCURRENCY, async () => authorized.push(await systemCheckout(store, key, demo.seed, auth)))
    await post(`${sandbox}/__sandbox/notifications/block`, {})
    const invoices: any[] = []
    await pool(INVOICES, SETUP_CONCURRENCY, async () => invoices.push(await checkout(store, key, demo.seed)))
    await pool(invoices.length, SETUP_CONCURRENCY, async (i) => post(`${sandbox}/__sandbox/orders/${invoices[i].id}/pay`, {}))
    await post(`${sandbox}/__sandbox/notifications/unblock`, {})
    const state = await get(`${sandbox}/__sandbox/state`)
    const paid = new Map<string, any>((state.orders ?? state.data?.orders ?? []).map((o: any) => [o.id, o]))
    const bodies = invoices.map((inv) => phpJson(paid.get(inv.id)))
    log(`Setup: ${invoices.length} orders with paid invoices in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    // --- baseline: GET /health, the same number of requests at the same concurrency -----------
    await pool(50, CONCURRENCY, () => timed(`${store}/health`, "GET")) // warm-up
    const health = await pool(DELIVERIES, CONCURRENCY, () => timed(`${store}/health`, "GET"))

    // --- baseline: Medusa's own capture of as many authorized payments, same concurrency ------
    // POST /admin/payments/:id/capture also books the capture on the order: the floor of any capture.
    const capture = await pool(authorized.length, CONCURRENCY, (i) =>
      timed(`${store}/admin/payments/${authorized[i]}/capture`, "POST", "{}", { ...auth, "content-type": "application/json" })
    )

    // --- the notifications ---------------------------------------------------------------------
    const perInvoice = Math.max(1, Math.floor(DELIVERIES / bodies.length))
    const plan: number[] = []
    for (let i = 0; i < DELIVERIES; i++) plan.push(i % bodies.length)
    shuffle(plan, 42)
    const started = performance.now()
    const results = await pool(plan.length, CONCURRENCY, (i) => {
      const body = bodies[plan[i]]
      return timed(`${store}/hooks/invoicebox`, "POST", body, {
        "content-type": "application/json",
        "x-signature": createHmac("sha1", NOTIFICATION_KEY).update(body).digest("hex"),
      })
    })
    const seconds = (performance.now() - started) / 1000

    // --- exactly one capture per paid invoice -------------------------------------------------
    const captures = await capturesBySession(store, admin)
    const wrong = invoices.filter((inv) => (captures.get(inv.merchantOrderId) ?? 0) !== 1)

    const verdicts = countBy(results, (r) => r.verdict)
    const unexpected = results.filter((r) => r.verdict !== "success").length
    const p50 = percentile(results.map((r) => r.ms), 50)
    const p99 = percentile(results.map((r) => r.ms), 99)
    const seen = new Set<number>()
    const firsts = results.filter((_, i) => !seen.has(plan[i]) && seen.add(plan[i]))
    const dups = results.filter((r) => !firsts.includes(r))
    const h50 = percentile(health.map((r) => r.ms), 50)
    const h99 = percentile(health.map((r) => r.ms), 99)
    const first50 = percentile(firsts.map((r) => r.ms), 50)
    const first99 = percentile(firsts.map((r) => r.ms), 99)
    const c50 = percentile(capture.map((r) => r.ms), 50)
    const c99 = percentile(capture.map((r) => r.ms), 99)
    const captureFailures = capture.filter((r) => r.verdict !== "ok")

    log("")
    log(`Notifications: ${results.length} (${bodies.length} paid invoices × ~${perInvoice}, first deliveries and duplicates shuffled), concurrency ${CONCURRENCY}`)
    log(`  throughput      ${(results.length / seconds).toFixed(1)} req/s (${seconds.toFixed(1)} s)`)
    log(`  latency         p50 ${p50.toFixed(1)} ms   p99 ${p99.toFixed(1)} ms   max ${Math.max(...results.map((r) => r.ms)).toFixed(1)} ms`)
    log(`  first delivery  p50 ${percentile(firsts.map((r) => r.ms), 50).toFixed(1)} ms   p99 ${percentile(firsts.map((r) => r.ms), 99).toFixed(1)} ms   (${firsts.length})`)
    log(`  duplicates      p50 ${percentile(dups.map((r) => r.ms), 50).toFixed(1)} ms   p99 ${percentile(dups.map((r) => r.ms), 99).toFixed(1)} ms   (${dups.length})`)
    log(`  GET /health     p50 ${h50.toFixed(1)} ms   p99 ${h99.toFixed(1)} ms   (same count and concurrency)`)
    log(`  p50 / health    ${(p50 / h50).toFixed(1)}×`)
    log(`  admin capture   p50 ${c50.toFixed(1)} ms   p99 ${c99.toFixed(1)} ms   (${capture.length} authorized pp_system_default payments, same concurrency)`)
    log(`  first / capture p50 ${(first50 / c50).toFixed(2)}×   p99 ${(first99 / c99).toFixed(2)}×`)
    log(`  verdicts        ${Object.entries(verdicts).map(([v, n]) => `${v} ${n}`).join(", ")}`)
    log(`  captures        ${invoices.length - wrong.length}/${invoices.length} invoices captured exactly once`)
    log(`  sandbox limit   ${RATE_LIMIT} requests / 30 s`)
    log("")
    const goals = [
      [first50 <= P50_RATIO_GOAL * c50, `first-delivery p50 ≤ ${P50_RATIO_GOAL}× the admin capture's`],
      [first99 <= P99_RATIO_GOAL * c99, `first-delivery p99 ≤ ${P99_RATIO_GOAL}× the admin capture's`],
      [captureFailures.length === 0, "every admin capture answered 2xx"],
      [unexpected === 0, "no verdict other than success"],
      [wrong.length === 0, "exactly one capture per paid invoice"],
    ] as const
    for (const [ok, what] of goals) log(`  ${ok ? "PASS" : "FAIL"}  ${what}`)
    failed = goals.some(([ok]) => !ok)
    if (wrong.length) log(`  not captured exactly once: ${wrong.slice(0, 5).map((w) => w.merchantOrderId).join(", ")}…`)
  } finally {
    await demo.stop()
  }
  process.exit(failed ? 1 : 0)
}

async function checkout(store: string, key: string, seed: any) {
  const h = { "x-publishable-api-key": key }
  const variant = seed.products.find((p: any) => p.handle === "paper-a4").variantIds[0]
  const { cart } = await post(
    `${store}/store/carts`,
    {
      region_id: seed.regionId,
      // One buyer per cart: concurrent carts with one new e-mail race to create the same customer.
      email: `buyer-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
      items: [{ variant_id: variant, quantity: 1 + Math.floor(Math.random() * 5) }],
      shipping_address: { first_name: "Иван", last_name: "Петров", address_1: "ул. Тверская, 1", city: "Москва", country_code: "ru", postal_code: "125009" },
    },
    h
  )
  await post(`${store}/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shippingOptionId }, h)
  const { payment_collection: pc } = await post(`${store}/store/payment-collections`, { cart_id: cart.id }, h)
  const { payment_collection } = await post(
    `${store}/store/payment-collections/${pc.id}/payment-sessions`,
    { provider_id: "pp_invoicebox_invoicebox", data: { payer: LEGAL_PAYER } },
    h
  )
  const session = payment_collection.payment_sessions.find((s: any) => s.provider_id === "pp_invoicebox_invoicebox")
  const done = await post(`${store}/store/carts/${cart.id}/complete`, {}, h)
  if (done.type !== "order") throw new Error(`cart ${cart.id} did not complete: ${JSON.stringify(done.error ?? done).slice(0, 300)}`)
  return { id: session.data.invoicebox_order_id as string, merchantOrderId: session.id as string }
}

/** A checkout with Medusa's pp_system_default: the order's payment is authorized, not captured. */
async function systemCheckout(store: string, key: string, seed: any, auth: Record<string, string>): Promise<string> {
  const h = { "x-publishable-api-key": key }
  const variant = seed.products.find((p: any) => p.handle === "paper-a4").variantIds[0]
  const { cart } = await post(
    `${store}/store/carts`,
    {
      region_id: seed.regionId,
      email: `system-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
      items: [{ variant_id: variant, quantity: 1 + Math.floor(Math.random() * 5) }],
      shipping_address: { first_name: "Иван", last_name: "Петров", address_1: "ул. Тверская, 1", city: "Москва", country_code: "ru", postal_code: "125009" },
    },
    h
  )
  await post(`${store}/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shippingOptionId }, h)
  const { payment_collection: pc } = await post(`${store}/store/payment-collections`, { cart_id: cart.id }, h)
  await post(`${store}/store/payment-collections/${pc.id}/payment-sessions`, { provider_id: "pp_system_default", data: {} }, h)
  const done = await post(`${store}/store/carts/${cart.id}/complete`, {}, h)
  if (done.type !== "order") throw new Error(`cart ${cart.id} did not complete: ${JSON.stringify(done.error ?? done).slice(0, 300)}`)
  const { order } = await get(`${store}/admin/orders/${done.order.id}?fields=id,*payment_collections.payments`, auth)
  const payment = order.payment_collections?.[0]?.payments?.[0]
  if (!payment?.id) throw new Error(`order ${done.order.id} has no payment`)
  return payment.id as string
}

async function adminToken(store: string): Promise<string> {
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = await importEsm(path.resolve(__dirname, "..", "scripts", "demo.mjs"))
  const { token } = await post(`${store}/auth/user/emailpass`, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
  return token
}

/** Captures per payment session, as the admin API reports them. */
async function capturesBySession(store: string, token: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (let offset = 0; ; offset += 200) {
    const page = await get(`${store}/admin/payments?limit=200&offset=${offset}&fields=id,payment_session_id,*captures`, {
      authorization: `Bearer ${token}`,
    })
    for (const p of page.payments) out.set(p.payment_session_id, (out.get(p.payment_session_id) ?? 0) + (p.captures?.length ?? 0))
    if (page.payments.length < 200) return out
  }
}

async function timed(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Timed> {
  const start = performance.now()
  let verdict: string
  try {
    const res = await fetch(url, { method, body, headers })
    const text = await res.text()
    if (!url.includes("/hooks/")) verdict = res.ok ? "ok" : `HTTP ${res.status}`
    else {
      let json: any
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      verdict = res.status !== 200 ? `HTTP ${res.status}` : json?.status === "success" ? "success" : String(json?.code ?? "non-json")
    }
  } catch (e) {
    verdict = `network: ${(e as Error).message}`
  }
  return { ms: performance.now() - start, verdict }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${url} → HTTP ${res.status}: ${text.slice(0, 300)}`)
  return text ? JSON.parse(text) : {}
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  const text = await res.text()
  if (!res.ok) throw new Error(`GET ${url} → HTTP ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

/** Runs fn(0..n-1) with at most `concurrency` in flight; results in index order. */
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n)
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      out[i] = await fn(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  return out
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1
  return out
}

/** Deterministic Fisher–Yates, so two runs send the same order of deliveries. */
function shuffle<T>(xs: T[], seed: number) {
  let a = seed >>> 0
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j], xs[i]]
  }
}

/** With an external PostgreSQL the demo script expects the database to exist. */
async function ensureDatabase(name: string) {
  const rows = await sql("SELECT 1 FROM pg_database WHERE datname = $1", [name])
  if (rows.length === 0) await sql(`CREATE DATABASE "${name}"`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
