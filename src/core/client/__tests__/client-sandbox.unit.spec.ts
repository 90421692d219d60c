/**
 * The client against the real sandbox over HTTP: the happy paths of every method, and every fault
 * the sandbox can inject. The local stub in client.unit.spec.ts covers the cases the sandbox cannot
 * produce (odd bodies, echoed secrets, refused connections).
 */
import { startSandbox, Sandbox } from "../../../sandbox"
import {
  InvoiceboxAuthError,
  InvoiceboxError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxRateLimitError,
  InvoiceboxValidationError,
} from "../../errors"
import { CreateOrderRequest, InvoiceboxClient, InvoiceboxClientOptions, RefundRequest, toInvoiceboxDateTime } from ".."

const TOKEN = "sbx-token-5d41402abc4b2a76b9719d911017c592"
const MERCHANT = "0f0f0f0f-1111-4222-8333-444455556666"

let sandbox: Sandbox
let warnings: string[]

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    apiToken: TOKEN,
    merchantId: MERCHANT,
    notificationKey: "test",
    rateLimit: { limit: 10_000, windowMs: 30_000 },
  })
})

afterAll(async () => {
  await sandbox.close()
})

beforeEach(() => {
  sandbox.reset()
  sandbox.setRateLimit(10_000, 30_000)
  warnings = []
})

function client(overrides: Partial<InvoiceboxClientOptions> = {}): InvoiceboxClient {
  return new InvoiceboxClient({
    baseUrl: sandbox.url,
    apiToken: TOKEN,
    timeoutMs: 2000,
    retryBaseDelayMs: 5,
    userAgent: "client-sandbox-test",
    // Short: the waiting look-ups are client-recovery.unit.spec.ts's subject.
    recoveryWaitMs: 300,
    logger: { warn: (m) => warnings.push(m) },
    ...overrides,
  })
}

let seq = 0
function orderRequest(overrides: Partial<CreateOrderRequest> = {}): CreateOrderRequest {
  seq += 1
  return {
    description: "Счёт на оплату",
    merchantId: MERCHANT,
    merchantOrderId: `sess_${Date.now()}_${seq}`,
    amount: 1500,
    vatAmount: 250,
    currencyId: "RUB",
    languageId: "ru",
    expirationDate: toInvoiceboxDateTime(new Date(Date.now() + 86_400_000)),
    customer: {
      type: "legal",
      name: "ПАО Сбербанк",
      vatNumber: "7707083893",
      taxRegistrationReasonCode: "773601001",
      registrationAddress: "117312, г. Москва, ул. Вавилова, д. 19",
      email: "buyer@example.com",
    },
    basketItems: [
      {
        sku: "DESK-1",
        name: "Стол письменный",
        measure: "шт",
        measureCode: "796",
        quantity: 2,
        amount: 600,
        amountWoVat: 500,
        totalAmount: 1200,
        totalVatAmount: 200,
        vatCode: "RUS_VAT20",
        type: "commodity",
        paymentType: "full_prepayment",
      },
      {
        sku: "delivery",
        name: "Доставка",
        measure: "шт",
        measureCode: "796",
        quantity: 1,
        amount: 300,
        amountWoVat: 250,
        totalAmount: 300,
        totalVatAmount: 50,
        vatCode: "RUS_VAT20",
        type: "service",
        paymentType: "full_prepayment",
      },
    ],
    ...overrides,
  }
}

function refundRequest(parentId: string, merchantOrderId: string): RefundRequest {
  return {
    parentId,
    merchantOrderId,
    description: "Возврат доставки",
    amount: 300,
    vatAmount: 50,
    basketItems: [orderRequest().basketItems[1]],
  }
}

async function paidOrder(c: InvoiceboxClient) {
  const order = await c.createOrder(orderRequest())
  await sandbox.pay(order.id)
  return order
}

async function caught(promise: Promise<unknown>): Promise<InvoiceboxError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(InvoiceboxError)
    expectNoToken(error)
    return error as InvoiceboxError
  }
  throw new Error("expected a rejection")
}

