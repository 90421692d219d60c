/**
 * Creates whose answer is lost, against the real sandbox in both of Invoicebox's merchantOrderId
 * modes: not checked (Invoicebox's default, InvoiceBox/invoicebox-mcp-server src/tools/reads.ts:180)
 * and checked. Whatever the mode, one session's number ends with one live invoice, and a refund
 * whose answer was lost is never sent twice while it can still show up.
 */
import { startSandbox, type Sandbox } from "../../../sandbox"
import { MERCHANT, TOKEN, uniqueId, vatOrder } from "../../../sandbox/__tests__/helpers"
import { InvoiceboxClient, type CreateOrderRequest, type InvoiceboxClientOptions, type RefundRequest } from ".."

const ORDER_PATH = "^/billing/api/order/order$"
const REFUND_PATH = "^/billing/api/order/refund-order$"

describe.each([
  ["not checked (Invoicebox's default)", false],
  ["checked", true],
])("recovering lost creates, merchantOrderId uniqueness %s", (_mode, unique) => {
  let sandbox: Sandbox
  let logged: string[]

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, uniqueMerchantOrderId: unique, rateLimit: { limit: 10_000, windowMs: 30_000 } })
  })
  afterAll(() => sandbox.close())
  beforeEach(() => {
    sandbox.reset()
    sandbox.setRateLimit(10_000, 30_000)
    logged = []
  })

  function client(overrides: Partial<InvoiceboxClientOptions> = {}): InvoiceboxClient {
    return new InvoiceboxClient({
      baseUrl: sandbox.url,
      apiToken: TOKEN,
      timeoutMs: 5000,
      retryBaseDelayMs: 5,
      logger: { warn: (m) => logged.push(m), error: (m) => logged.push(`ERROR ${m}`) },
      ...overrides,
    })
  }

  const orderRequest = () => vatOrder({ merchantOrderId: uniqueId("payses") }) as CreateOrderRequest
  const live = (merchantOrderId: string) =>
    sandbox.orders().filter((o) => o.merchantOrderId === merchantOrderId && o.status !== "canceled")

  it("a create applied while the look-ups still wait is recovered, and nothing is sent twice", async () => {
    sandbox.injectFault({ method: "POST", path: ORDER_PATH, mode: "late-commit", commitAfterMs: 200 })
    const req = orderRequest()
    const result = await client({ recoveryWaitMs: 20_000 }).createOrRecoverOrder(req)
    expect(result).toMatchObject({ recovered: true, resent: false })
    await sandbox.lateCommitsSettled()
    expect(sandbox.orders().map((o) => o.id)).toEqual([result.order.id])
  })

  it("a create applied after the wait leaves one live invoice: the resent one", async () => {
    // Lands long after the one look-up and the resend; then the job's twin check runs.
    sandbox.injectFault({ method: "POST", path: ORDER_PATH, mode: "late-commit", commitAfterMs: 5000 })
    const req = orderRequest()
    const c = client({ recoveryWaitMs: 0 })
    const result = await c.createOrRecoverOrder(req)
    expect(result).toMatchObject({ recovered: false, resent: true })
    await sandbox.lateCommitsSettled()
    expect(sandbox.orders().filter((o) => o.merchantOrderId === req.merchantOrderId)).toHaveLength(unique ? 1 : 2)

    const twins = await c.cancelTwinOrders(req.merchantOrderId, result.order.id, MERCHANT)
    expect(twins.canceled).toHaveLength(unique ? 0 : 1)
    expect(live(req.merchantOrderId).map((o) => o.id)).toEqual([result.order.id])
  })

  it("two invoices under one number: the look-up after a lost answer keeps the paid one and cancels the open one", async () => {
    const req = orderRequest()
    const c = client({ recoveryWaitMs: 0 })
    const first = await c.createOrder(req)
    await sandbox.pay(first.id)
    if (!unique) await c.createOrder(req) // a twin, as a late commit leaves it
    sandbox.injectFault({ method: "POST", path: ORDER_PATH, mode: "500" })
    const result = await c.createOrRecoverOrder(req)
    expect(result).toMatchObject({ recovered: true, resent: false })
    expect(result.order.id).toBe(first.id)
    expect(live(req.merchantOrderId).map((o) => o.id)).toEqual([first.id])
  })

  it("a refund applied while the look-ups wait is recovered, never paid out twice", async () => {
    const c = client({ recoveryWaitMs: 20_000 })
    const order = await c.createOrder(orderRequest())
    await sandbox.pay(order.id)
    const line = { ...order.basketItems[0], quantity: 1, totalAmount: 1200, totalVatAmount: 200 }
    const refund: RefundRequest = { parentId: order.id, merchantOrderId: uniqueId("ref"), description: "Возврат", amount: 1200, vatAmount: 200, basketItems: [line] }
    sandbox.injectFault({ method: "POST", path: REFUND_PATH, mode: "late-commit", commitAfterMs: 200 })
    const result = await c.createOrRecoverRefund(refund)
    expect(result).toMatchObject({ recovered: true, resent: false })
    await sandbox.lateCommitsSettled()
    expect(sandbox.refunds().map((r) => r.id)).toEqual([result.refund.id])
  })

  // Only where Invoicebox lets twins exist.
  if (!unique) it("twin refunds under one number are reported as an error naming both", async () => {
    const c = client({ recoveryWaitMs: 0 })
    const order = await c.createOrder(orderRequest())
    await sandbox.pay(order.id)
    const line = { ...order.basketItems[0], quantity: 1, totalAmount: 1200, totalVatAmount: 200 }
    const refund: RefundRequest = { parentId: order.id, merchantOrderId: uniqueId("ref"), description: "Возврат", amount: 1200, vatAmount: 200, basketItems: [line] }
    const a = await c.createRefund(refund)
    const b = await c.createRefund(refund)
    sandbox.injectFault({ method: "POST", path: REFUND_PATH, mode: "500" })
    const result = await c.createOrRecoverRefund(refund)
    expect(result.refund.id).toBe(a.id)
    expect(logged.find((l) => l.startsWith("ERROR") && l.includes(a.id) && l.includes(b.id))).toBeDefined()
  })
})
