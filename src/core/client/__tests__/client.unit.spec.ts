import { readFileSync } from "node:fs"
import { join } from "node:path"
import {
  InvoiceboxAuthError,
  InvoiceboxError,
  InvoiceboxNetworkError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxRateLimitError,
  InvoiceboxServerError,
  InvoiceboxValidationError,
} from "../../errors"
import { CreateOrderRequest, InvoiceboxClient, InvoiceboxClientOptions, InvoiceboxOrder, RefundRequest } from ".."
import { hang, json, reset, startStub, StubServer } from "./stub-server"

const TOKEN = "tok-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
const MERCHANT = "ffffffff-ffff-ffff-ffff-ffffffffffff"
const VERSION = (JSON.parse(readFileSync(join(__dirname, "../../../../package.json"), "utf8")) as { version: string })
  .version

let stub: StubServer

beforeEach(async () => {
  stub = await startStub()
})

afterEach(async () => {
  await stub.close()
})

function client(overrides: Partial<InvoiceboxClientOptions> = {}): InvoiceboxClient {
  return new InvoiceboxClient({
    baseUrl: stub.url,
    apiToken: TOKEN,
    // Generous: a stub that answers must never be mistaken for a hang on a loaded machine; the
    // tests about hangs set their own short timeout.
    timeoutMs: 10_000,
    retryBaseDelayMs: 1,
    maxRetryDelayMs: 200,
    // One look-up after an unknown outcome; the waiting look-ups have tests of their own.
    recoveryWaitMs: 0,
    ...overrides,
  })
}

function orderRequest(overrides: Partial<CreateOrderRequest> = {}): CreateOrderRequest {
  return {
    description: "Заказ 1001",
    merchantId: MERCHANT,
    merchantOrderId: "pay_sess_01",
    amount: 1200,
    vatAmount: 200,
    currencyId: "RUB",
    expirationDate: "2030-01-01T00:00:00+00:00",
    customer: { type: "legal", name: "ООО Ромашка", vatNumber: "7707083893", taxRegistrationReasonCode: "773601001" },
    basketItems: [
      {
        sku: "SKU-1",
        name: "Стол",
        measure: "шт",
        measureCode: "796",
        quantity: 1,
        amount: 1200,
        amountWoVat: 1000,
        totalAmount: 1200,
        totalVatAmount: 200,
        vatCode: "RUS_VAT20",
        type: "commodity",
        paymentType: "full_prepayment",
      },
    ],
    ...overrides,
  }
}

function order(overrides: Partial<InvoiceboxOrder> = {}): InvoiceboxOrder {
  const req = orderRequest()
  return {
    ...req,
    id: "0a0a0a0a-0000-4000-8000-000000000001",
    status: "created",
    paymentUrl: "https://pay.invoicebox.ru/order/abc",
    createdAt: "2024-01-01T00:00:00+00:00",
    ...overrides,
  }
}

async function caught(promise: Promise<unknown>): Promise<InvoiceboxError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(InvoiceboxError)
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

