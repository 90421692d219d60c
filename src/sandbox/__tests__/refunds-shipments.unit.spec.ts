import { Sandbox, startSandbox } from "../index"
import { call, documentedOrder, uniqueId, vatOrder } from "./helpers"

const ORDER = "/v3/billing/api/order/order"
const REFUND = "/v3/billing/api/order/refund-order"
const SHIPMENT = "/v3/billing/api/order/shipment"
const CORRECTION = "/v3/billing/api/order/correction-order"

type Line = Record<string, any>

describe("sandbox refunds and shipments", () => {
  let sandbox: Sandbox
  let base: string

  beforeAll(async () => {
    // The strict mode, where a reused number is refused: the default takes it (tested below).
    sandbox = await startSandbox({ port: 0, uniqueMerchantOrderId: true })
    base = sandbox.url
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())

  async function paidOrder(): Promise<Record<string, any>> {
    const order = (await call(base, "POST", ORDER, vatOrder())).body.data
    return sandbox.pay(order.id)
  }

  function refundOf(parentId: string, lines: Line[], overrides: Record<string, unknown> = {}) {
    const amount = lines.reduce((sum, line) => sum + Math.round(line.totalAmount * 100), 0) / 100
    const vatAmount = lines.reduce((sum, line) => sum + Math.round(line.totalVatAmount * 100), 0) / 100
    return { parentId, merchantOrderId: uniqueId("refund"), description: "Возврат по претензии", amount, vatAmount, basketItems: lines, ...overrides }
  }

  /** One unit of the router: 1200.00 incl. 200.00 VAT. */
  const oneRouter = (order: Record<string, any>): Line => ({ ...order.basketItems[0], quantity: 1, totalAmount: 1200, totalVatAmount: 200 })

  describe("refunds", () => {
    it("refuses to refund an order that is not paid", async () => {
      const order = (await call(base, "POST", ORDER, vatOrder())).body.data
      const reply = await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)]))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("wrong_order_status")
    })

    it("404s a refund of an unknown parent", async () => {
      const reply = await call(base, "POST", REFUND, refundOf("00000000-0000-0000-0000-000000000000", [oneRouter(vatOrder())]))
      expect(reply.status).toBe(404)
    })

    it("creates a partial refund and lowers what remains refundable", async () => {
      const order = await paidOrder()
      const reply = await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)]))
      expect(reply.status).toBe(200)
      expect(reply.body.data).toMatchObject({ parentId: order.id, amount: 1200, vatAmount: 200, currencyId: "RUB", status: "created" })
      // refundCompleteAfterMs defaults to 0 in the programmatic sandbox.
      expect(sandbox.refunds()[0].status).toBe("completed")

      const rest = await call(base, "GET", `${ORDER}/${order.id}/refund-basket-item`)
      expect(rest.status).toBe(200)
      expect(rest.body.data).toEqual([
        expect.objectContaining({ sku: "SKU-1", quantity: 2, amount: 1200, totalAmount: 2400, availableAmount: 2400, availableVatAmount: 400 }),
        expect.objectContaining({ sku: "delivery", quantity: 1, availableAmount: 500, availableVatAmount: 83.33 }),
      ])
    })

    it("refuses more than is refundable per line, by quantity and by amount", async () => {
      const order = await paidOrder()
      const tooMany = { ...order.basketItems[0], quantity: 4, totalAmount: 4800, totalVatAmount: 800 }
      const byQuantity = await call(base, "POST", REFUND, refundOf(order.id, [tooMany]))
      expect(byQuantity.status).toBe(422)
      expect(byQuantity.body.error.code).toBe("refund_amount_exceeded")

      const deliveryTwice = { ...order.basketItems[1], quantity: 1, amount: 600, amountWoVat: 500, totalAmount: 600, totalVatAmount: 100 }
      const byAmount = await call(base, "POST", REFUND, refundOf(order.id, [deliveryTwice]))
      expect(byAmount.status).toBe(422)
      expect(byAmount.body.error.fields).toContainEqual(expect.objectContaining({ name: "basketItems[0].totalAmount", code: "refund_amount_exceeded" }))
      expect(sandbox.refunds()).toHaveLength(0)
    })

    it("refuses a line whose sku is not in the order", async () => {
      const order = await paidOrder()
      const reply = await call(base, "POST", REFUND, refundOf(order.id, [{ ...oneRouter(order), sku: "OTHER" }]))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("basket_item_not_found")
    })

    it("validates refund arithmetic like an order", async () => {
      const order = await paidOrder()
      const wrongVat = await call(base, "POST", REFUND, refundOf(order.id, [{ ...oneRouter(order), totalVatAmount: 150 }]))
      expect(wrongVat.body.error.code).toBe("wrong_basket_item_total_vat_amount")
      const wrongTotal = await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { amount: 1000 }))
      expect(wrongTotal.body.error.code).toBe("wrong_total_amount")
      const longNumber = await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { merchantOrderId: "r".repeat(101) }))
      expect(longNumber.body.error.fields[0].name).toBe("merchantOrderId")
    })

    it("takes a reused refund merchantOrderId when uniqueness is not checked (Invoicebox's default)", async () => {
      const lax = await startSandbox({ port: 0 })
      try {
        const order = (await call(lax.url, "POST", ORDER, vatOrder())).body.data
        await lax.pay(order.id)
        const request = refundOf(order.id, [oneRouter(order)])
        expect((await call(lax.url, "POST", REFUND, request)).status).toBe(200)
        expect((await call(lax.url, "POST", REFUND, request)).status).toBe(200)
        expect(lax.refunds().filter((r) => r.merchantOrderId === request.merchantOrderId)).toHaveLength(2)
      } finally {
        await lax.close()
      }
    })

    it("never accepts a refund merchantOrderId twice when uniqueness is checked", async () => {
      const order = await paidOrder()
      const request = refundOf(order.id, [oneRouter(order)])
      expect((await call(base, "POST", REFUND, request)).status).toBe(200)
      const again = await call(base, "POST", REFUND, request)
      expect(again.status).toBe(422)
      expect(again.body.error.code).toBe("merchant_order_id_duplicate")
      expect(sandbox.refunds()).toHaveLength(1)
    })

    it("offers what is left as whole units at the paid price plus one unit of the remainder, and nothing after that", async () => {
      const order = await paidOrder()
      // 1000.00 of the 3600.00 routers: not a whole number of units.
      const partial = { ...order.basketItems[0], quantity: 1, amount: 1000, amountWoVat: 833.33, totalAmount: 1000, totalVatAmount: 166.67 }
      expect((await call(base, "POST", REFUND, refundOf(order.id, [partial]))).status).toBe(200)

      const rest = (await call(base, "GET", `${ORDER}/${order.id}/refund-basket-item`)).body.data
      // 2600.00 left of routers at 1200.00: 2 × 1200.00 + 1 × 200.00, never 1 × 2600.00.
      expect(rest.filter((l: Line) => l.sku === "SKU-1")).toMatchObject([
        { quantity: 2, amount: 1200, totalAmount: 2400, availableAmount: 2400 },
        { quantity: 1, amount: 200, totalAmount: 200, availableAmount: 200 },
      ])
      const full = await call(base, "POST", REFUND, refundOf(order.id, rest.map(({ availableAmount, availableVatAmount, availableQuantity, ...line }: Line) => line)))
      expect(full.status).toBe(200)
      expect(full.body.data.amount).toBe(3100)

      const empty = await call(base, "GET", `${ORDER}/${order.id}/refund-basket-item`)
      expect(empty.body.data).toEqual([])
      const more = await call(base, "POST", REFUND, refundOf(order.id, [partial]))
      expect(more.body.error.code).toBe("refund_amount_exceeded")
    })

    it("keeps draft refunds as drafts and lists refunds by filter", async () => {
      const order = await paidOrder()
      const draft = await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))
      expect(draft.body.data.status).toBe("draft")
      const created = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)]))).body.data

      const byParent = await call(base, "GET", `/v3/filter/api/order/refund-order?parentId=${order.id}`)
      expect(byParent.body.data).toHaveLength(2)
      expect(byParent.body.metaData.totalCount).toBe(2)
      const drafts = await call(base, "GET", "/v3/filter/api/order/refund-order?status=draft")
      expect(drafts.body.data.map((r: { id: string }) => r.id)).toEqual([draft.body.data.id])
      const byNumber = await call(base, "GET", `/v3/filter/api/order/refund-order?merchantOrderId=${created.merchantOrderId}`)
      expect(byNumber.body.data.map((r: { id: string }) => r.id)).toEqual([created.id])
      const byId = await call(base, "GET", `/v3/filter/api/order/refund-order?id=${created.id}`)
      expect(byId.body.data[0].status).toBe("completed")
    })

    describe("refunds with a fee (correction orders)", () => {
      /** A 150.00 restocking fee at 20% VAT: 25.00 of it is VAT. */
      const feeLine = { sku: "fee", name: "Удержание за возврат", measure: "шт", measureCode: "796", quantity: 1, amount: 150, amountWoVat: 125, totalAmount: 150, totalVatAmount: 25, vatCode: "RUS_VAT20", type: "service", paymentType: "full_payment" }
      const correctionOf = (refundId: string, overrides: Record<string, unknown> = {}) =>
        documentedOrder({ description: "Удержание при возврате", parentId: refundId, amount: 150, vatAmount: 25, basketItems: [feeLine], ...overrides })

      it("recalculates a draft refund to its amount minus the correction and pays it out", async () => {
        const order = await paidOrder()
        const draft = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))).body.data
        expect(draft).toMatchObject({ status: "draft", amount: 1200 })
        const reply = await call(base, "POST", CORRECTION, correctionOf(draft.id))
        expect(reply.status).toBe(200)
        expect(reply.body.data).toMatchObject({ parentId: draft.id, amount: 150, vatAmount: 25, status: "completed" })
        const [refund] = sandbox.refunds()
        // The buyer gets 1200 − 150; the refund keeps its whole line for the fiscal "ВОЗВРАТ 100%" receipt.
        expect(refund).toMatchObject({ id: draft.id, amount: 1050, vatAmount: 200, status: "completed" })
        expect(refund.basketItems).toEqual([expect.objectContaining({ sku: "SKU-1", totalAmount: 1200 })])
        // The whole router line is spent from the refundable basket, not just the payout.
        const left = (await call(base, "GET", `/v3/billing/api/order/order/${order.id}/refund-basket-item`)).body.data
        expect(left.find((l: Line) => l.sku === "SKU-1").availableAmount).toBe(2400)
        // The correction order is listed like an order, so a lost answer can be looked up by merchantOrderId.
        const listed = await call(base, "GET", `/v3/filter/api/order/order?merchantOrderId=${reply.body.data.merchantOrderId}`)
        expect(listed.body.data.map((o: Line) => o.id)).toEqual([reply.body.data.id])
      })

      it("corrects only a draft refund, and only once", async () => {
        const order = await paidOrder()
        const created = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)]))).body.data
        const notDraft = await call(base, "POST", CORRECTION, correctionOf(created.id))
        expect(notDraft.status).toBe(422)
        expect(notDraft.body.error.code).toBe("wrong_order_status")
        const draft = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))).body.data
        expect((await call(base, "POST", CORRECTION, correctionOf(draft.id))).status).toBe(200)
        const twice = await call(base, "POST", CORRECTION, correctionOf(draft.id))
        expect(twice.status).toBe(422)
        expect(twice.body.error.code).toBe("wrong_order_status")
        expect(sandbox.refunds().find((r) => r.id === draft.id)!.amount).toBe(1050)
      })

      it("refuses a correction without a refund, of an unknown refund, in another currency or not below the refund", async () => {
        const order = await paidOrder()
        const draft = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))).body.data
        const noParent = await call(base, "POST", CORRECTION, correctionOf(draft.id, { parentId: undefined }))
        expect([noParent.status, noParent.body.error.fields[0].name]).toEqual([422, "parentId"])
        const unknown = await call(base, "POST", CORRECTION, correctionOf("00000000-0000-0000-0000-000000000000"))
        expect(unknown.status).toBe(404)
        const usd = await call(base, "POST", CORRECTION, correctionOf(draft.id, { currencyId: "USD" }))
        expect(usd.body.error.code).toBe("wrong_currency")
        const whole = { ...feeLine, amount: 1200, amountWoVat: 1000, totalAmount: 1200, totalVatAmount: 200 }
        const all = await call(base, "POST", CORRECTION, correctionOf(draft.id, { amount: 1200, vatAmount: 200, basketItems: [whole] }))
        expect([all.status, all.body.error.fields[0].name]).toEqual([422, "amount"])
        expect(sandbox.refunds()[0]).toMatchObject({ status: "draft", amount: 1200 })
      })

      it("checks the correction's lines and totals like any order", async () => {
        const order = await paidOrder()
        const draft = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))).body.data
        const wrongVat = await call(base, "POST", CORRECTION, correctionOf(draft.id, { vatAmount: 20, basketItems: [{ ...feeLine, totalVatAmount: 20 }] }))
        expect(wrongVat.status).toBe(422)
        const wrongTotal = await call(base, "POST", CORRECTION, correctionOf(draft.id, { amount: 149.99 }))
        expect(wrongTotal.status).toBe(422)
        const noCustomer = await call(base, "POST", CORRECTION, correctionOf(draft.id, { customer: undefined }))
        expect(noCustomer.status).toBe(422)
        const first = correctionOf(draft.id)
        const other = (await call(base, "POST", REFUND, refundOf(order.id, [oneRouter(order)], { status: "draft" }))).body.data
        expect((await call(base, "POST", CORRECTION, first)).status).toBe(200)
        const reused = await call(base, "POST", CORRECTION, correctionOf(other.id, { merchantOrderId: first.merchantOrderId }))
        expect(reused.body.error.code).toBe("merchant_order_id_duplicate")
        expect(sandbox.refunds().find((r) => r.id === other.id)!.status).toBe("draft")
      })
    })

    it("completes refunds after the configured delay", async () => {
      const slow = await startSandbox({ port: 0, refundCompleteAfterMs: 50 })
      try {
        const order = (await call(slow.url, "POST", ORDER, vatOrder())).body.data
        await slow.pay(order.id)
        const refund = await call(slow.url, "POST", REFUND, refundOf(order.id, [oneRouter(order)]))
        expect(refund.body.data.status).toBe("created")
        expect(slow.refunds()[0].status).toBe("created")
        await new Promise((resolve) => setTimeout(resolve, 80))
        expect(slow.refunds()[0].status).toBe("completed")
      } finally {
        await slow.close()
      }
    })

    it("refunds everything left from the cabinet control route", async () => {
      const order = await paidOrder()
      const partial = await call(base, "POST", `/__sandbox/orders/${order.id}/refunds`, { amount: 100 })
      expect(partial.status).toBe(200)
      expect(partial.body.data).toMatchObject({ amount: 100, vatAmount: 16.67 })
      const rest = await call(base, "POST", `/__sandbox/orders/${order.id}/refunds`)
      expect(rest.body.data).toMatchObject({ amount: 4000 })
      // No unit dearer than paid: the 3500.00 left of routers at 1200.00 go as 2 × 1200.00 + 1 × 1100.00.
      expect(rest.body.data.basketItems.filter((l: Line) => l.sku === "SKU-1").map((l: Line) => [l.quantity, l.amount])).toEqual([
        [2, 1200],
        [1, 1100],
      ])
      expect(await call(base, "GET", `${ORDER}/${order.id}/refund-basket-item`).then((r) => r.body.data)).toEqual([])
      const nothing = await call(base, "POST", `/__sandbox/orders/${order.id}/refunds`)
      expect(nothing.status).toBe(422)
      expect(nothing.body.error.code).toBe("refund_amount_exceeded")
    })

    it("refuses a refund line whose unit costs more than the paid one", async () => {
      const order = await paidOrder()
      // 1 × 1300.00 of routers paid 1200.00 each: within the line's money, but no such unit was sold.
      const dear = { ...order.basketItems[0], quantity: 1, amount: 1300, amountWoVat: 1083.33, totalAmount: 1300, totalVatAmount: 216.67 }
      const reply = await call(base, "POST", REFUND, refundOf(order.id, [dear]))
      expect(reply.status).toBe(422)
      expect(reply.body.error.fields).toContainEqual(expect.objectContaining({ name: "basketItems[0].amount", code: "refund_amount_exceeded" }))
    })

    it("refunds chosen lines from the cabinet with whole units", async () => {
      const order = await paidOrder()
      const refund = sandbox.createRefund(order.id, { lines: [{ sku: "SKU-1", quantity: 2 }] })
      expect(refund).toMatchObject({ amount: 2400, vatAmount: 400 })
      expect(refund.basketItems[0]).toMatchObject({ quantity: 2, amount: 1200, amountWoVat: 1000 })
    })
  })

  describe("shipments", () => {
    it("registers shipments of a paid order and refuses to ship beyond it", async () => {
      const order = await paidOrder()
      const two = { ...order.basketItems[0], quantity: 2, totalAmount: 2400, totalVatAmount: 400 }
      const first = await call(base, "POST", SHIPMENT, { orderId: order.id, documentNumber: "УПД-1", documentDate: "2026-01-15", basketItems: [two] })
      expect(first.status).toBe(200)
      expect(first.body.data).toMatchObject({ id: 1, orderId: order.id, status: "completed", amount: 2400, documentNumber: "УПД-1" })

      const beyond = await call(base, "POST", SHIPMENT, { orderId: order.id, basketItems: [two] })
      expect(beyond.status).toBe(422)
      expect(beyond.body.error.code).toBe("shipment_amount_exceeded")

      const rest = await call(base, "POST", SHIPMENT, { orderId: order.id, final: true, basketItems: [{ ...two, quantity: 1, totalAmount: 1200, totalVatAmount: 200 }, order.basketItems[1]] })
      expect(rest.status).toBe(200)
      expect(rest.body.data).toMatchObject({ id: 2, final: true, amount: 1700 })

      const listed = await call(base, "GET", `/v3/filter/api/order/shipment?orderId=${order.id}`)
      expect(listed.body.data.map((s: { id: number }) => s.id)).toEqual([1, 2])
      const mcp = await call(base, "GET", `/v3/billing/api/order/shipment?orderId=${order.id}`)
      expect(mcp.body.metaData.totalCount).toBe(2)
      const byId = await call(base, "GET", "/v3/filter/api/order/shipment?id=2")
      expect(byId.body.data.map((s: { id: number }) => s.id)).toEqual([2])
    })

    it("refuses shipments of unpaid orders and bad document fields", async () => {
      const order = (await call(base, "POST", ORDER, vatOrder())).body.data
      const unpaid = await call(base, "POST", SHIPMENT, { orderId: order.id, basketItems: order.basketItems })
      expect(unpaid.body.error.code).toBe("wrong_order_status")
      const badDate = await call(base, "POST", SHIPMENT, { orderId: order.id, documentDate: "2026-02-30", documentNumber: "x".repeat(37), basketItems: order.basketItems })
      expect(badDate.status).toBe(422)
      expect(badDate.body.error.fields.map((f: { name: string }) => f.name).sort()).toEqual(["documentDate", "documentNumber"])
    })
  })
})
