import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { signBody } from "../../src/core"
import { startSandbox, type Sandbox } from "../../src/sandbox"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { adminHeaders, NOTIFICATION_KEY, useSandbox } from "../helpers/env"
import { eventually, StoreClient } from "../helpers/checkout"

jest.setTimeout(180_000)

// Two legal entities, two Invoicebox shops: the store's first provider (`invoicebox`, an ООО) on
// the sandbox of useSandbox, and a second one (`ip`, an ИП) with its own merchant, token and key
// on a sandbox of its own.
const SECOND = {
  merchantId: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
  apiToken: "itest-second-shop-token-7d1a46e8a3b5c6d7",
  notificationKey: "second-shop-notification-key",
}
let second: Sandbox
beforeAll(async () => {
  second = await startSandbox({ port: 0, ...SECOND, notificationRetry: { attempts: 2, delaysMs: [200] } })
})
afterAll(() => second?.close())
const env = useSandbox({
  // Read lazily by medusa-config when the runner boots, after the sandboxes are up.
  get INVOICEBOX_EXTRA_PROVIDERS() {
    return JSON.stringify([{ id: "ip", options: { ...SECOND, apiUrl: second.url } }])
  },
} as unknown as Record<string, string>)

const FIRST = "pp_invoicebox_invoicebox"
const IP = "pp_invoicebox_ip"

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient
    let admin: { headers: Record<string, string> }

    beforeAll(async () => {
      seed = await seedB2BStore(getContainer(), { extraProviders: [IP] })
      store = new StoreClient(api, seed)
      admin = await adminHeaders(getContainer())
    })

    const sandboxOf = (providerId: string) => (providerId === IP ? second : env.sandbox())
    const adminOrder = async (id: string) =>
      (await api.get(`/admin/orders/${id}?fields=*items,payment_status,*payment_collections.payments`, admin)).data.order

    /** Checkout through one shop, paid in that shop's sandbox, captured through its notification. */
    async function paidThrough(providerId: string) {
      const cart = await store.createCart([{ handle: "paper-a4", quantity: 2 }, { handle: "cartridge-85a", quantity: 1 }])
      await store.addShipping(cart.id)
      await store.initiateSession(cart.id, undefined, {}, providerId)
      const session = (await store.getCart(cart.id)).payment_collection.payment_sessions.find((s: any) => s.provider_id === providerId)
      const invoiceId = session.data.invoicebox_order_id
      expect(session.data.provider_id).toBe(providerId)
      expect(sandboxOf(providerId).orders().map((o) => o.id)).toContain(invoiceId)
      const { order } = await store.complete(cart.id)
      await sandboxOf(providerId).pay(invoiceId)
      const paid = await eventually(async () => {
        const o = await adminOrder(order.id)
        return o.payment_status === "captured" && o
      })
      return { order: paid, invoiceId, payment: paid.payment_collections[0].payments[0] }
    }

    it.each([FIRST, IP])("pays, refunds and ships through %s alone", async (providerId) => {
      const { order, invoiceId, payment } = await paidThrough(providerId)
      const other = providerId === IP ? env.sandbox() : second
      expect(other.orders().map((o) => o.id)).not.toContain(invoiceId)
      const delivered = sandboxOf(providerId).deliveries().filter((d) => d.orderId === invoiceId)
      expect(delivered.some((d) => JSON.parse(d.reply ?? "{}").status === "success")).toBe(true)

      await api.post(`/admin/payments/${payment.id}/refund`, { amount: 100 }, admin)
      expect(sandboxOf(providerId).refunds().filter((r) => r.parentId === invoiceId)).toHaveLength(1)
      expect(other.refunds().filter((r) => r.parentId === invoiceId)).toHaveLength(0)

      const items = order.items as any[]
      const { data } = await api.post(
        `/admin/orders/${order.id}/fulfillments?fields=*fulfillments`,
        { items: items.map((i) => ({ id: i.id, quantity: i.quantity })), location_id: seed.stockLocationId },
        admin
      )
      await api.post(`/admin/orders/${order.id}/fulfillments/${data.order.fulfillments[0].id}/shipments`, { items: items.map((i) => ({ id: i.id, quantity: i.quantity })) }, admin)
      await eventually(async () => sandboxOf(providerId).shipments().filter((s) => s.orderId === invoiceId).length === 1)
    })

    it("refuses a notification signed with one shop's key at the other shop's URL", async () => {
      const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
      await store.initiateSession(cart.id, undefined, {}, IP)
      const session = (await store.getCart(cart.id)).payment_collection.payment_sessions.find((s: any) => s.provider_id === IP)
      const invoice = second.orders().find((o) => o.id === session.data.invoicebox_order_id)!
      const body = JSON.stringify({ ...invoice, status: "completed" })
      const post = (path: string, key: string) =>
        api.post(path, body, { headers: { "content-type": "application/json", "x-signature": signBody(body, key) }, transformRequest: [(d: unknown) => d] })

      const wrongKey = await post("/hooks/invoicebox/ip", NOTIFICATION_KEY)
      expect(wrongKey.data).toMatchObject({ status: "error", code: "signature_error" })
      // The bare URL picks the shop by the body's merchantId: the ИП's key, not the first shop's.
      const bareWrongKey = await post("/hooks/invoicebox", NOTIFICATION_KEY)
      expect(bareWrongKey.data).toMatchObject({ status: "error", code: "signature_error" })
      // The first shop's URL with its own key: the session is the ИП's, so not found there.
      const otherShop = await post("/hooks/invoicebox/invoicebox", NOTIFICATION_KEY)
      expect(otherShop.data).toMatchObject({ status: "error", code: "order_not_found" })
      const payments = (await api.get(`/store/carts/${cart.id}?fields=*payment_collection.payment_sessions`, store.headers)).data.cart
      expect(payments.payment_collection.payment_sessions[0].status).toBe("pending")
    })

    it("shows both shops on the settings page's connection check", async () => {
      const { data } = await api.get("/admin/invoicebox/health", admin)
      expect(data.providers.map((p: any) => p.provider_id).sort()).toEqual([FIRST, IP])
      const ip = data.providers.find((p: any) => p.provider_id === IP)
      expect(ip.merchant_id).toBe(SECOND.merchantId)
      expect(ip.credentials.ok).toBe(true)
      expect(JSON.stringify(data)).not.toContain(SECOND.apiToken)
    })
  },
})