describe("InvoiceboxClient request shape", () => {
  it("sends bearer auth, JSON headers and an identifying User-Agent to <baseUrl>/v3/<path>, and unwraps data", async () => {
    stub.reply((_req, res) => json(res, 200, { data: order(), extendedData: [] }))
    const created = await client({ userAgent: "Medusa/2.21.2" }).createOrder(orderRequest())

    expect(created.id).toBe(order().id)
    const [req] = stub.requests
    expect(req.method).toBe("POST")
    expect(req.url).toBe("/v3/billing/api/order/order")
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(req.headers.accept).toBe("application/json")
    expect(req.headers["content-type"]).toBe("application/json")
    expect(req.headers["user-agent"]).toBe(
      `medusa-payment-invoicebox/${VERSION} (Node.js/${process.version}) Medusa/2.21.2`
    )
    expect(JSON.parse(req.body)).toEqual(orderRequest())
  })

  it("honours the l3 prefix and a base URL with a path and trailing slash", async () => {
    stub.reply((_req, res) => json(res, 200, { data: [] }))
    await client({ baseUrl: `${stub.url}/gw/`, apiPrefix: "l3" }).findOrders({ status: "created" })
    expect(stub.requests[0].url).toBe("/gw/l3/filter/api/order/order?status=created")
  })

  it("encodes list filters, operators, sorting and paging, and reads the page from metaData", async () => {
    stub.reply((_req, res) => json(res, 200, { data: [order()], metaData: { totalCount: 41, page: 2, pageSize: 20 } }))
    const page = await client().findOrders(
      { status: ["created", "completed"], createdAt: { _ge: "2024-01-01" }, _order: { createdAt: "desc" } },
      { page: 2, pageSize: 20 }
    )

    const query = new URL(stub.requests[0].url, "http://x").searchParams
    expect(query.getAll("status[]")).toEqual(["created", "completed"])
    expect(query.get("createdAt[_ge]")).toBe("2024-01-01")
    expect(query.get("_order[createdAt]")).toBe("desc")
    expect(query.get("page")).toBe("2")
    expect(query.get("pageSize")).toBe("20")
    expect(page).toEqual({ items: [order()], totalCount: 41, page: 2, pageSize: 20 })
  })

  it("does not send an empty list filter (it would match everything)", async () => {
    const page = await client().findOrders({ id: [] })
    expect(page.items).toEqual([])
    expect(stub.requests).toHaveLength(0)
  })

  it("walks every page in listOrders / findAllOrders, following a page size the server clamped", async () => {
    const all = [1, 2, 3, 4, 5].map((n) => order({ id: `id-${n}` }))
    stub.reply((req, res) => {
      const q = new URL(req.url, "http://x").searchParams
      const page = Number(q.get("page"))
      const size = Math.min(Number(q.get("pageSize")), 2)
      json(res, 200, { data: all.slice((page - 1) * size, page * size), metaData: { totalCount: 5, page, pageSize: size } })
    })
    const ids = (await client().findAllOrders({ status: "created" }, { pageSize: 50 })).map((o) => o.id)
    expect(ids).toEqual(["id-1", "id-2", "id-3", "id-4", "id-5"])
    expect(stub.requests).toHaveLength(3)
  })

  it("getOrder filters by id and returns null when absent or when the server ignores the filter", async () => {
    stub.reply(
      (_req, res) => json(res, 200, { data: [order()] }),
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 200, { data: [order({ id: "someone-else" })] })
    )
    const c = client()
    expect((await c.getOrder(order().id))?.id).toBe(order().id)
    expect(stub.requests[0].url).toBe(`/v3/filter/api/order/order?id=${order().id}`)
    expect(await c.getOrder("missing")).toBeNull()
    expect(await c.getOrder("missing")).toBeNull()
  })

  it("uses PUT / DELETE on the order path with an encoded id", async () => {
    stub.reply((_req, res) => json(res, 200, { data: order({ status: "canceled" }) }))
    const c = client()
    await c.updateOrder("a/b", { description: "x" })
    const canceled = await c.cancelOrder("a/b")
    expect(stub.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PUT /v3/billing/api/order/order/a%2Fb",
      "DELETE /v3/billing/api/order/order/a%2Fb",
    ])
    expect(JSON.parse(stub.requests[0].body)).toEqual({ description: "x" })
    expect(stub.requests[1].body).toBe("")
    // Invoicebox's docs make Content-Type mandatory on every request, bodiless ones included.
    expect(stub.requests[1].headers["content-type"]).toBe("application/json")
    expect(canceled.status).toBe("canceled")
  })

  it("refuses an empty id before any request", async () => {
    const error = await caught(client().cancelOrder(" "))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.code).toBe("invalid_argument")
    expect(stub.requests).toHaveLength(0)
  })

  it("reads the refundable basket, refunds, shipments and counterparties from their paths", async () => {
    stub.reply(
      (_req, res) => json(res, 200, { data: [{ sku: "SKU-1", availableAmount: 1200 }] }),
      (_req, res) => json(res, 200, { data: [{ id: "r1", parentId: "o1", merchantOrderId: "m-r1" }], metaData: { totalCount: 1 } }),
      (_req, res) => json(res, 200, { data: [{ id: 7, orderId: "o1" }] }),
      (_req, res) => json(res, 200, { data: [{ vatNumber: "7707083893", name: "ПАО Сбербанк" }] }),
      (_req, res) => json(res, 200, { data: [] })
    )
    const c = client()
    expect((await c.getRefundableBasket("o1"))[0].availableAmount).toBe(1200)
    expect((await c.findRefunds({ parentId: "o1" })).items[0].id).toBe("r1")
    expect((await c.findShipments({ orderId: "o1" })).items[0].id).toBe(7)
    expect((await c.findCounterparty(" 7707083893 "))?.name).toBe("ПАО Сбербанк")
    expect(await c.findCounterparty("500100732259")).toBeNull()
    expect(stub.requests.map((r) => r.url)).toEqual([
      "/v3/billing/api/order/order/o1/refund-basket-item",
      "/v3/filter/api/order/refund-order?parentId=o1",
      "/v3/filter/api/order/shipment?orderId=o1",
      "/v3/filter/api/counterparty-detail?vatNumber=7707083893",
      "/v3/filter/api/counterparty-detail?vatNumber=500100732259",
    ])
  })

  it("rejects a malformed ИНН in findCounterparty without calling Invoicebox", async () => {
    const error = await caught(client().findCounterparty("12345"))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.fields[0].name).toBe("vatNumber")
    expect(stub.requests).toHaveLength(0)
  })

  it("checkAuth returns the user and drops the echoed access token", async () => {
    stub.reply((_req, res) => json(res, 200, { data: { userId: "u-1", profile: { name: "Shop" }, accessToken: TOKEN } }))
    const info = await client().checkAuth()
    expect(info).toEqual({ userId: "u-1", profile: { name: "Shop" } })
    expect(JSON.stringify(info)).not.toContain(TOKEN)
    expect(stub.requests[0].url).toBe("/v3/security/api/auth/auth")
  })

  it("checkAuth treats a 200 with userId null as an auth failure", async () => {
    stub.reply((_req, res) => json(res, 200, { data: { userId: null, profile: null } }, { "X-Request-Id": "rq-null" }))
    const error = await caught(client().checkAuth())
    expect(error).toBeInstanceOf(InvoiceboxAuthError)
    expect(error.requestId).toBe("rq-null")
    expect(error.message).toContain("checkAuth")
  })
})

