import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  InvoiceboxAuthError,
  InvoiceboxNetworkError,
  InvoiceboxOutcomeUnknownError,
  InvoiceboxRateLimitError,
  InvoiceboxServerError,
  InvoiceboxValidationError,
} from "../../errors"
import { assertSafeApiUrl, backoffDelayMs, isLoopbackHost, parseErrorBody, parseRetryAfter, retryDelayFor, toInvoiceboxDateTime } from ".."
import { errorFromTransport } from "../http-errors"
import { encodeQuery } from "../query"
import { HttpMethod, RetryPolicy } from "../retry"
import { buildUserAgent, findPackageVersion } from "../user-agent"

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-06-01T12:00:00Z")

  it.each([
    ["3", 3000],
    [" 0 ", 0],
    ["1.5", 1500],
    ["Sat, 01 Jun 2024 12:00:07 GMT", 7000],
    ["Sat, 01 Jun 2024 11:59:00 GMT", 0],
    [["4", "9"], 4000],
  ])("parses %p as %i ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it.each([undefined, null, "", "soon", "-1", "1e3", "Blursday"])("returns undefined for %p", (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})

describe("backoffDelayMs", () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 }

  it("doubles per retry within [step/2, step] and respects the cap", () => {
    expect([0, 1, 2, 3, 4].map((i) => backoffDelayMs(i, policy, () => 1))).toEqual([100, 200, 400, 800, 1000])
    expect([0, 1, 2, 3, 4].map((i) => backoffDelayMs(i, policy, () => 0))).toEqual([50, 100, 200, 400, 500])
  })
})

describe("retryDelayFor", () => {
  const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 5000 }
  const init = { code: "x" }
  const network = new InvoiceboxNetworkError("n", init)
  const unknown = new InvoiceboxOutcomeUnknownError("u", init)
  const server = new InvoiceboxServerError("s", init)
  const limited = new InvoiceboxRateLimitError("r", { ...init, retryAfterMs: 1200 })
  const longLimit = new InvoiceboxRateLimitError("r", { ...init, retryAfterMs: 60_000 })
  const invalid = new InvoiceboxValidationError("v", init)
  const auth = new InvoiceboxAuthError("a", init)
  const one = () => 1

  it.each<[HttpMethod, unknown, number | undefined]>([
    ["GET", network, 100],
    ["GET", unknown, 100],
    ["GET", server, 100],
    ["GET", limited, 1200],
    ["GET", longLimit, undefined],
    ["GET", invalid, undefined],
    ["GET", auth, undefined],
    ["GET", new Error("bug"), undefined],
    ["POST", limited, 1200],
    ["POST", network, undefined],
    ["POST", unknown, undefined],
    ["POST", server, undefined],
    ["PUT", unknown, undefined],
    ["DELETE", server, undefined],
  ])("%s after %p -> %p", (method, error, expected) => {
    expect(retryDelayFor(method, error, 0, policy, one)).toBe(expected)
  })

  it("stops when the budget is spent, for every kind of error", () => {
    expect(retryDelayFor("GET", server, 2, policy, one)).toBe(400)
    expect(retryDelayFor("GET", server, 3, policy, one)).toBeUndefined()
    expect(retryDelayFor("POST", limited, 3, policy, one)).toBeUndefined()
    expect(retryDelayFor("GET", network, 0, { ...policy, maxRetries: 0 }, one)).toBeUndefined()
  })
})