function expectNoToken(error: unknown): void {
  const e = error as Error & { cause?: unknown }
  expect(e.message).not.toContain(TOKEN)
  expect(JSON.stringify(e)).not.toContain(TOKEN)
  expect(JSON.stringify(e.cause ?? null)).not.toContain(TOKEN)
  expect(String(e.stack)).not.toContain(TOKEN)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

describe("client vs sandbox: API", () => {
  it("checkAuth returns the user and not the echoed token", async () => {
    const info = await client().checkAuth()
    expect(info.userId).toMatch(UUID)
    expect(JSON.stringify(info)).not.toContain(TOKEN)
  })

  it("a wrong token is an auth error with the request id, and the token is nowhere in it", async () => {
    const wrong = client({ apiToken: "definitely-not-the-token" })
    for (const call of [wrong.checkAuth(), wrong.createOrder(orderRequest()), wrong.findOrders()]) {
      const error = await caught(call)
      expect(error).toBeInstanceOf(InvoiceboxAuthError)
      expect(error.code).toBe("unauthorized")
      expect(error.httpStatus).toBe(401)
      expect(error.requestId).toMatch(UUID)
      expect(error.message).toContain(error.requestId)
      expect(error.message).not.toContain("definitely-not-the-token")
    }
    expect(sandbox.orders()).toHaveLength(0)
  })

  it("creates, reads, updates and cancels an order", async () => {
    const c = client()
    const req = orderRequest()
    const created = await c.createOrder(req)
    expect(created).toEqual(
      expect.objectContaining({ merchantOrderId: req.merchantOrderId, status: "created", amount: 1500, vatAmount: 250 })
    )
    expect(created.paymentUrl).toContain(created.id)

    expect((await c.getOrder(created.id))?.merchantOrderId).toBe(req.merchantOrderId)
    expect(await c.getOrder("00000000-0000-4000-8000-000000000000")).toBeNull()
    expect((await c.findOrderByMerchantOrderId(req.merchantOrderId, MERCHANT))?.id).toBe(created.id)
    expect(await c.findOrderByMerchantOrderId("no-such-order")).toBeNull()

    const updated = await c.updateOrder(created.id, { description: "Счёт № 42" })
    expect(updated.description).toBe("Счёт № 42")
    expect(sandbox.orders()[0].description).toBe("Счёт № 42")

    const canceled = await c.cancelOrder(created.id)
    expect(canceled.status).toBe("canceled")
    expect((await c.getOrder(created.id))?.status).toBe("canceled")

    const again = await caught(c.cancelOrder(created.id))
    expect(again).toBeInstanceOf(InvoiceboxValidationError)
    expect(again.code).toBe("wrong_order_status")
  })

  it("parses a validation error with its fields", async () => {
    const error = await caught(client().createOrder(orderRequest({ amount: 1499.99 })))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.code).toBe("wrong_total_amount")
    expect(error.httpStatus).toBe(422)
    expect(error.requestId).toMatch(UUID)
    expect(error.fields.map((f) => f.name)).toContain("amount")
    expect(error.message).toMatch(/^Invoicebox createOrder failed: wrong_total_amount — /)
  })

  it("filters with lists and pages through all orders", async () => {
    const c = client()
    const created = []
    for (let i = 0; i < 5; i++) created.push(await c.createOrder(orderRequest()))
    await sandbox.pay(created[0].id)
    await c.cancelOrder(created[1].id)

    const page3 = await c.findOrders({}, { page: 3, pageSize: 2 })
    expect(page3).toEqual(expect.objectContaining({ totalCount: 5, page: 3, pageSize: 2 }))
    expect(page3.items).toHaveLength(1)

    const all = await c.findAllOrders({}, { pageSize: 2 })
    expect(new Set(all.map((o) => o.id))).toEqual(new Set(created.map((o) => o.id)))

    const settled = await c.findOrders({ status: ["completed", "canceled"] })
    expect(settled.items.map((o) => o.id).sort()).toEqual([created[0].id, created[1].id].sort())

    const seen: string[] = []
    for await (const order of c.listOrders({ status: "created" }, { pageSize: 1 })) seen.push(order.id)
    expect(seen.sort()).toEqual(created.slice(2).map((o) => o.id).sort())
  })

  it("reads the refundable basket and creates / finds refunds", async () => {
    const c = client()
    const order = await paidOrder(c)
    const basket = await c.getRefundableBasket(order.id)
    expect(basket.map((line) => [line.sku, line.availableAmount])).toEqual([
      ["DESK-1", 1200],
      ["delivery", 300],
    ])

    const refund = await c.createRefund(refundRequest(order.id, `${order.merchantOrderId}-r1`))
    expect(refund).toEqual(expect.objectContaining({ parentId: order.id, amount: 300, vatAmount: 50 }))
    expect((await c.getRefundableBasket(order.id)).map((line) => line.sku)).toEqual(["DESK-1"])

    const found = await c.findRefunds({ parentId: order.id })
    expect(found.items.map((r) => r.id)).toEqual([refund.id])
    expect(found.totalCount).toBe(1)
  })

  it("creates and finds shipments", async () => {
    const c = client()
    const order = await paidOrder(c)
    const shipment = await c.createShipment({
      orderId: order.id,
      documentNumber: "UPD-1",
      documentDate: "2024-06-01",
      basketItems: order.basketItems,
      final: true,
    })
    expect(shipment).toEqual(expect.objectContaining({ orderId: order.id, amount: 1500, final: true }))
    const byOrder = await c.findShipments({ orderId: order.id })
    expect(byOrder.items.map((s) => s.id)).toEqual([shipment.id])
    expect((await c.findShipments({ id: shipment.id })).items).toHaveLength(1)
  })

  it("finds a counterparty by ИНН", async () => {
    const company = await client().findCounterparty("7707083893")
    expect(company).toEqual(expect.objectContaining({ vatNumber: "7707083893", taxRegistrationReasonCode: "773601001" }))
    expect(company?.name).toContain("Сбербанк")
  })

  it("surfaces the sandbox's refusal of an ИНН with a bad checksum as a validation error", async () => {
    const error = await caught(client().findCounterparty("7707083890"))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.fields[0]?.name).toBe("vatNumber")
  })

})

