import { createHmac, timingSafeEqual } from "node:crypto"
import { Sandbox, startSandbox } from "../index"
import { call, documentedOrder, startReceiver, waitFor } from "./helpers"

const ORDER = "/v3/billing/api/order/order"
const KEY = "notification-key-for-tests"
const SUCCESS = { status: 200, body: JSON.stringify({ status: "success" }) }

/** Computed here, independently of the sandbox and of src/core, over the bytes the receiver got. */
function signatureMatches(raw: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false
  const expected = createHmac("sha1", KEY).update(raw).digest()
  const given = Buffer.from(header, "hex")
  return given.length === expected.length && timingSafeEqual(given, expected)
}

describe("sandbox notifications and payment page", () => {
  let sandbox: Sandbox
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      notificationKey: KEY,
      notificationRetry: { attempts: 4, delaysMs: [20, 40] },
      notificationTimeoutMs: 300,
    })
    base = sandbox.url
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())

  async function createOrder(overrides: Record<string, unknown> = {}) {
    const reply = await call(base, "POST", ORDER, documentedOrder(overrides))
    expect(reply.status).toBe(200)
    return reply.body.data
  }

  it("sends a signed notification when an order is paid, verifiable over the raw bytes", async () => {
    const receiver = await startReceiver(() => SUCCESS)
    try {
      const order = await createOrder({ notificationUrl: receiver.url })
      const paid = await sandbox.pay(order.id)
      expect(paid.status).toBe("completed")
      expect(paid.paidAt).toMatch(/\+00:00$/)
      // pay() resolves after the first attempt, so the receiver has it already.
      expect(receiver.received).toHaveLength(1)
      const { raw, headers } = receiver.received[0]
      expect(headers["content-type"]).toBe("application/json")
      expect(headers["x-signature"]).toMatch(/^[0-9a-f]{40}$/)
      expect(signatureMatches(raw, headers["x-signature"])).toBe(true)
      expect(signatureMatches(Buffer.concat([raw, Buffer.from(" ")]), headers["x-signature"])).toBe(false)
      // The body is PHP-style JSON: re-serialising the parsed object would not reproduce the bytes.
      const body = JSON.parse(raw.toString("utf8"))
      expect(Buffer.from(JSON.stringify(body))).not.toEqual(raw)
      expect(raw.toString("utf8")).toContain("Проездной билет")
      expect(body).toMatchObject({
        id: order.id,
        status: "completed",
        merchantId: order.merchantId,
        merchantOrderId: order.merchantOrderId,
        amount: 2790.67,
        vatAmount: 0,
        currencyId: "RUB",
        paymentUrl: order.paymentUrl,
        orderContainerId: order.orderContainerId,
        languageId: "ru",
      })
      expect(body.paidAt).toBe(paid.paidAt)
      expect(body.basketItems).toHaveLength(1)
      expect(sandbox.deliveries()).toEqual([
        expect.objectContaining({ orderId: order.id, notificationStatus: "completed", attempt: 1, httpStatus: 200, outcome: "delivered", willRetry: false }),
      ])
    } finally {
      await receiver.close()
    }
  })

  it("redelivers the same bytes until the shop answers success", async () => {
    const answers = [
      { status: 500, body: "oops" },
      { status: 200, body: "OK" },
      { status: 200, body: JSON.stringify({ status: "error", code: "out_of_service" }) },
      SUCCESS,
    ]
    const receiver = await startReceiver((index) => answers[index])
    try {
      const order = await createOrder({ notificationUrl: receiver.url })
      const response = await call(base, "POST", `/__sandbox/orders/${order.id}/pay`)
      expect(response.status).toBe(200)
      expect(response.body.deliveries).toEqual([expect.objectContaining({ attempt: 1, httpStatus: 500, outcome: "failed", willRetry: true })])
      await waitFor(() => sandbox.deliveries().some((entry) => entry.outcome === "delivered"))
      const log = sandbox.deliveries()
      expect(log.map((entry) => [entry.attempt, entry.outcome, entry.error])).toEqual([
        [1, "failed", "HTTP 500"],
        [2, "failed", "reply is not JSON"],
        [3, "failed", "out_of_service"],
        [4, "delivered", null],
      ])
      expect(new Set(receiver.received.map((entry) => entry.raw.toString("hex"))).size).toBe(1)
      expect(receiver.received.every((entry) => signatureMatches(entry.raw, entry.headers["x-signature"]))).toBe(true)
    } finally {
      await receiver.close()
    }
  })

  it("gives up after the configured attempts and retries a timeout", async () => {
    const receiver = await startReceiver(() => ({ ...SUCCESS, delayMs: 1000 }))
    try {
      const order = await createOrder({ notificationUrl: receiver.url })
      await sandbox.pay(order.id)
      await waitFor(() => sandbox.deliveries().length === 4, 5000)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const log = sandbox.deliveries()
      expect(log).toHaveLength(4)
      expect(log[0].error).toMatch(/no reply within 300 ms/)
      expect(log[3]).toMatchObject({ attempt: 4, outcome: "failed", willRetry: false })
    } finally {
      await receiver.close()
    }
  })

  it("treats an error verdict other than out_of_service as final", async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: JSON.stringify({ status: "error", code: "order_wrong_amount" }) }))
    try {
      const order = await createOrder({ notificationUrl: receiver.url })
      await sandbox.pay(order.id)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(sandbox.deliveries()).toEqual([expect.objectContaining({ outcome: "rejected", error: "order_wrong_amount", willRetry: false })])
      expect(receiver.received).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })

  it("records blocked notifications without sending or retrying them", async () => {
    const receiver = await startReceiver(() => SUCCESS)
    try {
      expect((await call(base, "POST", "/__sandbox/notifications/block")).body.data).toEqual({ blocked: true })
      const lost = await createOrder({ notificationUrl: receiver.url })
      await sandbox.pay(lost.id)
      expect((await call(base, "POST", "/__sandbox/notifications/unblock")).body.data).toEqual({ blocked: false })
      const delivered = await createOrder({ notificationUrl: receiver.url })
      await sandbox.pay(delivered.id)
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect(sandbox.deliveries().map((entry) => [entry.orderId, entry.outcome])).toEqual([
        [lost.id, "blocked"],
        [delivered.id, "delivered"],
      ])
      expect(receiver.received).toHaveLength(1)
      const log = await call(base, "GET", `/__sandbox/deliveries?orderId=${lost.id}`)
      expect(log.body.data).toEqual([expect.objectContaining({ outcome: "blocked" })])
    } finally {
      await receiver.close()
    }
  })

  it("notifies expiry and cancellation too", async () => {
    const receiver = await startReceiver(() => SUCCESS)
    try {
      const expired = await createOrder({ notificationUrl: receiver.url })
      await call(base, "POST", `/__sandbox/orders/${expired.id}/expire`)
      const canceled = await createOrder({ notificationUrl: receiver.url })
      expect((await call(base, "DELETE", `${ORDER}/${canceled.id}`)).status).toBe(200)
      await waitFor(() => receiver.received.length === 2)
      expect(receiver.received.map((entry) => JSON.parse(entry.raw.toString()).status)).toEqual(["expired", "canceled"])
      const again = await call(base, "POST", `/__sandbox/orders/${expired.id}/pay`)
      expect(again.status).toBe(422)
      expect(again.body.error.code).toBe("wrong_order_status")
    } finally {
      await receiver.close()
    }
  })

  it("logs an order without any notification URL", async () => {
    const order = await createOrder()
    await sandbox.pay(order.id)
    expect(sandbox.deliveries()).toEqual([expect.objectContaining({ outcome: "no_url", url: null })])
  })

  describe("payment page", () => {
    it("renders the invoice in Russian with pay and decline buttons", async () => {
      const order = await createOrder()
      const page = await fetch(order.paymentUrl)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      const html = await page.text()
      expect(html).toContain('lang="ru"')
      expect(html).toContain("К оплате: 2\u00a0790,67\u00a0₽")
      expect(html).toContain("Black Edition")
      expect(html).toContain("OOO TEST")
      expect(html).toContain("7707083893")
      expect(html).toContain("Оплатить до:")
      expect(html).toContain(`action="/pay/${order.id}/confirm"`)
      expect(html).toContain(">Оплатить</button>")
      expect(html).toContain(`action="/pay/${order.id}/decline"`)
      expect(html).toContain(">Отказаться</button>")
    })

    it("escapes what the shop sent", async () => {
      const order = await createOrder({ description: "<script>alert(1)</script>" })
      const html = await (await fetch(order.paymentUrl)).text()
      expect(html).not.toContain("<script>alert(1)</script>")
      expect(html).toContain("&lt;script&gt;")
    })

    it("confirms payment, notifies and redirects to successUrl", async () => {
      const receiver = await startReceiver(() => SUCCESS)
      try {
        const order = await createOrder({ notificationUrl: receiver.url, successUrl: "https://shop.example/success", failUrl: "https://shop.example/fail" })
        const reply = await fetch(`${base}/pay/${order.id}/confirm`, { method: "POST", redirect: "manual" })
        expect(reply.status).toBe(303)
        expect(reply.headers.get("location")).toBe("https://shop.example/success")
        expect(sandbox.orders()[0].status).toBe("completed")
        expect(receiver.received).toHaveLength(1)
        const page = await (await fetch(order.paymentUrl)).text()
        expect(page).not.toContain(">Оплатить</button>")
        const twice = await fetch(`${base}/pay/${order.id}/confirm`, { method: "POST", redirect: "manual" })
        expect(twice.status).toBe(409)
      } finally {
        await receiver.close()
      }
    })

    it("declines to failUrl, or shows a result page when the shop gave no URL", async () => {
      const withUrl = await createOrder({ failUrl: "https://shop.example/fail" })
      const redirected = await fetch(`${base}/pay/${withUrl.id}/decline`, { method: "POST", redirect: "manual" })
      expect(redirected.status).toBe(303)
      expect(redirected.headers.get("location")).toBe("https://shop.example/fail")
      expect(sandbox.orders().find((o) => o.id === withUrl.id)?.status).toBe("canceled")

      const bare = await createOrder()
      const confirmed = await fetch(`${base}/pay/${bare.id}/confirm`, { method: "POST", redirect: "manual" })
      expect(confirmed.status).toBe(200)
      expect(await confirmed.text()).toContain("Счёт оплачен")
    })

    it("shipping_unavailable: the page sends the payer to failUrl; DELETE then reverses a guarantee payment only", async () => {
      const refuse = { status: 200, body: JSON.stringify({ status: "error", code: "shipping_unavailable", message: "нет на складе" }) }
      const receiver = await startReceiver(() => refuse)
      try {
        const urls = { notificationUrl: receiver.url, successUrl: "https://shop.example/success", failUrl: "https://shop.example/fail" }
        const guaranteed = await createOrder(urls)
        const reply = await fetch(`${base}/pay/${guaranteed.id}/confirm`, {
          method: "POST",
          redirect: "manual",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: "instrument=guarantee",
        })
        expect(reply.status).toBe(303)
        expect(reply.headers.get("location")).toBe("https://shop.example/fail")
        // The refusal is final: no redelivery.
        expect(sandbox.deliveries().filter((d) => d.orderId === guaranteed.id).map((d) => [d.outcome, d.error])).toEqual([["rejected", "shipping_unavailable"]])
        const reversed = await call(base, "DELETE", `${ORDER}/${guaranteed.id}`)
        expect(reversed.status).toBe(200)
        expect(reversed.body.data.status).toBe("canceled")

        // Paid with an ordinary instrument: the refusal alone does not let DELETE undo the payment.
        const ordinary = await createOrder(urls)
        await sandbox.pay(ordinary.id)
        const refused = await call(base, "DELETE", `${ORDER}/${ordinary.id}`)
        expect(refused.status).toBe(422)
        expect(refused.body.error.code).toBe("wrong_order_status")
      } finally {
        await receiver.close()
      }
    })

    it("a guarantee payment the shop accepted cannot be cancelled by DELETE", async () => {
      const receiver = await startReceiver(() => SUCCESS)
      try {
        const order = await createOrder({ notificationUrl: receiver.url })
        await sandbox.pay(order.id, { guarantee: true })
        const reply = await call(base, "DELETE", `${ORDER}/${order.id}`)
        expect(reply.status).toBe(422)
        expect(sandbox.orders().find((o) => o.id === order.id)?.status).toBe("completed")
      } finally {
        await receiver.close()
      }
    })

    it("answers 404 for an unknown order", async () => {
      const reply = await fetch(`${base}/pay/00000000-0000-0000-0000-000000000000`)
      expect(reply.status).toBe(404)
      expect(await reply.text()).toContain("Счёт не найден")
    })
  })
})