describe("InvoiceboxClient error mapping", () => {
  it("maps a wrapped 422 to a validation error with code, fields, request id and the operation name", async () => {
    stub.reply((_req, res) =>
      json(
        res,
        422,
        {
          error: {
            message: "Calculation Error",
            code: "wrong_total_amount",
            fields: [{ name: "amount", code: "wrong_value", message: "" }],
          },
        },
        { "X-Request-Id": "rq-422" }
      )
    )
    const error = await caught(client().createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.code).toBe("wrong_total_amount")
    expect(error.httpStatus).toBe(422)
    expect(error.requestId).toBe("rq-422")
    expect(error.fields).toEqual([{ name: "amount", code: "wrong_value", message: "" }])
    expect(error.message).toBe(
      "Invoicebox createOrder failed: wrong_total_amount — Calculation Error [amount: wrong_value] (HTTP 422, request id rq-422)"
    )
    expect(stub.requests).toHaveLength(1)
  })

  it("accepts the bare {code, message} error shape", async () => {
    stub.reply((_req, res) => json(res, 400, { code: "wrong_currency", message: "Currency not supported" }))
    const error = await caught(client().createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxValidationError)
    expect(error.code).toBe("wrong_currency")
    expect(error.message).toContain("Currency not supported")
  })

  it.each([
    [401, InvoiceboxAuthError, "unauthorized"],
    [403, InvoiceboxAuthError, "forbidden"],
    [404, InvoiceboxValidationError, "not_found"],
    [409, InvoiceboxValidationError, "conflict"],
  ])("maps HTTP %i without a body to %O with code %s", async (status, type, code) => {
    stub.reply((_req, res) => {
      res.writeHead(status, { "X-Request-Id": `rq-${status}` })
      res.end()
    })
    const error = await caught(client().findOrders())
    expect(error).toBeInstanceOf(type)
    expect(error.code).toBe(code)
    expect(error.requestId).toBe(`rq-${status}`)
    expect(stub.requests).toHaveLength(1)
  })

  it("keeps a short text of a non-JSON error page", async () => {
    stub.reply((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" })
      res.end("<html><body><h1>502 Bad Gateway</h1>nginx</body></html>")
    })
    const error = await caught(client({ maxRetries: 0 }).findOrders())
    expect(error).toBeInstanceOf(InvoiceboxServerError)
    expect(error.code).toBe("http_502")
    expect(error.message).toContain("502 Bad Gateway nginx")
  })

  it.each([
    ["2", 2000],
    [undefined, 1000],
  ])("reads Retry-After %p as %i ms on a 429", async (header, expected) => {
    stub.reply((_req, res) =>
      json(res, 429, { error: { code: "too_many_requests", message: "Slow down" } }, header ? { "Retry-After": header } : {})
    )
    const error = await caught(client({ maxRetries: 0 }).findOrders())
    expect(error).toBeInstanceOf(InvoiceboxRateLimitError)
    expect((error as InvoiceboxRateLimitError).retryAfterMs).toBe(expected)
  })

  it("reads an HTTP-date Retry-After", async () => {
    const at = new Date(Date.now() + 5000).toUTCString()
    stub.reply((_req, res) => json(res, 429, {}, { "Retry-After": at }))
    const error = (await caught(client({ maxRetries: 0 }).findOrders())) as InvoiceboxRateLimitError
    expect(error.retryAfterMs).toBeGreaterThan(3000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(5000)
  })

  it("maps a 2xx that is not JSON to invalid_response", async () => {
    stub.reply((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" })
      res.end("OK")
    })
    const error = await caught(client().createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxServerError)
    expect(error.code).toBe("invalid_response")
    expect(stub.requests).toHaveLength(1)
  })

  it("never puts the token into an error, even when the server echoes it back", async () => {
    stub.reply((req, res) =>
      json(
        res,
        401,
        {
          error: {
            code: "unauthorized",
            message: `Token ${String(req.headers.authorization)} is not valid`,
            fields: [{ name: "Authorization", code: "invalid", message: String(req.headers.authorization) }],
          },
        },
        { "X-Request-Id": "rq-echo" }
      )
    )
    const error = await caught(client().checkAuth())
    expect(error).toBeInstanceOf(InvoiceboxAuthError)
    expect(error.requestId).toBe("rq-echo")
    expect(error.message).toContain("Bearer [redacted]")
    expectNoToken(error)
  })

  it("attaches a sanitized summary, not the axios error, as the cause", async () => {
    stub.reply(hang)
    const error = await caught(client({ timeoutMs: 50 }).createOrder(orderRequest()))
    const cause = (error as { cause?: Record<string, unknown> }).cause
    expect(cause).toEqual(
      expect.objectContaining({ operation: "createOrder", method: "POST", path: "/billing/api/order/order" })
    )
    expect(Object.keys(cause ?? {})).not.toEqual(expect.arrayContaining(["config"]))
    expect(JSON.stringify(cause)).not.toMatch(/authorization/i)
    expectNoToken(error)
  })
})

describe("InvoiceboxClient retries", () => {
  it("retries a GET on 5xx and succeeds", async () => {
    stub.reply(
      (_req, res) => json(res, 500, {}),
      (_req, res) => json(res, 503, {}),
      (_req, res) => json(res, 200, { data: [order()] })
    )
    const page = await client().findOrders()
    expect(page.items).toHaveLength(1)
    expect(stub.requests).toHaveLength(3)
  })

  it("gives up on a GET after maxRetries resends", async () => {
    stub.reply((_req, res) => json(res, 500, { error: { code: "internal", message: "boom" } }, { "X-Request-Id": "rq-500" }))
    const error = await caught(client({ maxRetries: 2 }).findOrders())
    expect(error).toBeInstanceOf(InvoiceboxServerError)
    expect(error.requestId).toBe("rq-500")
    expect(stub.requests).toHaveLength(3)
  })

  it("waits Retry-After on a 429 before resending a GET", async () => {
    stub.reply(
      (_req, res) => json(res, 429, {}, { "Retry-After": "0.15" }),
      (_req, res) => json(res, 200, { data: [] })
    )
    const started = Date.now()
    await client().findOrders()
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(stub.requests).toHaveLength(2)
  })

  it("does not wait out a Retry-After longer than maxRetryDelayMs", async () => {
    stub.reply((_req, res) => json(res, 429, {}, { "Retry-After": "30" }))
    const error = await caught(client({ maxRetryDelayMs: 100 }).findOrders())
    expect((error as InvoiceboxRateLimitError).retryAfterMs).toBe(30_000)
    expect(stub.requests).toHaveLength(1)
  })

  it("resends a write after a 429, because a rate-limited request was not processed", async () => {
    stub.reply(
      (_req, res) => json(res, 429, {}, { "Retry-After": "0" }),
      (_req, res) => json(res, 200, { data: order() })
    )
    const created = await client().createOrder(orderRequest())
    expect(created.id).toBe(order().id)
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "POST"])
  })

  it.each(["POST", "PUT", "DELETE"])("never resends a %s after a 5xx", async (method) => {
    stub.reply((_req, res) => json(res, 503, {}))
    const c = client()
    const call =
      method === "POST"
        ? c.createOrder(orderRequest())
        : method === "PUT"
          ? c.updateOrder("o1", { description: "x" })
          : c.cancelOrder("o1")
    expect(await caught(call)).toBeInstanceOf(InvoiceboxServerError)
    expect(stub.requests).toHaveLength(1)
  })

  it("does not retry a 4xx GET", async () => {
    stub.reply((_req, res) => json(res, 422, { error: { code: "wrong_filter", message: "bad" } }))
    expect(await caught(client().findOrders())).toBeInstanceOf(InvoiceboxValidationError)
    expect(stub.requests).toHaveLength(1)
  })

  it("times out a hanging write as an unknown outcome and does not resend it", async () => {
    stub.reply(hang)
    const error = await caught(client({ timeoutMs: 100 }).createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(error.code).toBe("timeout")
    expect(error.message).toContain("createOrder")
    expect(stub.requests).toHaveLength(1)
  })

  it("retries a GET that timed out", async () => {
    stub.reply(hang, (_req, res) => json(res, 200, { data: [] }))
    await client({ timeoutMs: 100 }).findOrders()
    expect(stub.requests).toHaveLength(2)
  })

  it("reports a connection reset after sending as an unknown outcome", async () => {
    stub.reply(reset)
    const error = await caught(client().createOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(error.code).toBe("connection_lost")
    expect(stub.requests).toHaveLength(1)
    expectNoToken(error)
  })

  it("reports a refused connection as a network error and retries it for a GET", async () => {
    const url = stub.url
    await stub.close()
    const warnings: string[] = []
    const error = await caught(
      new InvoiceboxClient({
        baseUrl: url,
        apiToken: TOKEN,
        maxRetries: 2,
        retryBaseDelayMs: 1,
        logger: { warn: (m) => warnings.push(m) },
      }).findOrders()
    )
    expect(error).toBeInstanceOf(InvoiceboxNetworkError)
    expect(error.code).toBe("network_error")
    expect(error.message).toContain("ECONNREFUSED")
    expect(warnings).toHaveLength(2)
    expect(warnings.join("\n")).not.toContain(TOKEN)
    stub = await startStub()
  })

  it("logs each attempt at debug level without the token", async () => {
    stub.reply((_req, res) => json(res, 200, { data: [] }, { "X-Request-Id": "rq-log" }))
    const lines: string[] = []
    await client({ logger: { debug: (m) => lines.push(m) } }).findOrders({ merchantOrderId: "m1" })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/findOrders: GET \/filter\/api\/order\/order\?merchantOrderId=m1 -> 200 in \d+ ms \(request id rq-log\)/)
  })
})