describe("client vs sandbox: faults", () => {
  it("retries a read that got 500 and succeeds", async () => {
    const c = client()
    const order = await c.createOrder(orderRequest())
    sandbox.injectFault({ method: "GET", path: "/filter/api/order/order", mode: "500", count: 2 })
    expect((await c.getOrder(order.id))?.id).toBe(order.id)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/getOrder failed: internal_error .*request id/)
  })

  it("waits Retry-After on a 429 and then succeeds", async () => {
    sandbox.injectFault({ method: "GET", path: "/filter/api/order/order", mode: "429", count: 1, retryAfterSeconds: 1 })
    const started = Date.now()
    const page = await client().findOrders()
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(page.items).toEqual([])
    expect(warnings).toHaveLength(1)
  })

  it("waits out the sandbox's own rate limiter", async () => {
    sandbox.setRateLimit(1, 1000)
    const c = client()
    await c.findOrders()
    const started = Date.now()
    await c.findOrders()
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(warnings.join("\n")).toContain("too_many_requests")
  })

  it("does not wait out a Retry-After above maxRetryDelayMs", async () => {
    sandbox.setRateLimit(1, 60_000)
    const c = client({ maxRetryDelayMs: 2000 })
    await c.findOrders()
    const error = await caught(c.findOrders())
    expect(error).toBeInstanceOf(InvoiceboxRateLimitError)
    expect((error as InvoiceboxRateLimitError).retryAfterMs).toBeGreaterThan(2000)
    expect(error.requestId).toMatch(UUID)
  })

  it("resends a create after a 429 (not processed) and ends with exactly one order", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "429", count: 1, retryAfterSeconds: 0 })
    const order = await client().createOrder(orderRequest())
    expect(sandbox.orders().map((o) => o.id)).toEqual([order.id])
  })

  it("never resends a create after a 500; createOrRecoverOrder finds nothing and sends it once more", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "500", count: 1 })
    const c = client()
    const error = await caught(c.createOrder(orderRequest()))
    expect(error.httpStatus).toBe(500)
    expect(sandbox.orders()).toHaveLength(0)

    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "500", count: 1 })
    const req = orderRequest()
    const result = await c.createOrRecoverOrder(req)
    expect(result.recovered).toBe(false)
    expect(sandbox.orders().map((o) => o.merchantOrderId)).toEqual([req.merchantOrderId])
  })

  it("a write that hangs past the timeout is an unknown outcome", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "hang", count: 1 })
    const started = Date.now()
    const error = await caught(client({ timeoutMs: 200 }).createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(error.code).toBe("timeout")
    expect(Date.now() - started).toBeLessThan(1500)
    expect(sandbox.orders()).toHaveLength(0)
  })

  it("createOrRecoverOrder after a hang looks up, finds nothing and creates exactly one", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "hang", count: 1 })
    const req = orderRequest()
    const result = await client({ timeoutMs: 200 }).createOrRecoverOrder(req)
    expect(result.recovered).toBe(false)
    expect(sandbox.orders().map((o) => o.id)).toEqual([result.order.id])
  })

  it("a read that hangs is retried", async () => {
    sandbox.injectFault({ method: "GET", path: "/filter/api/order/order", mode: "hang", count: 1 })
    const page = await client({ timeoutMs: 200 }).findOrders()
    expect(page.totalCount).toBe(0)
    expect(warnings[0]).toMatch(/findOrders failed: timeout/)
  })

  it("a reset write is an unknown outcome; a reset read is retried", async () => {
    const c = client()
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "reset", count: 1 })
    const error = await caught(c.createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(error.code).toBe("connection_lost")
    expect(sandbox.orders()).toHaveLength(0)

    sandbox.injectFault({ method: "GET", path: "/filter/api/order/order", mode: "reset", count: 2 })
    await expect(c.findOrders()).resolves.toEqual(expect.objectContaining({ totalCount: 0 }))
    expect(warnings).toHaveLength(2)
  })

  it("createOrRecoverOrder after a reset creates exactly one order", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "reset", count: 1 })
    const result = await client().createOrRecoverOrder(orderRequest())
    expect(result.recovered).toBe(false)
    expect(sandbox.orders().map((o) => o.id)).toEqual([result.order.id])
  })

  it("commit-then-drop: a plain create loses the answer, createOrRecoverOrder returns the one order", async () => {
    const c = client()
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "commit-then-drop", count: 1 })
    const lost = await caught(c.createOrder(orderRequest()))
    expect(lost).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(sandbox.orders()).toHaveLength(1)

    sandbox.reset()
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "commit-then-drop", count: 1 })
    const req = orderRequest()
    const result = await c.createOrRecoverOrder(req)
    expect(result.recovered).toBe(true)
    expect(result.order.merchantOrderId).toBe(req.merchantOrderId)
    expect(sandbox.orders().map((o) => o.id)).toEqual([result.order.id])
  })

  it("commit-then-drop on a refund: createOrRecoverRefund returns the one refund", async () => {
    const c = client()
    const order = await paidOrder(c)
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/refund-order", mode: "commit-then-drop", count: 1 })
    const result = await c.createOrRecoverRefund(refundRequest(order.id, `${order.merchantOrderId}-r1`))
    expect(result.recovered).toBe(true)
    expect(sandbox.refunds().map((r) => r.id)).toEqual([result.refund.id])
  })

  it("createOrRecoverRefund after a hang creates exactly one refund", async () => {
    const c = client({ timeoutMs: 200 })
    const order = await paidOrder(c)
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/refund-order", mode: "hang", count: 1 })
    const result = await c.createOrRecoverRefund(refundRequest(order.id, `${order.merchantOrderId}-r1`))
    expect(result.recovered).toBe(false)
    expect(sandbox.refunds().map((r) => r.id)).toEqual([result.refund.id])
  })

  it("never resends an update or a cancel after a 500", async () => {
    const c = client()
    const order = await c.createOrder(orderRequest())
    sandbox.injectFault({ method: "DELETE", path: "/billing/api/order/order/", mode: "500", count: 1 })
    expect((await caught(c.cancelOrder(order.id))).httpStatus).toBe(500)
    expect(sandbox.orders()[0].status).toBe("created")
    sandbox.injectFault({ method: "PUT", path: "/billing/api/order/order/", mode: "500", count: 1 })
    expect((await caught(c.updateOrder(order.id, { description: "x" }))).httpStatus).toBe(500)
    expect(sandbox.orders()[0].description).toBe("Счёт на оплату")
    expect(warnings).toHaveLength(0)
  })
})