describe("errorFromTransport", () => {
  const base = { operation: "createOrder", method: "POST", path: "/p", timeoutMs: 100, redact: (s: string) => s }

  it.each([
    [{ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:1" }, InvoiceboxNetworkError, "network_error"],
    [{ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND api.example" }, InvoiceboxNetworkError, "network_error"],
    [{ code: "ERR_NETWORK", cause: { code: "EAI_AGAIN" } }, InvoiceboxNetworkError, "network_error"],
    [{ code: "ECONNABORTED", message: "timeout of 100ms exceeded" }, InvoiceboxOutcomeUnknownError, "timeout"],
    [{ code: "ERR_CANCELED", message: "canceled" }, InvoiceboxOutcomeUnknownError, "timeout"],
    [{ code: "ECONNRESET", message: "socket hang up" }, InvoiceboxOutcomeUnknownError, "connection_lost"],
    [{ message: "something odd" }, InvoiceboxOutcomeUnknownError, "connection_lost"],
  ])("classifies %p", (raw, type, code) => {
    const error = errorFromTransport({ ...base, error: Object.assign(new Error(String((raw as { message?: string }).message ?? "")), raw) })
    expect(error).toBeInstanceOf(type)
    expect(error.code).toBe(code)
    expect(error.message).toMatch(/^Invoicebox createOrder failed: /)
  })
})

describe("parseErrorBody", () => {
  it("reads the documented wrapper, the bare shape and a field map", () => {
    expect(parseErrorBody({ error: { code: "forbidden", message: "Forbidden", fields: [] } })).toEqual({
      code: "forbidden",
      message: "Forbidden",
      fields: [],
    })
    expect(parseErrorBody({ code: "wrong_currency", message: "No", fields: [{ name: "currencyId", code: "bad" }] })).toEqual({
      code: "wrong_currency",
      message: "No",
      fields: [{ name: "currencyId", code: "bad", message: "" }],
    })
    expect(parseErrorBody({ error: { code: 42, fields: { amount: "too big" } } })).toEqual({
      code: "42",
      message: undefined,
      fields: [{ name: "amount", code: "", message: "too big" }],
    })
    expect(parseErrorBody("oops")).toEqual({ fields: [] })
  })
})

describe("URL safety", () => {
  it.each([
    ["http://localhost:9000", true],
    ["http://LOCALHOST", true],
    ["http://127.0.0.1", true],
    ["http://127.10.0.3:80", true],
    ["http://[::1]:3000", true],
    ["::1", true],
    ["localhost:9000", true],
    ["http://sandbox.localhost", true],
    ["https://api.invoicebox.ru", false],
    ["http://localhost.evil.com", false],
    ["http://127.0.0.1.nip.io", false],
    ["http://10.0.0.1", false],
    ["garbage://", false],
  ])("isLoopbackHost(%p) = %p", (url, expected) => {
    expect(isLoopbackHost(url)).toBe(expected)
  })

  it("assertSafeApiUrl returns the parsed URL and names the option in errors", () => {
    expect(assertSafeApiUrl("https://api.invoicebox.ru/").host).toBe("api.invoicebox.ru")
    expect(() => assertSafeApiUrl("http://api.stage.invbox.ru", "apiUrl")).toThrow(/apiUrl must use https/)
  })
})

describe("encodeQuery", () => {
  it("skips undefined values and returns an empty string for no params", () => {
    expect(encodeQuery({})).toBe("")
    expect(encodeQuery({ a: undefined, b: null })).toBe("")
    expect(decodeURIComponent(encodeQuery({ id: ["a", "b"], page: 2, paidAt: { _lt: "x" } }))).toBe(
      "?id[]=a&id[]=b&page=2&paidAt[_lt]=x"
    )
  })
})

describe("User-Agent", () => {
  it("finds our package.json by walking up, and falls back to 0.0.0 elsewhere", () => {
    const real = (JSON.parse(readFileSync(join(__dirname, "../../../../package.json"), "utf8")) as { version: string }).version
    expect(findPackageVersion(__dirname)).toBe(real)

    const root = mkdtempSync(join(tmpdir(), "ibx-ua-"))
    const deep = join(root, "node_modules", "medusa-payment-invoicebox", ".medusa", "server", "src", "core", "client")
    mkdirSync(deep, { recursive: true })
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "some-shop", version: "9.9.9" }))
    expect(findPackageVersion(deep)).toBe("0.0.0")
    writeFileSync(
      join(root, "node_modules", "medusa-payment-invoicebox", "package.json"),
      JSON.stringify({ name: "medusa-payment-invoicebox", version: "1.2.3" })
    )
    expect(findPackageVersion(deep)).toBe("1.2.3")
  })

  it("appends a trimmed suffix", () => {
    expect(buildUserAgent("  Medusa/2.21.2 ")).toMatch(/^medusa-payment-invoicebox\/\S+ \(Node\.js\/v\d+\.\d+\.\d+\) Medusa\/2\.21\.2$/)
    expect(buildUserAgent()).toMatch(/\(Node\.js\/v[\d.]+\)$/)
  })
})

describe("toInvoiceboxDateTime", () => {
  it("formats as ATOM in UTC without milliseconds", () => {
    expect(toInvoiceboxDateTime(new Date("2024-01-31T12:34:56.789Z"))).toBe("2024-01-31T12:34:56+00:00")
    expect(() => toInvoiceboxDateTime(new Date("nope"))).toThrow(TypeError)
  })
})
