/**
 * Two store processes over one PostgreSQL and one Redis, configured as in the README's
 * "Production" section (Redis event bus, workflow engine, locking and cache; WORKER_MODE=shared):
 * the plugin must stay exactly-once when Invoicebox's deliveries land on different instances, and
 * the reconciliation job must run once per cycle, not once per instance; and the WebSocket gate
 * is held by one instance at a time, taken over by the other when its holder dies.
 *
 * Run: npm run test:multi (or DB_HOST=localhost … npx jest --testMatch '**\/integration-tests/multi/*.spec.ts').
 */
import axios from "axios"
import { signBody } from "../../src/core"
import { startSandbox, type Sandbox } from "../../src/sandbox"
import { phpJson } from "../../src/sandbox/json"
import { StoreClient } from "../helpers/checkout"
import { API_TOKEN, MERCHANT_ID, NOTIFICATION_KEY, freePort } from "../helpers/env"
import type { SeedResult } from "../../demo/seed"
import {
  MULTI_REDIS_URL,
  childEnv,
  dropDatabase,
  flushRedis,
  prepareDatabase,
  sql,
  startInstance,
  type Instance,
  type LogLine,
} from "./cluster"

jest.setTimeout(200_000)

const PROVIDER = "pp_invoicebox_invoicebox"
const DELIVERIES = 50

let sandbox: Sandbox
let instances: Instance[] = []
let dbName: string | undefined
let seed: SeedResult
/** A checkout whose invoice was paid while the notification was lost: only the job can settle it. */
let lost: { sessionId: string; invoiceId: string; orderId: string }

const store = (i: Instance) => new StoreClient(axios.create({ baseURL: i.url }), seed)

async function checkout(via: Instance) {
  const client = store(via)
  const cart = await client.createCart([{ handle: "paper-a4", quantity: 2 }])
  await client.addShipping(cart.id)
  const collection = await client.initiateSession(cart.id)
  const session = collection.payment_sessions.find((s: any) => s.provider_id === PROVIDER)
  const done = await client.complete(cart.id)
  expect(done.type).toBe("order")
  return { sessionId: session.id as string, invoiceId: session.data.invoicebox_order_id as string, orderId: done.order.id as string }
}

async function paySilently(invoiceId: string) {
  sandbox.blockNotifications(true)
  try {
    await sandbox.pay(invoiceId)
  } finally {
    sandbox.blockNotifications(false)
  }
}

const captures = async (sessionId: string) =>
  (
    await sql(
      dbName!,
      `SELECT count(*)::int AS n FROM capture c JOIN payment p ON p.id = c.payment_id
        WHERE p.payment_session_id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL`,
      [sessionId]
    )
  )[0].n as number

const ledger = (invoiceId: string) =>
  sql(dbName!, `SELECT dedupe_key, verdict, source FROM invoicebox_notification WHERE invoicebox_order_id = $1 AND deleted_at IS NULL`, [
    invoiceId,
  ])

/** The job's own log: a finished run prints one summary line, a run that found the lock taken says so. */
function reconcileRuns(): Array<{ instance: string; at: number; kind: "run" | "skipped"; changed: number; text: string }> {
  return instances.flatMap((i) =>
    i.lines
      // The summary of a run (one per provider since the job serves every shop) or its skip notice.
      .filter((l: LogLine) => /Invoicebox reconciliation(?: \([^)]+\))?: (?:\d+ awaiting|another run holds the lock)/.test(l.text))
      .map((l) => {
        const skipped = /skipped/.test(l.text)
        const changed = Number(/(\d+) changed/.exec(l.text)?.[1] ?? 0)
        return { instance: i.name, at: l.at, kind: skipped ? ("skipped" as const) : ("run" as const), changed, text: l.text }
      })
  )
}