describe("createOrRecoverOrder / createOrRecoverRefund", () => {
  const lookupUrl = `/v3/filter/api/order/order?merchantOrderId=pay_sess_01&merchantId=${MERCHANT}&page=1&pageSize=100`

  it("returns the order a dropped create committed, found by merchantOrderId", async () => {
    stub.reply(reset, (_req, res) => json(res, 200, { data: [order()] }))
    const result = await client().createOrRecoverOrder(orderRequest())
    expect(result).toEqual({ order: order(), recovered: true, resent: false })
    expect(stub.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /v3/billing/api/order/order", `GET ${lookupUrl}`])
  })

  it("recovers on merchant_order_id_duplicate", async () => {
    stub.reply(
      (_req, res) => json(res, 422, { error: { code: "merchant_order_id_duplicate", message: "Duplicate" } }),
      (_req, res) => json(res, 200, { data: [order()] })
    )
    expect(await client().createOrRecoverOrder(orderRequest())).toEqual({ order: order(), recovered: true, resent: false })
  })

  it("does not adopt an order of another merchant or with another merchantOrderId", async () => {
    stub.reply(
      (_req, res) => json(res, 422, { error: { code: "merchant_order_id_duplicate", message: "Duplicate" } }),
      (_req, res) =>
        json(res, 200, { data: [order({ merchantId: "other-merchant" }), order({ merchantOrderId: "pay_sess_01x" })] })
    )
    const error = await caught(client().createOrRecoverOrder(orderRequest()))
    expect(error.code).toBe("merchant_order_id_duplicate")
    expect(stub.requests).toHaveLength(2)
  })

  it("resends the create once when a 5xx left nothing behind", async () => {
    stub.reply(
      (_req, res) => json(res, 500, {}),
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 200, { data: order() })
    )
    expect(await client().createOrRecoverOrder(orderRequest())).toEqual({ order: order(), recovered: false, resent: true })
    // The resend is followed by a twin check (nothing else carries the number here).
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST", "GET"])
  })

  it("keeps looking for recoveryWaitMs before resending: an order that shows up late is recovered, not created twice", async () => {
    stub.reply(
      (_req, res) => json(res, 504, {}),
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 200, { data: [order()] })
    )
    const result = await client({ recoveryWaitMs: 60_000 }).createOrRecoverOrder(orderRequest())
    expect(result).toEqual({ order: order(), recovered: true, resent: false })
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "GET", "GET", "GET"])
  })

  it("looks up for at most recoveryWaitMs, then resends once", async () => {
    let posts = 0
    stub.reply((req, res) => {
      if (req.method === "GET") return json(res, 200, { data: [] })
      posts += 1
      return posts === 1 ? json(res, 504, {}) : json(res, 200, { data: order() })
    })
    const started = Date.now()
    const result = await client({ recoveryWaitMs: 1500 }).createOrRecoverOrder(orderRequest())
    expect(result).toEqual({ order: order(), recovered: false, resent: true })
    const methods = stub.requests.map((r) => r.method)
    // Look-ups at 0, 1 s and 1.5 s at most (the pauses double, the last is cut to the window), then
    // the resend and its twin check.
    expect(methods.slice(0, 1)).toEqual(["POST"])
    expect(methods.slice(-2)).toEqual(["POST", "GET"])
    expect(methods.filter((m) => m === "GET").length - 1).toBeLessThanOrEqual(3)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
  })

  it("keeps the paid one of two orders with the session's number and cancels the open twin", async () => {
    const twin = order({ id: "o-twin", status: "created", createdAt: "2024-01-01T00:00:00+00:00" })
    const paid = order({ status: "completed", createdAt: "2024-01-01T00:00:05+00:00" })
    stub.reply(
      reset,
      (_req, res) => json(res, 200, { data: [twin, paid], metaData: { totalCount: 2 } }),
      (_req, res) => json(res, 200, { data: { ...twin, status: "canceled" } })
    )
    const result = await client().createOrRecoverOrder(orderRequest())
    expect(result.order.id).toBe(paid.id)
    expect(stub.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
      "POST /v3/billing/api/order/order",
      "GET /v3/filter/api/order/order",
      "DELETE /v3/billing/api/order/order/o-twin",
    ])
  })

  it("turns a late commit (duplicate on the resend) into the recovered order", async () => {
    stub.reply(
      hang,
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 422, { error: { code: "merchant_order_id_duplicate", message: "Duplicate" } }),
      (_req, res) => json(res, 200, { data: [order()] })
    )
    expect(await client({ timeoutMs: 100 }).createOrRecoverOrder(orderRequest())).toEqual({
      order: order(),
      recovered: true,
      resent: false,
    })
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST", "GET"])
  })

  it("resends at most once", async () => {
    stub.reply(
      (_req, res) => json(res, 502, {}),
      (_req, res) => json(res, 200, { data: [] }),
      (_req, res) => json(res, 503, {}, { "X-Request-Id": "rq-second" })
    )
    const error = await caught(client().createOrRecoverOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxServerError)
    expect(error.requestId).toBe("rq-second")
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST"])
  })

  it("throws a plain validation error without any lookup", async () => {
    stub.reply((_req, res) => json(res, 422, { error: { code: "wrong_total_amount", message: "Calculation Error" } }))
    const error = await caught(client().createOrRecoverOrder(orderRequest()))
    expect(error.code).toBe("wrong_total_amount")
    expect(stub.requests).toHaveLength(1)
  })

  it("keeps the unknown-outcome error when the lookup itself fails", async () => {
    stub.reply(reset, (_req, res) => json(res, 401, { error: { code: "unauthorized", message: "no" } }))
    const error = await caught(client().createOrRecoverOrder(orderRequest()))
    expect(error).toBeInstanceOf(InvoiceboxOutcomeUnknownError)
    expect(stub.requests.map((r) => r.method)).toEqual(["POST", "GET"])
  })

  it("recovers a refund by its merchantOrderId within the parent order", async () => {
    const refundReq: RefundRequest = {
      parentId: "o1",
      merchantOrderId: "pay_sess_01-r1",
      amount: 100,
      vatAmount: 0,
      description: "Возврат",
      basketItems: orderRequest().basketItems,
    }
    const refund = {
      id: "r1",
      parentId: "o1",
      merchantOrderId: "pay_sess_01-r1",
      merchantId: MERCHANT,
      amount: 100,
      vatAmount: 0,
      currencyId: "RUB",
      description: "Возврат",
      basketItems: [],
      createdAt: "2024-01-01T00:00:00+00:00",
      status: "created",
    }
    stub.reply(reset, (_req, res) =>
      json(res, 200, { data: [{ ...refund, id: "r0", parentId: "o0" }, refund], metaData: { totalCount: 2 } })
    )
    const result = await client().createOrRecoverRefund(refundReq)
    expect(result).toEqual({ refund, recovered: true, resent: false })
    expect(stub.requests[1].url).toBe("/v3/filter/api/order/refund-order?merchantOrderId=pay_sess_01-r1&parentId=o1")
  })
})

