import fs from "node:fs"
import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { createInventoryLevelsWorkflow, createProductsWorkflow } from "@medusajs/medusa/core-flows"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { MERCHANT_ID, NOTIFICATION_KEY, adminHeaders, useSandbox } from "../helpers/env"
import { StoreClient } from "../helpers/checkout"
import { signBody } from "../../src/core"
import { phpJson } from "../../src/sandbox/json"
import { applyInvoiceState, resolveInvoiceboxProvider } from "../../src/lib"

jest.setTimeout(180_000)

// The scheduled run would race the tests that run the job by hand; they call its body directly.
const env = useSandbox({ INVOICEBOX_RECONCILE_INTERVAL_MINUTES: "0" })

const PROVIDER = "pp_invoicebox_invoicebox"
const PHP_SDK_FIXTURE = path.join(__dirname, "../../src/core/__tests__/fixtures/php-sdk-notification.json")

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient
    let admin: { headers: Record<string, string> }

    beforeEach(async () => {
      seed = await seedB2BStore(getContainer())
      store = new StoreClient(api, seed)
      admin = await adminHeaders(getContainer())
      env.sandbox().blockNotifications(false)
      env.sandbox().clearFaults()
    })

    afterEach(() => {
      jest.restoreAllMocks()
    })

    // --- helpers -------------------------------------------------------------------------

    const sandbox = () => env.sandbox()
    const container = (): MedusaContainer => getContainer()
    const provider = () => resolveInvoiceboxProvider(container(), "invoicebox")

    /** Runs `fn` with some provider options changed, and puts them back whatever happens. */
    async function withOptions<T>(patch: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
      const options = provider().options as unknown as Record<string, unknown>
      const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, options[k]]))
      Object.assign(options, patch)
      try {
        return await fn()
      } finally {
        Object.assign(options, saved)
      }
    }

    /** Storefront checkout; returns the session, its invoice in the sandbox and the order (if any). */
    async function checkout(items: Array<{ handle: string; quantity: number }> = [{ handle: "paper-a4", quantity: 2 }]) {
      const cart = await store.createCart(items)
      await store.addShipping(cart.id)
      const collection = await store.initiateSession(cart.id)
      const session = collection.payment_sessions.find((s: any) => s.provider_id === PROVIDER)
      // A pay-first store refuses to complete an unpaid cart (HTTP 400); that answer is data here.
      const completed = await store.complete(cart.id).catch((e) => {
        if (e.response?.status >= 400 && e.response?.status < 500) return { type: "error", error: e.response.data }
        throw e
      })
      const invoice = sandbox()
        .orders()
        .find((o) => o.id === session.data.invoicebox_order_id)!
      expect(invoice).toBeDefined()
      return { cartId: cart.id as string, session, invoice, orderId: completed.order?.id as string | undefined, completed }
    }

    /** The notification Invoicebox would send for this invoice, as exact bytes. */
    function notificationFor(invoice: Record<string, unknown>, patch: Record<string, unknown> = {}): string {
      return phpJson({ ...invoice, ...patch })
    }

    async function deliver(raw: string | Buffer, headers: Record<string, string> = {}) {
      const res = await api.post("/hooks/invoicebox", raw, {
        headers: { "content-type": "application/json", ...headers },
        transformRequest: [(d: unknown) => d],
        validateStatus: () => true,
        maxBodyLength: Infinity,
      })
      expect(res.status).toBe(200)
      expect(res.headers["content-type"]).toMatch(/application\/json/)
      return res.data as { status: string; code?: string; message?: string }
    }

    const signed = (raw: string, key = NOTIFICATION_KEY) => deliver(raw, { "X-Signature": signBody(raw, key) })

    /** Marks the invoice paid in the sandbox without notifying the store. */
    async function paySilently(invoiceId: string) {
      sandbox().blockNotifications(true)
      try {
        await sandbox().pay(invoiceId)
      } finally {
        sandbox().blockNotifications(false)
      }
      return sandbox()
        .orders()
        .find((o) => o.id === invoiceId)!
    }

    async function orderState(orderId: string) {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "order",
        fields: [
          "id",
          "payment_collections.status",
          "payment_collections.payments.id",
          "payment_collections.payments.captured_at",
          "payment_collections.payments.captures.id",
          "payment_collections.payments.captures.amount",
          "payment_collections.payment_sessions.status",
          "transactions.reference",
          "transactions.reference_id",
          "transactions.amount",
        ],
        filters: { id: orderId },
      })
      // payment_status is computed by the order routes, not stored: read it as the admin sees it.
      const { data: viaAdmin } = await api.get(`/admin/orders/${orderId}?fields=id,status,payment_status`, admin)
      const order = { ...(data[0] as any), status: viaAdmin.order.status, payment_status: viaAdmin.order.payment_status }
      const payments = (order.payment_collections ?? []).flatMap((c: any) => c.payments ?? [])
      const captures = payments.flatMap((p: any) => p.captures ?? [])
      const sessions = (order.payment_collections ?? []).flatMap((c: any) => c.payment_sessions ?? [])
      const transactions = (order.transactions ?? []) as Array<{ reference: string; reference_id: string; amount: unknown }>
      return { order, payments, captures, sessions, transactions }
    }

    async function sessionState(sessionId: string) {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "payment_session",
        fields: ["id", "status", "payment.id", "payment.captures.id", "payment_collection.status"],
        filters: { id: sessionId },
      })
      return data[0] as any
    }

    async function orderOfCart(cartId: string): Promise<string | undefined> {
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } })
      return (data[0] as any)?.order_id
    }

    async function ledger(invoiceId?: string) {
      const service: any = container().resolve("invoicebox")
      return (await service.listInvoiceboxNotifications(invoiceId ? { invoicebox_order_id: invoiceId } : {})) as any[]
    }

    async function expectAwaiting(orderId: string) {
      const state = await orderState(orderId)
      expect(state.order.payment_status).toBe("awaiting")
      expect(state.payments).toHaveLength(0)
      expect(state.captures).toHaveLength(0)
      expect(state.order.status).toBe("pending")
    }

    async function expectCapturedOnce(orderId: string) {
      const state = await orderState(orderId)
      expect(state.order.payment_status).toBe("captured")
      expect(state.payments).toHaveLength(1)
      expect(state.captures).toHaveLength(1)
      // The capture is booked on the order exactly once, so its paid total matches the payment.
      const booked = state.transactions.filter((t) => t.reference === "capture")
      expect(booked).toHaveLength(1)
      expect(booked[0].reference_id).toBe(state.captures[0].id)
      expect(Number(booked[0].amount)).toBe(Number(state.captures[0].amount))
      return state
    }

    // --- the verdict table -----------------------------------------------------------------

    describe("signature", () => {
      it("answers signature_error for a missing or wrong X-Signature and changes nothing", async () => {
        const { invoice, orderId } = await checkout()
        const raw = notificationFor({ ...invoice, status: "completed" })
        expect(await deliver(raw)).toMatchObject({ status: "error", code: "signature_error" })
        expect(await deliver(raw, { "X-Signature": signBody(raw, "another-key") })).toMatchObject({
          status: "error",
          code: "signature_error",
        })
        expect(await deliver(raw, { "X-Signature": "" })).toMatchObject({ code: "signature_error" })
        await expectAwaiting(orderId!)
        expect(await ledger()).toHaveLength(0)
      })

      it("accepts the header in any letter case and the hex digest in upper case", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice)
        expect(await deliver(raw, { "x-SIGNATURE": signBody(raw, NOTIFICATION_KEY).toUpperCase() })).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
      })

      it("uses the configured algorithm (sha256) when the shop chose it", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice)
        await withOptions({ signatureAlgorithm: "sha256" }, async () => {
          expect(await deliver(raw, { "X-Signature": signBody(raw, NOTIFICATION_KEY, "sha1") })).toMatchObject({
            code: "signature_error",
          })
          await expectAwaiting(orderId!)
          expect(await deliver(raw, { "X-Signature": signBody(raw, NOTIFICATION_KEY, "sha256") })).toEqual({ status: "success" })
        })
        await expectCapturedOnce(orderId!)
      })

      it("verifies the PHP SDK's example with key \"test\" (then order_not_found) and rejects it with one byte changed", async () => {
        const raw = fs.readFileSync(PHP_SDK_FIXTURE)
        const signature = "4731e2fb446ba519fd9d8798a1a0873f073189e8"
        await withOptions({ notificationKey: "test" }, async () => {
          expect(await deliver(raw, { "X-Signature": signature })).toMatchObject({ status: "error", code: "order_not_found" })
          const tampered = Buffer.from(raw)
          const at = tampered.indexOf("2790.67")
          tampered[at] = "3".charCodeAt(0)
          expect(await deliver(tampered, { "X-Signature": signature })).toMatchObject({ status: "error", code: "signature_error" })
        })
        // The store's own key does not verify the SDK's example.
        expect(await deliver(raw, { "X-Signature": signature })).toMatchObject({ code: "signature_error" })
      })
    })

    describe("input the route must survive", () => {
      it("answers HTTP 200 + JSON for garbage, a non-JSON content type and an oversized body", async () => {
        expect(await deliver("not json at all")).toMatchObject({ status: "error", code: "signature_error" })
        expect(await deliver("{broken", { "X-Signature": signBody("{broken", NOTIFICATION_KEY) })).toMatchObject({
          status: "error",
          code: "order_not_found",
        })
        expect(await deliver("[1,2]", { "X-Signature": signBody("[1,2]", NOTIFICATION_KEY) })).toMatchObject({ status: "error" })
        const big = JSON.stringify({ id: "x", pad: "a".repeat(300 * 1024) })
        const reply = await deliver(big, { "X-Signature": signBody(big, NOTIFICATION_KEY) })
        expect(reply).toMatchObject({ status: "error", code: "out_of_service" })
        expect(reply.message).toMatch(/256/)

        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice)
        const res = await deliver(raw, { "content-type": "text/plain", "X-Signature": signBody(raw, NOTIFICATION_KEY) })
        expect(res).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
      })
    })

    describe("merchant and monitoring", () => {
      it("refuses a notification for another merchant with a message saying so, and changes nothing", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice, { merchantId: "11111111-2222-3333-4444-555555555555" })
        const reply = await signed(raw)
        expect(reply.status).toBe("error")
        expect(reply.message).toMatch(/merchantId/)
        await expectAwaiting(orderId!)
        expect(await ledger()).toHaveLength(0)
      })

      it("answers Invoicebox's monitoring probe with success and touches nothing", async () => {
        const raw = phpJson({ id: MERCHANT_ID, merchantId: MERCHANT_ID, merchantOrderId: "", status: "completed", amount: 1, currencyId: "RUB" })
        expect(await signed(raw)).toEqual({ status: "success" })
        expect(await ledger()).toHaveLength(0)
      })
    })

    describe("unknown orders and wrong amounts", () => {
      it("answers order_not_found for an unknown merchantOrderId", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice, { merchantOrderId: "payses_01UNKNOWN000000000000000" })
        expect(await signed(raw)).toMatchObject({ status: "error", code: "order_not_found" })
        await expectAwaiting(orderId!)
      })

      it.each([
        ["amount", (inv: any) => ({ amount: Number(inv.amount) + 0.01 })],
        ["currency", () => ({ currencyId: "USD" })],
      ])("answers order_wrong_amount when the %s differs, warns, and captures nothing", async (_what, patch) => {
        const warn = jest.spyOn(container().resolve(ContainerRegistrationKeys.LOGGER), "warn")
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice, patch(invoice))
        expect(await signed(raw)).toMatchObject({ status: "error", code: "order_wrong_amount" })
        await expectAwaiting(orderId!)
        expect(warn.mock.calls.some(([m]) => String(m).includes(invoice.id) && String(m).includes("order_wrong_amount"))).toBe(true)
        const rows = await ledger(invoice.id)
        expect(rows.map((r) => r.verdict)).toEqual(["order_wrong_amount"])
      })

      it("accepts the same amount written differently (2150 vs 2150.00)", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice).replace(`"amount":${invoice.amount}`, `"amount":"${Number(invoice.amount).toFixed(2)}"`)
        expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
      })
    })

    describe("paid", () => {
      it("captures on the first completed notification, only once committed, and repeats change nothing", async () => {
        const { invoice, orderId, session } = await paidCheckout()
        const raw = notificationFor(invoice)
        expect(await signed(raw)).toEqual({ status: "success" })
        // The reply came after the commit: no polling needed.
        const state = await expectCapturedOnce(orderId!)
        expect(state.order.payment_collections[0].status).toBe("completed")
        for (let i = 0; i < 3; i++) expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        const rows = await ledger(invoice.id)
        expect(rows).toHaveLength(1)
        expect(rows[0]).toMatchObject({
          dedupe_key: `${invoice.id}:completed`,
          verdict: "success",
          source: "notification",
          payment_session_id: session.id,
          order_id: orderId,
          merchant_order_id: session.id,
        })
        expect(rows[0].processed_at).toBeTruthy()
        expect(rows[0].body_sha256).toMatch(/^[0-9a-f]{64}$/)
      })

      it("answers order_already_paid for another invoice of a payment already settled", async () => {
        const { invoice, orderId } = await paidCheckout()
        expect(await signed(notificationFor(invoice))).toEqual({ status: "success" })
        const other = notificationFor(invoice, { id: "0188d934-0000-0000-0000-000000000001" })
        expect(await signed(other)).toMatchObject({ status: "error", code: "order_already_paid" })
        await expectCapturedOnce(orderId!)
      })

      it("re-reads an unclear status (the SDK's \"success\") and captures when Invoicebox says completed", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice, { status: "success" })
        expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        // The real "completed" notification afterwards is the same payment: success, no second capture.
        expect(await signed(notificationFor(invoice))).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
      })

      it("re-reads \"processing\" / \"hold\" for an unpaid invoice and leaves the payment awaiting", async () => {
        const { invoice, orderId } = await checkout()
        expect(await signed(notificationFor(invoice, { status: "processing" }))).toEqual({ status: "success" })
        expect(await signed(notificationFor(invoice, { status: "hold" }))).toEqual({ status: "success" })
        await expectAwaiting(orderId!)
        // Invoicebox says "created": a "completed" body is not believed on its word alone either.
        expect(await signed(notificationFor(invoice, { status: "completed" }))).toMatchObject({ code: "out_of_service" })
        await expectAwaiting(orderId!)
      })
    })

    describe("a leaked notification key alone", () => {
      it.each(["canceled", "expired"])("cannot %s an order whose invoice Invoicebox still shows open", async (status) => {
        const { invoice, orderId, session } = await checkout()
        expect(await signed(notificationFor(invoice, { status }))).toEqual({ status: "success" })
        const state = await orderState(orderId!)
        expect(state.order.status).toBe("pending")
        expect((await sessionState(session.id)).status).not.toBe("canceled")
        expect(sandbox().orders().find((o) => o.id === invoice.id)!.status).toBe("created")
      })
    })

    describe("expired and cancelled invoices", () => {
      it("cancels the awaiting payment and the order, releasing its reservations", async () => {
        const variantId = await stockedVariant()
        seed.products.push({ id: "stocked", handle: "stocked", title: "stocked", variantIds: [variantId], variantSkus: ["STOCKED-1"] })
        const { invoice, orderId, session } = await checkout([{ handle: "stocked", quantity: 2 }])
        expect(await reservations(orderId!)).toBe(1)

        const expired = await sandbox().expire(invoice.id)
        expect(
          sandbox()
            .deliveries()
            .filter((d) => d.orderId === invoice.id)
            .map((d) => [d.status, d.outcome])
        ).toEqual([["expired", "delivered"]])

        const state = await orderState(orderId!)
        expect(state.order.status).toBe("canceled")
        expect(state.sessions.map((s: any) => s.status)).toEqual(["canceled"])
        expect(await reservations(orderId!)).toBe(0)
        expect((await sessionState(session.id)).status).toBe("canceled")
        expect(await signed(notificationFor(expired as any))).toEqual({ status: "success" })
      })

      it("with cancelOrderOnInvoiceExpiry off keeps the order and cancels only the payment", async () => {
        const { invoice, orderId } = await checkout()
        sandbox().blockNotifications(true)
        const canceled = await sandbox().cancel(invoice.id)
        sandbox().blockNotifications(false)
        await withOptions({ cancelOrderOnInvoiceExpiry: false }, async () => {
          expect(await signed(notificationFor(canceled as any))).toEqual({ status: "success" })
        })
        const state = await orderState(orderId!)
        expect(state.order.status).toBe("pending")
        expect(state.sessions.map((s: any) => s.status)).toEqual(["canceled"])
        expect(state.order.payment_status).toBe("canceled")
      })
    })

    describe("failures inside", () => {
      it("answers out_of_service when the database fails during processing; the redelivery captures once", async () => {
        const { invoice, orderId } = await paidCheckout()
        const payment = container().resolve(Modules.PAYMENT)
        const spy = jest.spyOn(payment, "authorizePaymentSession").mockRejectedValueOnce(new Error("connection terminated unexpectedly"))
        const raw = notificationFor(invoice)
        expect(await signed(raw)).toMatchObject({ status: "error", code: "out_of_service" })
        expect(spy).toHaveBeenCalled()
        await expectAwaiting(orderId!)
        expect((await ledger(invoice.id)).map((r) => r.verdict)).toEqual(["out_of_service"])

        expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        expect((await ledger(invoice.id)).map((r) => r.verdict)).toEqual(["success"])
      })

      it("answers out_of_service when the capture cannot be booked on the order; the redelivery books it once", async () => {
        const { invoice, orderId } = await paidCheckout()
        const orders = container().resolve(Modules.ORDER)
        const spy = jest.spyOn(orders, "addOrderTransactions").mockRejectedValueOnce(new Error("connection terminated unexpectedly"))
        const raw = notificationFor(invoice)
        expect(await signed(raw)).toMatchObject({ code: "out_of_service" })
        expect(spy).toHaveBeenCalled()
        // The money is captured in the payment module (a capture cannot be undone), not yet on the order.
        const half = await orderState(orderId!)
        expect(half.captures).toHaveLength(1)
        expect(half.transactions.filter((t) => t.reference === "capture")).toHaveLength(0)
        // The ledger keeps the cause, for the merchant reading the notification timeline.
        expect((await ledger(invoice.id))[0]).toMatchObject({ verdict: "out_of_service", message: expect.stringMatching(/connection terminated/) })

        expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        expect((await ledger(invoice.id)).map((r) => r.verdict)).toEqual(["success"])
      })

      it("answers out_of_service when the ledger cannot record the result; the redelivery succeeds without a second capture", async () => {
        const { invoice, orderId } = await paidCheckout()
        const ledgerService: any = container().resolve("invoicebox")
        const original = ledgerService.createInvoiceboxNotifications.bind(ledgerService)
        let calls = 0
        const spy = jest.spyOn(ledgerService, "createInvoiceboxNotifications").mockImplementation(async (...args: any[]) => {
          // The first write is the verdict of the first delivery, after the capture committed.
          if (++calls === 1) throw new Error("could not write: disk full")
          return original(...args)
        })
        const raw = notificationFor(invoice)
        expect(await signed(raw)).toMatchObject({ code: "out_of_service" })
        expect(spy).toHaveBeenCalled()
        await expectCapturedOnce(orderId!)
        expect((await ledger(invoice.id)).map((r) => r.verdict)).toEqual(["out_of_service"])
        expect(await signed(raw)).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        expect((await ledger(invoice.id)).map((r) => r.verdict)).toEqual(["success"])
      })

      it("answers out_of_service when the budget runs out, with nothing done; the retry then captures once", async () => {
        const { invoice, orderId } = await paidCheckout()
        // The re-read of an unclear status hangs (until the client's own 15 s timeout).
        sandbox().injectFault({ method: "GET", path: "/filter/api/order/order", mode: "hang", count: 1 })
        const unclear = { ...(invoice as any), status: "success" }
        const late = await applyInvoiceState(container(), { provider: provider(), invoice: unclear, source: "notification", deadline: Date.now() + 1500 })
        expect(late.verdict).toBe("out_of_service")
        await expectAwaiting(orderId!)
        // The retry waits for the abandoned attempt (same lock), which then finds the payment captured.
        const retry = await applyInvoiceState(container(), { provider: provider(), invoice: unclear, source: "notification", deadline: Date.now() + 40_000 })
        expect(retry.verdict).toBe("success")
        await expectCapturedOnce(orderId!)
      })
    })

    describe("through the sandbox", () => {
      it("checkout → pay in Invoicebox → the signed notification captures the order; one delivery answered success", async () => {
        const { invoice, orderId } = await checkout()
        await expectAwaiting(orderId!)
        const { data } = await api.post(`${sandbox().url}/__sandbox/orders/${invoice.id}/pay`, {})
        expect(data).toBeDefined()
        await expectCapturedOnce(orderId!)
        const deliveries = sandbox()
          .deliveries()
          .filter((d) => d.orderId === invoice.id)
        expect(deliveries).toHaveLength(1)
        expect(deliveries[0]).toMatchObject({ httpStatus: 200, outcome: "delivered", status: "completed" })
        expect(JSON.parse(deliveries[0].reply!)).toEqual({ status: "success" })
      })

      it("a hold authorizes the payment; the money arriving later captures it once", async () => {
        const { invoice, orderId } = await checkout()
        // The sandbox resolves after the delivery was answered, and the route answers after the commit.
        await sandbox().hold(invoice.id)
        const held = await orderState(orderId!)
        expect(held.order.payment_status).toBe("authorized")
        expect(held.payments).toHaveLength(1)
        expect(held.payments[0].captured_at).toBeFalsy()
        expect(held.captures).toHaveLength(0)

        await sandbox().pay(invoice.id)
        const state = await expectCapturedOnce(orderId!)
        expect(state.payments[0].id).toBe(held.payments[0].id)
        const replies = sandbox()
          .deliveries()
          .filter((d) => d.orderId === invoice.id)
          .map((d) => [d.status, JSON.parse(d.reply!)])
        expect(replies).toEqual([
          ["hold", { status: "success" }],
          ["completed", { status: "success" }],
        ])
      })

      it("30 concurrent deliveries of the same completed notification: one capture, 30 × success", async () => {
        const { invoice, orderId } = await paidCheckout()
        const raw = notificationFor(invoice)
        const replies = await Promise.all(Array.from({ length: 30 }, () => signed(raw)))
        expect(replies).toEqual(Array.from({ length: 30 }, () => ({ status: "success" })))
        await expectCapturedOnce(orderId!)
        expect(await ledger(invoice.id)).toHaveLength(1)
      })

      it("pay-first store: no order before payment; the paid notification creates it, captured", async () => {
        await withOptions({ requirePaymentBeforeOrder: true }, async () => {
          const { invoice, orderId, completed, cartId } = await checkout()
          expect(orderId).toBeUndefined()
          expect(completed.type).not.toBe("order")
          expect(await orderOfCart(cartId)).toBeUndefined()
          await sandbox().pay(invoice.id)
          const created = await orderOfCart(cartId)
          expect(created).toBeDefined()
          await expectCapturedOnce(created!)
          const deliveries = sandbox()
            .deliveries()
            .filter((d) => d.orderId === invoice.id)
          expect(deliveries.map((d) => d.outcome)).toEqual(["delivered"])
        })
      })
    })

    describe("stock checked when the money arrives (checkStockOnPayment)", () => {
      /** A pay-first checkout of 2 stocked units, then the stock drops to 1 before the payment. */
      async function soldOutCheckout() {
        const variantId = await stockedVariant()
        seed.products.push({ id: "stocked", handle: "stocked", title: "stocked", variantIds: [variantId], variantSkus: ["STOCKED-1"] })
        const result = await checkout([{ handle: "stocked", quantity: 2 }])
        expect(result.orderId).toBeUndefined()
        const query = container().resolve(ContainerRegistrationKeys.QUERY)
        const { data } = await query.graph({ entity: "product_variant", fields: ["inventory_items.inventory_item_id"], filters: { id: variantId } })
        const inventoryItemId = (data[0] as any).inventory_items[0].inventory_item_id
        await container()
          .resolve(Modules.INVENTORY)
          .updateInventoryLevels([{ inventory_item_id: inventoryItemId, location_id: seed.stockLocationId, stocked_quantity: 1 }])
        return result
      }

      /** Waits for the reversal that runs after the reply (not a timing assertion: no deadline is tested). */
      async function until<T>(read: () => T | undefined | Promise<T | undefined>): Promise<T> {
        for (let i = 0; i < 150; i++) {
          const value = await read()
          if (value) return value
          await new Promise((r) => setTimeout(r, 200))
        }
        throw new Error("condition not reached")
      }

      it("sold out between invoice and payment: shipping_unavailable, no order, guarantee payment reversed, reason in the ledger", async () => {
        await withOptions({ requirePaymentBeforeOrder: true, checkStockOnPayment: true }, async () => {
          const { invoice, cartId, session } = await soldOutCheckout()
          await sandbox().pay(invoice.id, { guarantee: true })
          const [paid] = sandbox().deliveries().filter((d) => d.orderId === invoice.id)
          expect(paid.outcome).toBe("rejected")
          expect(JSON.parse(paid.reply!)).toMatchObject({ status: "error", code: "shipping_unavailable" })
          expect(JSON.parse(paid.reply!).message).toContain("нет в нужном количестве")
          expect(await orderOfCart(cartId)).toBeUndefined()
          const rows = await ledger(invoice.id)
          expect(rows.find((r) => r.status === "completed")).toMatchObject({ verdict: "shipping_unavailable", payment_session_id: session.id })
          expect(rows.find((r) => r.status === "completed").message).toContain("out of stock: 2 needed, 1 available")

          // Reversed by DELETE (a guarantee payment), no refund; the cancellation notice cancels the session.
          await until(() => sandbox().orders().find((o) => o.id === invoice.id && o.status === "canceled"))
          expect(sandbox().refunds().filter((r) => r.parentId === invoice.id)).toHaveLength(0)
          await until(async () => (await sessionState(session.id)).status === "canceled")
          expect(await orderOfCart(cartId)).toBeUndefined()
        })
      })

      it("an ordinary payment cannot be reversed: it is refunded in full, once", async () => {
        await withOptions({ requirePaymentBeforeOrder: true, checkStockOnPayment: true }, async () => {
          const { invoice, cartId } = await soldOutCheckout()
          await sandbox().pay(invoice.id)
          expect(sandbox().deliveries().filter((d) => d.orderId === invoice.id).map((d) => d.error)).toEqual(["shipping_unavailable"])
          const refund = await until(() => sandbox().refunds().find((r) => r.parentId === invoice.id))
          expect(Math.round(refund.amount * 100)).toBe(Math.round(invoice.amount * 100))
          expect(refund.merchantOrderId).toBe(`undeliverable:${invoice.id}`)
          expect(sandbox().orders().find((o) => o.id === invoice.id)!.status).toBe("completed")
          expect(await orderOfCart(cartId)).toBeUndefined()
        })
      })

      it("option off (default): the same payment is not refused with shipping_unavailable", async () => {
        await withOptions({ requirePaymentBeforeOrder: true }, async () => {
          const { invoice } = await soldOutCheckout()
          await sandbox().pay(invoice.id, { guarantee: true })
          const [paid] = sandbox().deliveries().filter((d) => d.orderId === invoice.id)
          expect(paid.error).not.toBe("shipping_unavailable")
          expect(sandbox().orders().find((o) => o.id === invoice.id)!.status).toBe("completed")
        })
      })
    })

    describe("reconciliation job", () => {
      it("captures an order whose paid notification was lost, in one run", async () => {
        const { reconcileInvoiceboxPayments } = await import("../../src/jobs/invoicebox-reconcile")
        const { invoice, orderId } = await checkout()
        const untouched = await checkout()
        await paySilently(invoice.id)
        await expectAwaiting(orderId!)
        const report = await reconcileInvoiceboxPayments(container(), { pauseMs: 0 })
        expect(report.skipped).toBeUndefined()
        expect(report.errors).toBe(0)
        expect(report.refunds).toBeDefined()
        expect(report.checked).toBe(2)
        expect(report.results).toEqual([{ invoiceId: invoice.id, status: "completed", verdict: "success", effect: "captured" }])
        await expectCapturedOnce(orderId!)
        await expectAwaiting(untouched.orderId!)
        expect((await ledger(invoice.id))[0]).toMatchObject({ source: "reconciliation", verdict: "success" })

        // The notification that arrives late is a repeat.
        expect(await signed(notificationFor(sandbox().orders().find((o) => o.id === invoice.id)!))).toEqual({ status: "success" })
        await expectCapturedOnce(orderId!)
        const again = await reconcileInvoiceboxPayments(container(), { pauseMs: 0 })
        expect(again.changed).toBe(0)
      })

      it("re-reads every awaiting invoice within ceil(awaiting / maxInvoices) runs, least recently checked first", async () => {
        const { reconcileInvoiceboxPayments } = await import("../../src/jobs/invoicebox-reconcile")
        const open: string[] = []
        for (let i = 0; i < 5; i++) open.push((await checkout()).invoice.id)
        const client = provider().client
        const read: string[][] = []
        const original = client.findOrders.bind(client)
        const spy = jest.spyOn(client, "findOrders").mockImplementation(async (filter: any, paging: any) => {
          read.push([...(filter?.id ?? [])])
          return original(filter, paging)
        })
        try {
          for (let run = 0; run < 3; run++) {
            read.push([])
            await reconcileInvoiceboxPayments(container(), { pauseMs: 0, maxInvoices: 2, batchSize: 2, syncRefunds: false, cancelOrphans: false, retryShipments: false })
          }
        } finally {
          spy.mockRestore()
        }
        const runs = read.reduce<string[][]>((acc, ids) => (ids.length === 0 ? [...acc, []] : (acc[acc.length - 1].push(...ids), acc)), [])
        expect(runs.map((r) => r.length)).toEqual([2, 2, 2])
        expect(new Set([...runs[0], ...runs[1]]).size).toBe(4)
        expect(new Set(runs.flat())).toEqual(new Set(open))
        // The third run takes the one never checked, then the least recently checked of the first run.
        expect(runs[2].filter((id) => runs[0].includes(id))).toHaveLength(1)
      })

      it("cancels an order whose invoice expired silently, and never runs twice at once", async () => {
        const { reconcileInvoiceboxPayments } = await import("../../src/jobs/invoicebox-reconcile")
        const { invoice, orderId } = await checkout()
        sandbox().blockNotifications(true)
        await sandbox().expire(invoice.id)
        sandbox().blockNotifications(false)
        const [a, b] = await Promise.all([
          reconcileInvoiceboxPayments(container(), { pauseMs: 0 }),
          reconcileInvoiceboxPayments(container(), { pauseMs: 0 }),
        ])
        expect([a.skipped, b.skipped].filter(Boolean)).toEqual(["locked"])
        const state = await orderState(orderId!)
        expect(state.order.status).toBe("canceled")
      })
    })

    // --- more helpers ----------------------------------------------------------------------

    /** A checkout whose invoice is already paid in the sandbox, with the notification held back. */
    async function paidCheckout() {
      const result = await checkout()
      const invoice = await paySilently(result.invoice.id)
      await expectAwaiting(result.orderId!)
      return { ...result, invoice }
    }

    async function stockedVariant(): Promise<string> {
      const c = container()
      const profile = (await c.resolve(Modules.FULFILLMENT).listShippingProfiles({ type: "default" }))[0]
      const { result } = await createProductsWorkflow(c).run({
        input: {
          products: [
            {
              title: "Тонер на складе",
              handle: "stocked",
              status: "published",
              shipping_profile_id: profile.id,
              options: [{ title: "Вид", values: ["Один"] }],
              sales_channels: [{ id: seed.salesChannelId }],
              variants: [
                {
                  title: "Один",
                  sku: "STOCKED-1",
                  options: { Вид: "Один" },
                  manage_inventory: true,
                  prices: [{ currency_code: "rub", amount: 990 }],
                },
              ],
            },
          ] as any,
        },
      })
      const variant = result[0].variants[0]
      const query = c.resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "product_variant",
        fields: ["inventory_items.inventory_item_id"],
        filters: { id: variant.id },
      })
      const inventoryItemId = (data[0] as any).inventory_items[0].inventory_item_id
      await createInventoryLevelsWorkflow(c).run({
        input: { inventory_levels: [{ inventory_item_id: inventoryItemId, location_id: seed.stockLocationId, stocked_quantity: 10 }] },
      })
      return variant.id
    }

    async function reservations(orderId: string): Promise<number> {
      const { order } = await orderState(orderId)
      const query = container().resolve(ContainerRegistrationKeys.QUERY)
      const { data: items } = await query.graph({ entity: "order", fields: ["items.id"], filters: { id: order.id } })
      const lineItemIds = ((items[0] as any).items ?? []).map((i: any) => i.id)
      const inventory = container().resolve(Modules.INVENTORY)
      const list = await inventory.listReservationItems({ line_item_id: lineItemIds })
      return list.length
    }
  },
})