beforeAll(async () => {
  await flushRedis()
  const prepared = await prepareDatabase()
  dbName = prepared.dbName
  seed = prepared.seed
  sandbox = await startSandbox({
    port: 0,
    notificationKey: NOTIFICATION_KEY,
    apiToken: API_TOKEN,
    // The question is the store's behaviour, not Invoicebox's quota.
    rateLimit: { limit: 1_000_000, windowMs: 30_000 },
  } as any)
  const ports = [await freePort(), await freePort()]
  const env = (port: number) =>
    childEnv({
      DB_NAME: dbName!,
      REDIS_URL: MULTI_REDIS_URL,
      WORKER_MODE: "shared",
      // The shortest cycle the job allows; its runs are counted from the log.
      INVOICEBOX_RECONCILE_INTERVAL_MINUTES: "1",
      LOG_LEVEL: "info",
      INVOICEBOX_API_URL: sandbox.url,
      INVOICEBOX_API_TOKEN: API_TOKEN,
      INVOICEBOX_MERCHANT_ID: MERCHANT_ID,
      // The sandbox here has a quota of 1 000 000 / 30 s; the plugin's budget models the same account.
      INVOICEBOX_REQUEST_BUDGET_LIMIT: "1000000",
      INVOICEBOX_NOTIFICATION_KEY: NOTIFICATION_KEY,
      INVOICEBOX_NOTIFICATION_URL: `http://localhost:${ports[0]}/hooks/invoicebox`,
      // Both transports: the HTTP tests below are unchanged, and the gate must be held once.
      INVOICEBOX_NOTIFICATION_TRANSPORT: "both",
      MEDUSA_BACKEND_URL: `http://localhost:${port}`,
    })
  instances = await Promise.all([startInstance("A", ports[0], env(ports[0])), startInstance("B", ports[1], env(ports[1]))])
  for (const i of instances) expect(i.lines.some((l) => /Connection to Redis in "locking-redis" provider established/.test(l.text))).toBe(true)

  lost = await checkout(instances[1])
  await paySilently(lost.invoiceId)
  // Rebuilding the migrated template (after a lock-file change) and booting two stores on a
  // busy machine can take minutes.
}, 480_000)

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await sandbox?.close()
  if (dbName) await dropDatabase(dbName).catch(() => undefined)
  await flushRedis().catch(() => undefined)
})

it(`${DELIVERIES} concurrent deliveries of one paid notification, spread over both instances, capture once`, async () => {
  const paid = await checkout(instances[0])
  await paySilently(paid.invoiceId)
  expect(await captures(paid.sessionId)).toBe(0)

  const invoice = sandbox.orders().find((o) => o.id === paid.invoiceId)!
  const raw = phpJson(invoice)
  const signature = signBody(raw, NOTIFICATION_KEY)
  const replies = await Promise.all(
    Array.from({ length: DELIVERIES }, async (_, n) => {
      const target = instances[n % 2]
      const res = await fetch(`${target.url}/hooks/invoicebox`, {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json", "x-signature": signature },
        signal: AbortSignal.timeout(30_000),
      })
      return { instance: target.name, status: res.status, body: await res.json() }
    })
  )

  expect(replies.filter((r) => r.instance === "A")).toHaveLength(DELIVERIES / 2)
  expect(replies.filter((r) => r.instance === "B")).toHaveLength(DELIVERIES / 2)
  expect(replies.map((r) => [r.status, r.body])).toEqual(Array.from({ length: DELIVERIES }, () => [200, { status: "success" }]))
  expect(await captures(paid.sessionId)).toBe(1)
  const rows = await ledger(paid.invoiceId)
  expect(rows).toHaveLength(1)
  expect(rows[0]).toMatchObject({ dedupe_key: `${paid.invoiceId}:completed`, verdict: "success" })
  const [{ status }] = await sql(dbName!, `SELECT status FROM payment_collection WHERE id = (SELECT payment_collection_id FROM payment_session WHERE id = $1)`, [
    paid.sessionId,
  ])
  expect(status).toBe("completed")
})

