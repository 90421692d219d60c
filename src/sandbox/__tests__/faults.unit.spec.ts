import http from "node:http"
import { Sandbox, startSandbox } from "../index"
import { call, documentedOrder, TOKEN } from "./helpers"

const ORDER = "/v3/billing/api/order/order"

/** A raw request that reports how the socket ended, which fetch would hide behind a TypeError. */
function rawRequest(base: string, method: string, path: string, body?: unknown, timeoutMs = 2000) {
  return new Promise<{ kind: "response"; status: number } | { kind: "error"; code: string } | { kind: "timeout" }>((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(base + path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...(payload ? { "Content-Length": Buffer.byteLength(payload) } : {}) },
      agent: false,
    })
    const timer = setTimeout(() => {
      req.destroy()
      resolve({ kind: "timeout" })
    }, timeoutMs)
    req.on("response", (res) => {
      res.resume()
      res.on("end", () => {
        clearTimeout(timer)
        resolve({ kind: "response", status: res.statusCode ?? 0 })
      })
    })
    req.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve({ kind: "error", code: error.code ?? error.message })
    })
    req.end(payload)
  })
}

describe("sandbox rate limit and faults", () => {
  let sandbox: Sandbox
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 })
    base = sandbox.url
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())

  it("answers 429 with Retry-After over the limit, per token, and not on control routes", async () => {
    sandbox.setRateLimit(3, 2000)
    for (let i = 0; i < 3; i++) expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
    const limited = await call(base, "GET", "/v3/filter/api/order/order")
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(2)
    expect(limited.headers.get("x-request-id")).toBeTruthy()
    // Another token has its own budget (and is then refused as unauthorized, not limited).
    expect((await call(base, "GET", "/v3/filter/api/order/order", undefined, { token: "other" })).status).toBe(401)
    expect((await call(base, "GET", "/__sandbox/state")).status).toBe(200)
  })

  it("counts quota violations (not injected 429s) in GET /__sandbox/stats until reset", async () => {
    sandbox.setRateLimit(2, 5000)
    sandbox.injectFault({ path: "/filter/", mode: "429", count: 1 })
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(429)
    for (let i = 0; i < 2; i++) expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(429)
    const stats = await call(base, "GET", "/__sandbox/stats")
    expect(stats.status).toBe(200)
    expect(stats.body.data).toEqual({ quota: { limit: 2, windowMs: 5000, violations: 3, accepted: 2 } })
    // A new limit keeps the count: the benchmark changes limits mid-run and must not lose violations.
    sandbox.setRateLimit(10, 5000)
    expect(sandbox.stats().quota.violations).toBe(3)
    sandbox.reset()
    expect(sandbox.stats().quota).toEqual({ limit: 100, windowMs: 30_000, violations: 0, accepted: 0 })
  })

  it("lets the window pass and changes the limit over HTTP", async () => {
    const set = await call(base, "POST", "/__sandbox/rate-limit", { limit: 1, windowMs: 200 })
    expect(set.status).toBe(200)
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(429)
    await new Promise((resolve) => setTimeout(resolve, 220))
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
  })

  it("answers 500 in the Invoicebox envelope for the next `count` matching calls only", async () => {
    sandbox.injectFault({ method: "POST", path: "/billing/api/order/order", mode: "500", count: 2 })
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
    const first = await call(base, "POST", ORDER, documentedOrder())
    expect(first.status).toBe(500)
    expect(first.body.error.code).toBe("internal_error")
    expect((await call(base, "POST", ORDER, documentedOrder())).status).toBe(500)
    expect(sandbox.orders()).toHaveLength(0)
    expect((await call(base, "POST", ORDER, documentedOrder())).status).toBe(200)
  })

  it("answers 429 with the given Retry-After", async () => {
    sandbox.injectFault({ path: "/filter/", mode: "429", retryAfterSeconds: 7 })
    const reply = await call(base, "GET", "/v3/filter/api/order/order")
    expect(reply.status).toBe(429)
    expect(reply.headers.get("retry-after")).toBe("7")
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
  })

  it("resets the connection without applying the request", async () => {
    sandbox.injectFault({ path: "/v3/billing/api/order/order", mode: "reset" })
    const outcome = await rawRequest(base, "POST", ORDER, documentedOrder())
    expect(outcome).toEqual({ kind: "error", code: "ECONNRESET" })
    expect(sandbox.orders()).toHaveLength(0)
  })

  it("applies the request and then drops the connection (commit-then-drop)", async () => {
    const request = documentedOrder()
    sandbox.injectFault({ method: "POST", path: "^/billing/api/order/order$", mode: "commit-then-drop" })
    const outcome = await rawRequest(base, "POST", ORDER, request)
    expect(outcome.kind).toBe("error")
    expect(sandbox.orders().map((order) => order.merchantOrderId)).toEqual([request.merchantOrderId])
    // The caller can recover by looking the order up.
    const found = await call(base, "GET", `/v3/filter/api/order/order?merchantOrderId=${request.merchantOrderId}`)
    expect(found.body.data).toHaveLength(1)
  })

  it("answers 504 and applies the request later (late-commit); a reset drops what is still pending", async () => {
    const request = documentedOrder()
    sandbox.injectFault({ method: "POST", path: "^/billing/api/order/order$", mode: "late-commit", commitAfterMs: 60_000 })
    const timedOut = await call(base, "POST", ORDER, request)
    expect(timedOut.status).toBe(504)
    expect(timedOut.body.error.code).toBe("gateway_timeout")
    expect(sandbox.orders()).toHaveLength(0)
    sandbox.reset()

    sandbox.injectFault({ method: "POST", path: "^/billing/api/order/order$", mode: "late-commit", commitAfterMs: 50 })
    expect((await call(base, "POST", ORDER, request)).status).toBe(504)
    for (let i = 0; i < 100 && sandbox.orders().length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(sandbox.orders().map((order) => order.merchantOrderId)).toEqual([request.merchantOrderId])
  })

  it("refuses a late-commit fault with a negative delay", async () => {
    const reply = await call(base, "POST", "/__sandbox/faults", { path: "/billing", mode: "late-commit", commitAfterMs: -1 })
    expect(reply.status).toBe(422)
    expect(reply.body.error.fields[0].name).toBe("commitAfterMs")
  })

  it("hangs until the client gives up, and close() still ends quickly", async () => {
    const own = await startSandbox({ port: 0 })
    own.injectFault({ path: "/filter", mode: "hang", count: 5 })
    const outcome = await rawRequest(own.url, "GET", "/v3/filter/api/order/order", undefined, 300)
    expect(outcome).toEqual({ kind: "timeout" })

    const pending = rawRequest(own.url, "GET", "/v3/filter/api/order/order", undefined, 10_000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = Date.now()
    await own.close()
    expect(Date.now() - started).toBeLessThan(1000)
    expect((await pending).kind).toBe("error")
  })

  it("manages faults over HTTP", async () => {
    const added = await call(base, "POST", "/__sandbox/faults", { method: "GET", path: "/filter/api/order/order", mode: "500", count: 3 })
    expect(added.status).toBe(200)
    expect(added.body.data).toEqual([expect.objectContaining({ mode: "500", remaining: 3 })])
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(500)
    expect((await call(base, "DELETE", "/__sandbox/faults")).status).toBe(200)
    expect((await call(base, "GET", "/v3/filter/api/order/order")).status).toBe(200)
    const invalid = await call(base, "POST", "/__sandbox/faults", { path: "/x", mode: "explode" })
    expect(invalid.status).toBe(422)
  })
})
