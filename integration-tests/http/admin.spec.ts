import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { adminHeaders, useSandbox } from "../helpers/env"
import { eventually, StoreClient } from "../helpers/checkout"
import { syncInvoiceboxRefunds } from "../../src/lib/refund-sync"
import { resolveInvoiceboxProvider } from "../../src/lib"

jest.setTimeout(120_000)

const env = useSandbox()
const kop = (rubles: number | string) => Math.round(Number(rubles) * 100)

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient
    let admin: { headers: Record<string, string> }

    beforeEach(async () => {
      seed = await seedB2BStore(getContainer())
      store = new StoreClient(api, seed)
      admin = await adminHeaders(getContainer())
    })

    const adminOrder = async (id: string) =>
      (await api.get(`/admin/orders/${id}?fields=*items,payment_status,fulfillment_status,status,total,*payment_collections.payments.refunds,*payment_collections.payments`, admin)).data.order

    /** Checkout with the invoice, then the buyer pays it in the sandbox and the notification captures it. */
    async function paidOrder(items = [{ handle: "paper-a4", quantity: 3 }, { handle: "cartridge-85a", quantity: 2 }, { handle: "tax-code-book", quantity: 1 }]) {
      const cart = await store.createCart(items)
      await store.addShipping(cart.id)
      await store.initiateSession(cart.id)
      const fresh = await store.getCart(cart.id)
      const invoiceId = fresh.payment_collection.payment_sessions[0].data.invoicebox_order_id
      const { order } = await store.complete(cart.id)
      await env.sandbox().pay(invoiceId)
      const paid = await eventually(async () => {
        const o = await adminOrder(order.id)
        return o.payment_status === "captured" && o
      })
      return { order: paid, invoiceId, payment: paid.payment_collections[0].payments[0] }
    }

    const refund = (paymentId: string, amount?: number, extra: Record<string, unknown> = {}) =>
      api
        .post(`/admin/payments/${paymentId}/refund`, { ...(amount === undefined ? {} : { amount }), ...extra }, admin)
        .catch((e) => {
          throw Object.assign(new Error(`refund failed: ${e.response?.status} ${JSON.stringify(e.response?.data)}`), { response: e.response })
        })

    /** The admin's return flow for one unit of a line: request it back, then receive it at the warehouse. */
    async function receiveReturn(orderId: string, itemId: string): Promise<void> {
      const { data: created } = await api.post(`/admin/returns`, { order_id: orderId, location_id: seed.stockLocationId }, admin)
      const returnId = created.return.id
      await api.post(`/admin/returns/${returnId}/request-items`, { items: [{ id: itemId, quantity: 1 }] }, admin)
      await api.post(`/admin/returns/${returnId}/shipping-method`, { shipping_option_id: seed.returnShippingOptionId }, admin)
      await api.post(`/admin/returns/${returnId}/request`, {}, admin)
      await api.post(`/admin/returns/${returnId}/receive`, {}, admin)
      await api.post(`/admin/returns/${returnId}/receive-items`, { items: [{ id: itemId, quantity: 1 }] }, admin)
      await api.post(`/admin/returns/${returnId}/receive/confirm`, {}, admin)
    }

    const sandboxRefunds = (invoiceId: string) => env.sandbox().refunds().filter((r) => r.parentId === invoiceId)

    describe("refunds", () => {
      it("a full refund refunds every line in one Invoicebox refund", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        await refund(payment.id)
        const refunds = sandboxRefunds(invoiceId)
        expect(refunds).toHaveLength(1)
        const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
        expect(kop(refunds[0].amount)).toBe(kop(invoice.amount))
        expect(new Set(refunds[0].basketItems.map((l: any) => l.sku))).toEqual(new Set((invoice.basketItems as any[]).map((l) => l.sku)))
        expect((await adminOrder(order.id)).payment_status).toBe("refunded")
      })

      it("two partial refunds and the rest add up to the order", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        const total = kop(env.sandbox().orders().find((o) => o.id === invoiceId)!.amount)
        await refund(payment.id, 1000.55, { note: "Брак упаковки" })
        expect((await adminOrder(order.id)).payment_status).toBe("partially_refunded")
        await refund(payment.id, 333.33)
        const rest = (total - 100055 - 33333) / 100
        await refund(payment.id, rest)
        const refunds = sandboxRefunds(invoiceId)
        expect(refunds).toHaveLength(3)
        expect(refunds.reduce((s, r) => s + kop(r.amount), 0)).toBe(total)
        expect(refunds[0].description).toContain("Брак упаковки")
        expect(new Set(refunds.map((r) => r.merchantOrderId)).size).toBe(3)
        expect((await adminOrder(order.id)).payment_status).toBe("refunded")
      })

      it("refuses a refund above what was captured, and nothing reaches Invoicebox", async () => {
        const { payment, invoiceId, order } = await paidOrder()
        const err = await refund(payment.id, Number(order.total) + 1).catch((e) => e)
        expect(err.response.status).toBeGreaterThanOrEqual(400)
        expect(err.response.status).toBeLessThan(500)
        expect(sandboxRefunds(invoiceId)).toHaveLength(0)
      })

      it("a refund committed by Invoicebox whose answer was lost is recorded once", async () => {
        const { payment, invoiceId } = await paidOrder()
        env.sandbox().injectFault({ method: "POST", path: "/billing/api/order/refund-order", mode: "commit-then-drop", count: 1 })
        const { data } = await refund(payment.id, 500)
        expect(data.payment.refunds).toHaveLength(1)
        expect(sandboxRefunds(invoiceId)).toHaveLength(1)
      })

      describe("with a fee (draft refund + correction order)", () => {
        const withFee = (orderId: string, body: Record<string, unknown>) =>
          api.post(`/admin/invoicebox/orders/${orderId}/refund-with-fee`, body, admin).catch((e) => {
            throw Object.assign(new Error(`refund with fee failed: ${e.response?.status} ${JSON.stringify(e.response?.data)}`), { response: e.response })
          })
        /** 1000.55 of goods back, 123.45 kept as a restocking fee at 20 % VAT (20.58 of it VAT): the buyer gets 877.10. */
        const form = (key?: string) => ({
          amount: 1000.55,
          fee: { amount: 123.45, name: "Сбор за возврат / Restocking fee", vat_code: "RUS_VAT20", type: "service" },
          note: "Вскрытая упаковка",
          ...(key ? { idempotency_key: key } : {}),
        })
        const corrections = (refundId: string) => env.sandbox().orders().filter((o) => o.parentId === refundId)

        it("refunds the goods minus the fee, with the fee as a correction order, booked and shown kopeck-exact", async () => {
          const { order, invoiceId } = await paidOrder()
          const { data } = await withFee(order.id, form())
          const [r] = sandboxRefunds(invoiceId)
          expect(sandboxRefunds(invoiceId)).toHaveLength(1)
          // The refund names goods worth the full 1000.55 (the return receipt) and pays out 877.10.
          expect(r.basketItems.reduce((s: number, l: any) => s + kop(l.totalAmount), 0)).toBe(100055)
          expect(kop(r.amount)).toBe(87710)
          expect(r.status).toBe("completed")
          const [c] = corrections(r.id)
          expect(corrections(r.id)).toHaveLength(1)
          expect([kop(c.amount), kop(c.vatAmount), c.status]).toEqual([12345, 2058, "completed"])
          expect(c.basketItems).toEqual([
            expect.objectContaining({ name: "Сбор за возврат / Restocking fee", vatCode: "RUS_VAT20", type: "service", quantity: 1, totalAmount: 123.45, totalVatAmount: 20.58 }),
          ])
          const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
          expect(c.customer).toEqual(invoice.customer)

          const o = await adminOrder(order.id)
          const refunds = o.payment_collections[0].payments[0].refunds
          expect(refunds.map((x: any) => Number(x.amount))).toEqual([877.1])
          expect(o.payment_status).toBe("partially_refunded")

          const view = (await api.get(`/admin/invoicebox/orders/${order.id}`, admin)).data
          const shown = view.invoices[0].refunds
          expect(shown).toHaveLength(1)
          expect(shown[0]).toMatchObject({ id: r.id, amount_kopecks: 87710, medusa_refund_id: refunds[0].id })
          expect(shown[0].fee).toEqual({
            gross_kopecks: 100055,
            fee_kopecks: 12345,
            fee_vat_kopecks: 2058,
            name: "Сбор за возврат / Restocking fee",
            vat_code: "RUS_VAT20",
            type: "service",
            correction_order_id: c.id,
          })
          expect(data.view.invoices[0].refunds[0].fee.correction_order_id).toBe(c.id)
        })

        it("a correction committed by Invoicebox whose answer was lost is made once", async () => {
          const { order, invoiceId } = await paidOrder()
          env.sandbox().injectFault({ method: "POST", path: "/billing/api/order/correction-order", mode: "commit-then-drop", count: 1 })
          await withFee(order.id, form())
          const refunds = sandboxRefunds(invoiceId)
          expect(refunds).toHaveLength(1)
          expect(corrections(refunds[0].id)).toHaveLength(1)
          expect(kop(refunds[0].amount)).toBe(87710)
          expect((await adminOrder(order.id)).payment_collections[0].payments[0].refunds).toHaveLength(1)
        })

        it("after a failed correction the admin's retry finishes the same draft: one refund, one fee", async () => {
          const { order, invoiceId } = await paidOrder()
          // Both the first send and its one resend fail: the provider gives up, Medusa rolls its refund back.
          env.sandbox().injectFault({ method: "POST", path: "/billing/api/order/correction-order", mode: "500", count: 2 })
          const key = `form-${Date.now()}`
          const failed = await withFee(order.id, form(key)).catch((e) => e)
          expect(failed.response.status).toBeGreaterThanOrEqual(400)
          expect(sandboxRefunds(invoiceId).map((r) => r.status)).toEqual(["draft"])
          expect((await adminOrder(order.id)).payment_collections[0].payments[0].refunds ?? []).toHaveLength(0)

          await withFee(order.id, form(key))
          const refunds = sandboxRefunds(invoiceId)
          expect(refunds).toHaveLength(1)
          expect(corrections(refunds[0].id)).toHaveLength(1)
          expect(kop(refunds[0].amount)).toBe(87710)
          const booked = (await adminOrder(order.id)).payment_collections[0].payments[0].refunds
          expect(booked.map((x: any) => Number(x.amount))).toEqual([877.1])

          // The same form once more (its answer lost in the browser): nothing new anywhere.
          const again = await withFee(order.id, form(key))
          expect(again.data.medusa_refund_id).toBe(booked[0].id)
          expect(sandboxRefunds(invoiceId)).toHaveLength(1)
          expect(corrections(refunds[0].id)).toHaveLength(1)
          expect((await adminOrder(order.id)).payment_collections[0].payments[0].refunds).toHaveLength(1)
        })

        it("a received return refunded for less than its goods keeps the difference as a fee line when the merchant opts in", async () => {
          const options = resolveInvoiceboxProvider(getContainer(), "pp_invoicebox_invoicebox").options
          options.returnFee = true
          try {
            const { order, invoiceId, payment } = await paidOrder()
            const cartridge = order.items.find((i: any) => i.variant_sku === "CART-85A")
            await api.post(
              `/admin/orders/${order.id}/fulfillments`,
              { items: order.items.map((i: any) => ({ id: i.id, quantity: i.quantity })), location_id: seed.stockLocationId },
              admin
            )
            await receiveReturn(order.id, cartridge.id)
            const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
            const unit = kop((invoice.basketItems as any[]).find((l) => l.sku === "CART-85A").amount)
            // The merchant refunds the cartridge minus 100.00 (e.g. a damaged box).
            await refund(payment.id, (unit - 10000) / 100)
            const [r] = sandboxRefunds(invoiceId)
            expect(sandboxRefunds(invoiceId)).toHaveLength(1)
            expect(r.basketItems.map((l: any) => [l.sku, l.quantity, kop(l.totalAmount)])).toEqual([["CART-85A", 1, unit]])
            expect(kop(r.amount)).toBe(unit - 10000)
            const [c] = corrections(r.id)
            expect(corrections(r.id)).toHaveLength(1)
            expect([kop(c.amount), kop(c.vatAmount)]).toEqual([10000, 0])
            expect(c.basketItems).toEqual([expect.objectContaining({ name: "Удержание при возврате товара", vatCode: "VATNONE", type: "service" })])
            const booked = (await adminOrder(order.id)).payment_collections[0].payments[0].refunds
            expect(booked.map((x: any) => kop(x.amount))).toEqual([unit - 10000])
            const view = (await api.get(`/admin/invoicebox/orders/${order.id}`, admin)).data
            expect(view.invoices[0].refunds[0].fee).toMatchObject({ gross_kopecks: unit, fee_kopecks: 10000, correction_order_id: c.id })
          } finally {
            options.returnFee = false
          }
        })

        it("refuses a fee not below the refund, and nothing reaches Invoicebox", async () => {
          const { order, invoiceId } = await paidOrder()
          const err = await withFee(order.id, { ...form(), fee: { ...form().fee, amount: 1000.55 } }).catch((e) => e)
          expect(err.response.status).toBe(400)
          expect(err.response.data.message).toContain("/")
          expect(sandboxRefunds(invoiceId)).toHaveLength(0)
        })
      })

      it("refunding a received return names exactly the returned line and quantity", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        const cartridge = order.items.find((i: any) => i.variant_sku === "CART-85A")
        const { data: f } = await api.post(
          `/admin/orders/${order.id}/fulfillments`,
          { items: order.items.map((i: any) => ({ id: i.id, quantity: i.quantity })), location_id: seed.stockLocationId },
          admin
        )
        expect(f.order).toBeDefined()
        // The admin's return flow: request the cartridge back, then receive it at the warehouse.
        await receiveReturn(order.id, cartridge.id)
        const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
        const unit = (invoice.basketItems as any[]).find((l) => l.sku === "CART-85A").amount
        await refund(payment.id, unit)
        const [r] = sandboxRefunds(invoiceId)
        expect(r.basketItems.map((l: any) => [l.sku, l.quantity])).toEqual([["CART-85A", 1]])
      })

      it("records a refund made in the Invoicebox cabinet once, however often the job runs", async () => {
        const { order, invoiceId } = await paidOrder()
        const cabinet = env.sandbox().createRefund(invoiceId, { amount: 250 } as any)
        await syncInvoiceboxRefunds(getContainer(), resolveInvoiceboxProvider(getContainer(), "invoicebox"), { pauseMs: 0 })
        await syncInvoiceboxRefunds(getContainer(), resolveInvoiceboxProvider(getContainer(), "invoicebox"), { pauseMs: 0 })
        const o = await adminOrder(order.id)
        const refunds = o.payment_collections[0].payments[0].refunds
        expect(refunds).toHaveLength(1)
        expect(Number(refunds[0].amount)).toBe(250)
        expect(refunds[0].note).toContain("Invoicebox")
        expect(refunds[0].note).toContain(cabinet.id)
        expect(o.payment_status).toBe("partially_refunded")
      })
    })

    describe("twin refunds (Invoicebox does not refuse a reused merchantOrderId by default)", () => {
      it("a second Invoicebox refund under a Medusa refund's number is booked as money of its own, not merged into the first", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        await refund(payment.id, 100)
        const [first] = sandboxRefunds(invoiceId)
        // What a resend whose first attempt committed late leaves behind.
        const twin = env.sandbox().createRefund(invoiceId, { amount: 100, merchantOrderId: first.merchantOrderId } as any)
        const sync = () => syncInvoiceboxRefunds(getContainer(), resolveInvoiceboxProvider(getContainer(), "invoicebox"), { pauseMs: 0 })
        await sync()
        await sync()
        const refunds = (await adminOrder(order.id)).payment_collections[0].payments[0].refunds
        expect(refunds.map((r: any) => Number(r.amount)).sort()).toEqual([100, 100])
        expect(refunds.filter((r: any) => String(r.note ?? "").includes(twin.id))).toHaveLength(1)
      })
    })

    describe("bookkeeping nobody can forge or lose", () => {
      const widget = async (orderId: string) => (await api.get(`/admin/invoicebox/orders/${orderId}?live=false`, admin)).data
      const forgePaymentData = async (paymentId: string, extra: Record<string, unknown>) => {
        // What a 0.1 session could carry: the storefront's keys merged into the provider's data.
        const payments = getContainer().resolve(Modules.PAYMENT)
        const current = await payments.retrievePayment(paymentId, { select: ["id", "data"] })
        await payments.updatePayment({ id: paymentId, data: { ...(current.data as object), ...extra } } as any)
      }
      const sync = () => syncInvoiceboxRefunds(getContainer(), resolveInvoiceboxProvider(getContainer(), "invoicebox"), { pauseMs: 0 })

      it("a forged pending cabinet refund in the payment data cannot make a refund skip Invoicebox", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        await forgePaymentData(payment.id, {
          cabinet_refund_pending: { id: "forged", amount_kopecks: Math.round(Number(order.total) * 100), status: "completed" },
          refunds: [{ id: "forged-refund", merchant_order_id: "", amount_kopecks: 100, status: "completed", source: "cabinet" }],
        })
        await refund(payment.id)
        const refunds = sandboxRefunds(invoiceId)
        expect(refunds).toHaveLength(1)
        expect(kop(refunds[0].amount)).toBe(kop(env.sandbox().orders().find((o) => o.id === invoiceId)!.amount))
        const shown = (await widget(order.id)).invoices[0].refunds
        expect(shown.map((r: any) => r.id)).toEqual([refunds[0].id])
      })

      it("two concurrent partial refunds and a cabinet refund being booked at once: each once in Invoicebox and in Medusa", async () => {
        const { order, invoiceId, payment } = await paidOrder()
        const cabinet = env.sandbox().createRefund(invoiceId, { amount: 50 } as any)
        // The payment module's refund is what the provider sees; the admin route additionally
        // opens an order change, which lets only one admin refund of an order run at a time.
        const payments = getContainer().resolve(Modules.PAYMENT)
        await Promise.all([payments.refundPayment({ payment_id: payment.id, amount: 100 }), payments.refundPayment({ payment_id: payment.id, amount: 250 }), sync()])
        await sync()
        expect(sandboxRefunds(invoiceId).map((r) => kop(r.amount)).sort((a, b) => a - b)).toEqual([5000, 10000, 25000])
        const medusa = (await adminOrder(order.id)).payment_collections[0].payments[0].refunds
        expect(medusa.map((r: any) => Number(r.amount)).sort((a: number, b: number) => a - b)).toEqual([50, 100, 250])
        expect(medusa.find((r: any) => Number(r.amount) === 50).note).toContain(cabinet.id)
        expect((await widget(order.id)).invoices[0].refunds).toHaveLength(3)
      })

      it("a refund whose record is gone from the payment data is not booked again as a cabinet refund", async () => {
        const { order, payment } = await paidOrder()
        await refund(payment.id, 300)
        await forgePaymentData(payment.id, { refunds: [] })
        await sync()
        await sync()
        const medusa = (await adminOrder(order.id)).payment_collections[0].payments[0].refunds
        expect(medusa).toHaveLength(1)
      })
    })

    describe("B2B ships before it is paid", () => {
      it("a shipment of an unpaid order is registered with Invoicebox when the invoice is paid", async () => {
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 3 }, { handle: "cartridge-85a", quantity: 1 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const invoiceId = (await store.getCart(cart.id)).payment_collection.payment_sessions[0].data.invoicebox_order_id
        const { order } = await store.complete(cart.id)
        const items = (await adminOrder(order.id)).items as any[]
        const { data } = await api.post(
          `/admin/orders/${order.id}/fulfillments?fields=*fulfillments`,
          { items: items.map((i) => ({ id: i.id, quantity: i.quantity })), location_id: seed.stockLocationId },
          admin
        )
        const fulfillment = data.order.fulfillments[0]
        await api.post(`/admin/orders/${order.id}/fulfillments/${fulfillment.id}/shipments`, { items: items.map((i) => ({ id: i.id, quantity: i.quantity })) }, admin)
        const store_ = getContainer().resolve("invoicebox") as any
        const waiting = await eventually(async () => {
          const [row] = await store_.listInvoiceboxShipments({ fulfillment_id: fulfillment.id })
          return row?.status === "waiting_payment" && row
        })
        expect(waiting.order_id).toBe(order.id)
        expect(env.sandbox().shipments().filter((x) => x.orderId === invoiceId)).toHaveLength(0)

        await env.sandbox().pay(invoiceId)
        const shipped = await eventually(async () => {
          const s = env.sandbox().shipments().filter((x) => x.orderId === invoiceId)
          return s.length === 1 && s
        })
        const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
        expect(shipped[0].basketItems.reduce((t: number, l: any) => t + kop(l.totalAmount), 0)).toBe(kop(invoice.amount))
        const [row] = await store_.listInvoiceboxShipments({ fulfillment_id: fulfillment.id })
        expect(row.status).toBe("registered")
        expect(row.invoicebox_shipment_id).toBe(String(shipped[0].id))
      })
    })

    describe("a held invoice (funds reserved, not debited)", () => {
      it("is not captured, and cancelling the order releases the hold in Invoicebox", async () => {
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const invoiceId = (await store.getCart(cart.id)).payment_collection.payment_sessions[0].data.invoicebox_order_id
        const { order } = await store.complete(cart.id)
        await env.sandbox().hold(invoiceId)
        const authorized = await eventually(async () => {
          const o = await adminOrder(order.id)
          const p = o.payment_collections[0].payments?.[0]
          return p && !p.captured_at && p
        })
        const err = await api.post(`/admin/payments/${authorized.id}/capture`, {}, admin).catch((e) => e)
        expect(err.response?.status).toBeGreaterThanOrEqual(400)
        expect(JSON.stringify(err.response?.data)).toMatch(/hold/)
        const after = await adminOrder(order.id)
        expect(after.payment_collections[0].payments[0].captured_at).toBeFalsy()
        expect(after.payment_status).not.toBe("captured")

        await api.post(`/admin/orders/${order.id}/cancel`, {}, admin)
        expect(env.sandbox().orders().find((o) => o.id === invoiceId)!.status).toBe("canceled")
        expect((await adminOrder(order.id)).status).toBe("canceled")
      })
    })

    describe("invoices the admin can manage", () => {
      async function unpaidOrder() {
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const invoiceId = (await store.getCart(cart.id)).payment_collection.payment_sessions[0].data.invoicebox_order_id
        const { order } = await store.complete(cart.id)
        return { order, invoiceId }
      }
      const failure = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a refusal") }, (e) => e.response)

      it("extends an unpaid invoice's term in Invoicebox, within 30 days, and the timeline says so", async () => {
        const { order, invoiceId } = await unpaidOrder()
        const before = env.sandbox().orders().find((o) => o.id === invoiceId)!.expirationDate
        const target = new Date(Date.parse(before) + 5 * 86_400_000)
        target.setUTCMilliseconds(0)
        const { data } = await api.post(`/admin/invoicebox/orders/${order.id}/extend-term`, { expires_at: target.toISOString() }, admin)
        expect(Date.parse(env.sandbox().orders().find((o) => o.id === invoiceId)!.expirationDate)).toBe(target.getTime())
        expect(data.result).toMatchObject({ invoicebox_order_id: invoiceId, expires_at: target.toISOString() })
        expect(data.view.invoices[0].invoice.expires_at).toBe(target.toISOString())
        const entry = data.view.timeline.find((t: any) => t.status === "term_extended")
        expect(entry).toMatchObject({ source: "admin", verdict: "success", invoicebox_order_id: invoiceId })
        expect(entry.message).toContain(target.toISOString())

        // Beyond 30 days from now, or not later than the current term: refused, nothing sent.
        const far = await failure(api.post(`/admin/invoicebox/orders/${order.id}/extend-term`, { expires_at: new Date(Date.now() + 31 * 86_400_000).toISOString() }, admin))
        expect(far.status).toBe(400)
        expect(far.data.message).toContain("30")
        const earlier = await failure(api.post(`/admin/invoicebox/orders/${order.id}/extend-term`, { expires_at: before }, admin))
        expect(earlier.status).toBe(400)
        expect(Date.parse(env.sandbox().orders().find((o) => o.id === invoiceId)!.expirationDate)).toBe(target.getTime())
      })

      it("sends the payment link through the notification module (local email provider), audited; a paid invoice is refused", async () => {
        const { order, invoiceId } = await unpaidOrder()
        const { data } = await api.post(`/admin/invoicebox/orders/${order.id}/send-payment-link`, {}, admin)
        const notifications = getContainer().resolve(Modules.NOTIFICATION)
        const [sent] = await notifications.listNotifications({ id: data.result.notification_id })
        const paymentUrl = env.sandbox().orders().find((o) => o.id === invoiceId)!.paymentUrl
        expect(sent).toMatchObject({ channel: "email", template: "invoicebox-payment-link", resource_id: order.id, to: order.email })
        expect(sent.data.payment_url).toBe(paymentUrl)
        expect(sent.data.subject).toContain(String(order.display_id))
        expect(data.view.timeline.find((t: any) => t.status === "link_sent").message).toContain(order.email)

        await env.sandbox().pay(invoiceId)
        await eventually(async () => (await adminOrder(order.id)).payment_status === "captured")
        const paid = await failure(api.post(`/admin/invoicebox/orders/${order.id}/send-payment-link`, {}, admin))
        expect(paid.status).toBe(400)
        expect(await notifications.listNotifications({ resource_id: order.id })).toHaveLength(1)
      })
    })

    describe("cancellation", () => {
      it("cancelling an unpaid order cancels its invoice", async () => {
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const invoiceId = (await store.getCart(cart.id)).payment_collection.payment_sessions[0].data.invoicebox_order_id
        const { order } = await store.complete(cart.id)
        await api.post(`/admin/orders/${order.id}/cancel`, {}, admin)
        expect(env.sandbox().orders().find((o) => o.id === invoiceId)!.status).toBe("canceled")
        expect((await adminOrder(order.id)).status).toBe("canceled")
      })
    })

    describe("cancellation of an invoice paid in the meantime", () => {
      it("refuses to cancel, says why, and records the payment", async () => {
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const invoiceId = (await store.getCart(cart.id)).payment_collection.payment_sessions[0].data.invoicebox_order_id
        const { order } = await store.complete(cart.id)
        env.sandbox().blockNotifications(true)
        await env.sandbox().pay(invoiceId)
        env.sandbox().blockNotifications(false)
        const err = await api.post(`/admin/orders/${order.id}/cancel`, {}, admin).catch((e) => e)
        expect(err.response.status).toBe(409)
        expect(err.response.data.message).toMatch(/уже оплачен.*\/.*already been paid/s)
        const after = await adminOrder(order.id)
        expect(after.status).not.toBe("canceled")
        expect(after.payment_status).toBe("captured")
        expect(env.sandbox().orders().find((o) => o.id === invoiceId)!.status).toBe("completed")
      })
    })

    describe("closing documents", () => {
      it("each shipment registers an Invoicebox shipment; together they make the order", async () => {
        const { order, invoiceId } = await paidOrder()
        const items = order.items as any[]
        const ship = async (selected: any[]) => {
          const { data } = await api.post(
            `/admin/orders/${order.id}/fulfillments?fields=*fulfillments,*fulfillments.items`,
            { items: selected.map((i) => ({ id: i.id, quantity: i.quantity })), location_id: seed.stockLocationId },
            admin
          )
          const fulfillment = data.order.fulfillments.find((f: any) => !f.shipped_at && f.items.some((fi: any) => fi.line_item_id === selected[0].id))
          await api.post(`/admin/orders/${order.id}/fulfillments/${fulfillment.id}/shipments`, { items: selected.map((i) => ({ id: i.id, quantity: i.quantity })) }, admin)
        }
        await ship(items.slice(0, 2))
        const first = await eventually(async () => {
          const s = env.sandbox().shipments().filter((x) => x.orderId === invoiceId)
          return s.length === 1 && s
        })
        const skus = new Set(items.slice(0, 2).map((i) => i.variant_sku))
        expect(first[0].basketItems.filter((l: any) => !String(l.sku).startsWith("shipping_")).every((l: any) => skus.has(l.sku))).toBe(true)
        await ship(items.slice(2))
        const both = await eventually(async () => {
          const s = env.sandbox().shipments().filter((x) => x.orderId === invoiceId)
          return s.length === 2 && s
        })
        const invoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
        const shipped = both.flatMap((s) => s.basketItems as any[]).reduce((s, l) => s + kop(l.totalAmount), 0)
        expect(shipped).toBe(kop(invoice.amount))
      })
    })
  },
})
