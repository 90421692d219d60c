/**
 * Payment confirmations over Invoicebox's WebSocket gate (docs api/websockets.md), with the
 * store's notification URL unreachable: the store dials the sandbox's gate and settles every
 * onOrderStatusChange through the same path and ledger as the HTTP route.
 */
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { API_TOKEN, NOTIFICATION_KEY, adminHeaders, useSandbox } from "../helpers/env"
import { StoreClient } from "../helpers/checkout"
import { resolveInvoiceboxProvider } from "../../src/lib"

jest.setTimeout(180_000)

// Port 9 (discard) on loopback: nothing listens, every HTTP notification is refused.
const UNREACHABLE = "http://127.0.0.1:9/hooks/invoicebox"

const env = useSandbox(
  { INVOICEBOX_NOTIFICATION_TRANSPORT: "websocket", INVOICEBOX_NOTIFICATION_URL: UNREACHABLE, INVOICEBOX_RECONCILE_INTERVAL_MINUTES: "0" },
  // Enough tries, spread over enough time, for a reconnect between two of them.
  { notificationRetry: { attempts: 8, delaysMs: [1000, 2000, 3000, 5000, 8000] } }
)

const PROVIDER = "pp_invoicebox_invoicebox"

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient
    let admin: { headers: Record<string, string> }
    const sandbox = () => env.sandbox()
    const container = (): MedusaContainer => getContainer()

    beforeEach(async () => {
      seed = await seedB2BStore(getContainer())
      store = new StoreClient(api, seed)
      admin = await adminHeaders(getContainer())
      sandbox().clearFaults()
      await eventually(async () => sandbox().gateState().connected === 1, "the store's gate connection")
    })

    async function withOptions<T>(patch: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
      const options = resolveInvoiceboxProvider(container(), PROVIDER).options as unknown as Record<string, unknown>
      const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, options[k]]))
      Object.assign(options, patch)
      try {
        return await fn()
      } finally {
        Object.assign(options, saved)
      }
    }

    async function checkout() {
      const cart = await store.createCart([{ handle: "paper-a4", quantity: 2 }])
      await store.addShipping(cart.id)
      const collection = await store.initiateSession(cart.id)
      const session = collection.payment_sessions.find((s: any) => s.provider_id === PROVIDER)
      const completed = await store.complete(cart.id)
      expect(completed.type).toBe("order")
      return { sessionId: session.id as string, invoiceId: session.data.invoicebox_order_id as string, orderId: completed.order.id as string }
    }

    async function paymentOf(orderId: string) {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "order",
        fields: ["id", "payment_collections.payments.captures.id", "transactions.reference"],
        filters: { id: orderId },
      })
      const { data: viaAdmin } = await api.get(`/admin/orders/${orderId}?fields=id,payment_status`, admin)
      const payments = ((data[0] as any)?.payment_collections ?? []).flatMap((c: any) => c.payments ?? [])
      return {
        status: viaAdmin.order.payment_status as string,
        captures: payments.flatMap((p: any) => p.captures ?? []).length,
        booked: ((data[0] as any)?.transactions ?? []).filter((t: any) => t.reference === "capture").length,
      }
    }

    async function ledger(invoiceId: string) {
      const service: any = container().resolve("invoicebox")
      return (await service.listInvoiceboxNotifications({ invoicebox_order_id: invoiceId })) as any[]
    }

    const wsDeliveries = (invoiceId: string) => sandbox().deliveries().filter((d) => d.orderId === invoiceId && d.transport === "websocket")

    async function expectCapturedOnce(orderId: string, invoiceId: string) {
      await eventually(async () => (await paymentOf(orderId)).status === "captured", `order ${orderId} captured`)
      expect(await paymentOf(orderId)).toEqual({ status: "captured", captures: 1, booked: 1 })
      const rows = await ledger(invoiceId)
      expect(rows.map((r) => [r.dedupe_key, r.verdict, r.source])).toEqual([[`${invoiceId}:completed`, "success", "notification"]])
    }

    it("holds one gate connection, led by this instance, and invoices carry the configured (unreachable) URL", async () => {
      const status = (container().resolve("invoicebox") as any).gateStatus()
      expect(status).toEqual([expect.objectContaining({ providerId: PROVIDER, role: "leader", connected: true })])
      expect(status[0].url).toBe(`${sandbox().url.replace(/^http/, "ws")}/v3/gate/rpc`)
      expect(sandbox().gateState().maxConcurrent).toBe(1)
      const { data: health } = await api.get("/admin/invoicebox/health", admin)
      expect(health.notification_transport).toBe("websocket")
      expect(health.web_socket).toEqual({ url: status[0].url, gates: [expect.objectContaining({ role: "leader", connected: true })] })
      const { invoiceId } = await checkout()
      expect(sandbox().orders().find((o) => o.id === invoiceId)?.notificationUrl).toBe(UNREACHABLE)
    })

    it("paid over WebSocket → captured once, although the HTTP notification cannot reach the store", async () => {
      const { orderId, invoiceId } = await checkout()
      expect((await paymentOf(orderId)).status).toBe("awaiting")
      await sandbox().pay(invoiceId)
      await expectCapturedOnce(orderId, invoiceId)
      expect(wsDeliveries(invoiceId).map((d) => [d.attempt, d.outcome])).toEqual([[1, "delivered"]])
      const http = sandbox().deliveries().filter((d) => d.orderId === invoiceId && d.transport === "http")
      expect(http[0]).toMatchObject({ outcome: "failed", url: UNREACHABLE })
    })

    it.each([
      ["the gate drops the connection during the call", "drop-mid-call" as const],
      ["the store's reply is lost with the connection", "lose-reply" as const],
    ])("%s → the store reconnects, the call comes again, still captured once", async (_what, mode) => {
      const { orderId, invoiceId } = await checkout()
      const openedBefore = sandbox().gateState().opened
      sandbox().injectGateFault(mode)
      await sandbox().pay(invoiceId)
      await eventually(async () => wsDeliveries(invoiceId).some((d) => d.outcome === "delivered"), "a redelivered call answered success")
      const attempts = wsDeliveries(invoiceId)
      expect(attempts[0]).toMatchObject({ attempt: 1, outcome: "failed", willRetry: true })
      expect(attempts[attempts.length - 1].outcome).toBe("delivered")
      expect(sandbox().gateState().opened).toBeGreaterThan(openedBefore)
      await expectCapturedOnce(orderId, invoiceId)
    })

    it("both transports on → delivered by both, captured once, both answered success", async () => {
      const hook = `http://localhost:${env.storePort()}/hooks/invoicebox`
      const { orderId, invoiceId } = await withOptions({ notificationTransport: "both", notificationUrl: hook }, checkout)
      await sandbox().pay(invoiceId)
      await eventually(
        async () => sandbox().deliveries().filter((d) => d.orderId === invoiceId && d.outcome === "delivered").length === 2,
        "both deliveries answered success"
      )
      const delivered = sandbox()
        .deliveries()
        .filter((d) => d.orderId === invoiceId)
        .map((d) => [d.transport, d.outcome, d.url])
      expect(delivered.sort()).toEqual([
        ["http", "delivered", hook],
        ["websocket", "delivered", null],
      ])
      await expectCapturedOnce(orderId, invoiceId)
    })

    it("answers getStatus with the plugin's health and the gate's recent log, without secrets", async () => {
      const { reply, error } = await sandbox().callShop("getStatus", { logQuantity: 5 })
      expect(error).toBeNull()
      const result = (reply as any).result
      expect(result).toMatchObject({
        type: "plugin",
        settings: expect.objectContaining({ merchantId: expect.any(String), notificationTransport: "websocket", providerId: PROVIDER }),
      })
      expect(result.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(result.log.length).toBeGreaterThan(0)
      expect(result.log.length).toBeLessThanOrEqual(5)
      const text = JSON.stringify(reply)
      expect(text).not.toContain(API_TOKEN)
      expect(text).not.toContain(NOTIFICATION_KEY)
    })
  },
})