it("the reconciliation job runs once per cycle across both instances and settles the lost notification once", async () => {
  // The job is scheduled through the Redis workflow engine at every whole minute; wait for the
  // cycle that finds the lost payment (at most two: one may have started before it was paid).
  const deadline = Date.now() + 150_000
  while (!reconcileRuns().some((r) => r.kind === "run" && r.changed > 0)) {
    if (Date.now() > deadline) throw new Error(`no reconciliation run settled the payment; runs: ${JSON.stringify(reconcileRuns())}`)
    await new Promise((r) => setTimeout(r, 500))
  }
  // A second run of the same cycle, had the other instance started one, would end within seconds.
  await new Promise((r) => setTimeout(r, 8_000))

  const runs = reconcileRuns()
  const cycles = new Map<number, typeof runs>()
  for (const r of runs) {
    const minute = Math.floor(r.at / 60_000)
    cycles.set(minute, [...(cycles.get(minute) ?? []), r])
  }
  expect(cycles.size).toBeGreaterThanOrEqual(1)
  for (const [, inCycle] of cycles) {
    expect(inCycle.map((r) => r.kind)).toEqual(["run"])
  }

  expect(await captures(lost.sessionId)).toBe(1)
  const rows = await ledger(lost.invoiceId)
  expect(rows).toEqual([expect.objectContaining({ dedupe_key: `${lost.invoiceId}:completed`, verdict: "success", source: "reconciliation" })])
  // eslint-disable-next-line no-console
  console.log(`reconciliation cycles: ${[...cycles.values()].map((c) => `${c[0].instance}: ${c[0].text.replace(/^.*reconciliation[^:]*: /, "")}`).join(" | ")}`)
})

/** Which instances logged that they hold the gate lock, and which that they stand by. */
function gateRoles() {
  const holds = instances.filter((i) => i.lines.some((l) => /Invoicebox gate .*: this instance holds the gate lock/.test(l.text))).map((i) => i.name)
  const standsBy = instances.filter((i) => i.lines.some((l) => /Invoicebox gate .*: another instance holds the gate lock: standing by/.test(l.text))).map((i) => i.name)
  return { holds, standsBy }
}

async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

it("two instances hold one WebSocket gate connection between them; a paid invoice arrives by both transports and is captured once", async () => {
  await eventually(() => sandbox.gateState().connected === 1 && gateRoles().holds.length === 1 && gateRoles().standsBy.length === 1, "one leader, one standby")
  const { holds, standsBy } = gateRoles()
  expect(holds).not.toEqual(standsBy)
  expect(sandbox.gateState()).toMatchObject({ connected: 1, maxConcurrent: 1 })

  const paid = await checkout(instances[1])
  await sandbox.pay(paid.invoiceId)
  await eventually(
    () => sandbox.deliveries().filter((d) => d.orderId === paid.invoiceId && d.outcome === "delivered").length === 2,
    "the HTTP and the gate delivery answered success"
  )
  expect(await captures(paid.sessionId)).toBe(1)
  expect(await ledger(paid.invoiceId)).toEqual([expect.objectContaining({ dedupe_key: `${paid.invoiceId}:completed`, verdict: "success" })])
})

it("when the instance holding the gate dies, the other takes over and settles what the gate calls next, once", async () => {
  const { holds } = gateRoles()
  expect(holds).toHaveLength(1)
  const leader = instances.find((i) => i.name === holds[0])!
  const survivor = instances.find((i) => i !== leader)!
  // No goodbye: the lock is not released, so the survivor must wait for the lease to run out.
  process.kill(-leader.child.pid!, "SIGKILL")
  await eventually(() => leader.child.exitCode !== null || leader.child.signalCode !== null, "the leader's exit")
  await eventually(() => survivor.lines.some((l) => /Invoicebox gate .*: this instance holds the gate lock/.test(l.text)), "the survivor taking the lock")
  await eventually(() => sandbox.gateState().connected === 1, "the survivor's connection")
  expect(sandbox.gateState().maxConcurrent).toBe(1)

  const paid = await checkout(survivor)
  await sandbox.pay(paid.invoiceId)
  await eventually(
    () => sandbox.deliveries().some((d) => d.orderId === paid.invoiceId && d.transport === "websocket" && d.outcome === "delivered"),
    "the gate call answered by the survivor"
  )
  await eventually(async () => (await captures(paid.sessionId)) === 1, "the capture")
  expect(await ledger(paid.invoiceId)).toEqual([expect.objectContaining({ dedupe_key: `${paid.invoiceId}:completed`, verdict: "success" })])
})