describe("InvoiceboxClient options", () => {
  it.each([
    ["http://api.invoicebox.ru", /must use https/],
    ["ftp://api.invoicebox.ru", /must use https/],
    ["not a url", /not a valid absolute URL/],
    ["https://user:pw@api.invoicebox.ru", /credentials/],
    ["https://api.invoicebox.ru?x=1", /query/],
    ["", /required/],
  ])("rejects baseUrl %p", (baseUrl, message) => {
    expect(() => new InvoiceboxClient({ baseUrl, apiToken: TOKEN })).toThrow(message)
  })

  it.each(["https://api.invoicebox.ru", "http://localhost:9000", "http://127.0.0.1:1", "http://[::1]:8080"])(
    "accepts baseUrl %p",
    (baseUrl) => {
      expect(() => new InvoiceboxClient({ baseUrl, apiToken: TOKEN })).not.toThrow()
    }
  )

  it.each([
    [{ apiToken: "" }, /apiToken is required/],
    [{ apiToken: `${TOKEN} extra` }, /whitespace/],
    [{ apiPrefix: "v2" as "v3" }, /apiPrefix/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ maxRetries: 1.5 }, /maxRetries/],
    [{ maxRetries: -1 }, /maxRetries/],
    [{ userAgent: "a\r\nX-Evil: 1" }, /userAgent/],
  ])("rejects %p without echoing the token", (overrides, message) => {
    let thrown: unknown
    try {
      new InvoiceboxClient({ baseUrl: "https://api.invoicebox.ru", apiToken: TOKEN, ...overrides })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvoiceboxError)
    expect((thrown as InvoiceboxError).code).toBe("invalid_options")
    expect((thrown as Error).message).toMatch(message)
    expect((thrown as Error).message).not.toContain(TOKEN)
  })
})
