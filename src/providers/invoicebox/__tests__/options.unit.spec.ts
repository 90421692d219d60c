import InvoiceboxProviderService from "../service"
import { usesWebSocket, webSocketUrlFor } from "../options"

const valid = {
  merchantId: "ffffffff-ffff-ffff-ffff-ffffffffffff",
  apiToken: "b37c4c689295904ed21eee5d9a48d42e",
  notificationKey: "key",
}

const problemsOf = (options: Record<string, unknown>): string => {
  try {
    InvoiceboxProviderService.validateOptions(options)
    return ""
  } catch (e) {
    return (e as Error).message
  }
}

describe("validateOptions", () => {
  it("accepts the minimal configuration", () => {
    expect(problemsOf(valid)).toBe("")
    expect(problemsOf({ ...valid, vatCodes: { "22": "RUS_VAT22", "5": "RUS_VAT5" }, zeroRateIsUntaxed: true, maxBasketItems: 50, recoveryWaitMs: 0 })).toBe("")
  })

  it.each([
    ["merchantId", { ...valid, merchantId: undefined }, /merchantId is required/],
    ["merchantId", { ...valid, merchantId: "12345" }, /merchantId must be a UUID/],
    ["apiToken", { ...valid, apiToken: "" }, /apiToken is required/],
    ["notificationKey", { ...valid, notificationKey: undefined }, /notificationKey is required/],
    ["apiUrl", { ...valid, apiUrl: "http://api.invoicebox.ru" }, /apiUrl must use https/],
    ["apiPrefix", { ...valid, apiPrefix: "v2" }, /apiPrefix must be "v3" or "l3"/],
    ["paymentTermMinutes", { ...valid, paymentTermMinutes: 60 * 24 * 31 }, /paymentTermMinutes/],
    ["notificationUrl", { ...valid, notificationUrl: "/hooks/invoicebox" }, /notificationUrl is not an absolute URL/],
    ["signatureAlgorithm", { ...valid, signatureAlgorithm: "sha-256" }, /signatureAlgorithm must be one of sha1, sha256, sha512/],
    ["returnFee", { ...valid, returnFee: "yes" }, /returnFee must be true or false/],
    ["returnFeeVatCode", { ...valid, returnFeeVatCode: "RUS_VAT20_ADDED" }, /returnFeeVatCode must be one of VATNONE/],
    ["returnFeeItemType", { ...valid, returnFeeItemType: "fee" }, /returnFeeItemType must be "service" or "commodity"/],
    ["returnFeeName", { ...valid, returnFeeName: "  " }, /returnFeeName must be a text/],
    ["checkStockOnPayment", { ...valid, checkStockOnPayment: "true" }, /checkStockOnPayment must be true or false/],
    ["paymentLinkChannel", { ...valid, paymentLinkChannel: "" }, /paymentLinkChannel must be a non-empty text/],
    ["paymentLinkTemplate", { ...valid, paymentLinkTemplate: 42 }, /paymentLinkTemplate must be a non-empty text/],
    ["maxBasketItems", { ...valid, maxBasketItems: 101 }, /maxBasketItems must be a whole number from 1 to 100/],
    ["recoveryWaitMs", { ...valid, recoveryWaitMs: 120_000 }, /recoveryWaitMs must be a whole number of milliseconds from 0 to 60000/],
    ["recoveryWaitMs", { ...valid, recoveryWaitMs: -1 }, /recoveryWaitMs/],
    ["vatCodes", { ...valid, vatCodes: { "22": "RUS_VAT2" } }, /vatCodes\.22 must be one of/],
    ["vatCodes", { ...valid, vatCodes: { "20": "RUS_VAT22" } }, /vatCodes\.20: RUS_VAT22 is a 22 % code, not 20 %/],
    ["zeroRateIsUntaxed", { ...valid, zeroRateIsUntaxed: "yes" }, /zeroRateIsUntaxed must be true or false/],
  ])("names %s when it is wrong", (_name, options, message) => {
    expect(problemsOf(options)).toMatch(message)
  })

  it("lists every problem at once", () => {
    const message = problemsOf({ apiUrl: "ftp://x" })
    expect(message).toMatch(/merchantId/)
    expect(message).toMatch(/apiToken/)
    expect(message).toMatch(/notificationKey/)
    expect(message).toMatch(/apiUrl/)
  })

  it.each(["http://localhost:4010", "http://127.0.0.1:4010", "http://[::1]:4010"])("allows plain http for the loopback sandbox %s", (apiUrl) => {
    expect(problemsOf({ ...valid, apiUrl })).toBe("")
  })

  it.each(["sha1", "sha256", "sha512"])("accepts the signature algorithm %s", (signatureAlgorithm) => {
    expect(problemsOf({ ...valid, signatureAlgorithm })).toBe("")
  })

  it("never repeats the token in its messages", () => {
    expect(problemsOf({ ...valid, apiToken: "short token" })).not.toContain("short token")
  })
})

describe("notificationTransport and webSocketUrl", () => {
  it.each(["http", "websocket", "both"])("accepts notificationTransport %s with the default v3 prefix", (notificationTransport) => {
    expect(problemsOf({ ...valid, notificationTransport })).toBe("")
  })

  it("refuses an unknown transport, naming the option", () => {
    expect(problemsOf({ ...valid, notificationTransport: "ws" })).toMatch(/notificationTransport must be "http", "websocket" or "both"/)
  })

  it.each(["websocket", "both"])("refuses %s with apiPrefix l3: the gate serves only v3", (notificationTransport) => {
    expect(problemsOf({ ...valid, notificationTransport, apiPrefix: "l3" })).toMatch(/notificationTransport "\w+" needs apiPrefix "v3"/)
    expect(problemsOf({ ...valid, notificationTransport: "http", apiPrefix: "l3" })).toBe("")
  })

  it("allows plain ws only for loopback hosts, and no token or credentials in the URL (never echoing them)", () => {
    const ws = (webSocketUrl: string) => problemsOf({ ...valid, notificationTransport: "websocket", webSocketUrl })
    expect(ws("wss://ws-gate.invoicebox.ru/v3/gate/rpc")).toBe("")
    expect(ws("ws://127.0.0.1:4010/v3/gate/rpc")).toBe("")
    expect(ws("ws://localhost:4010/v3/gate/rpc")).toBe("")
    expect(ws("ws://ws-gate.invoicebox.ru/v3/gate/rpc")).toMatch(/webSocketUrl must use wss/)
    expect(ws("https://ws-gate.invoicebox.ru/v3/gate/rpc")).toMatch(/webSocketUrl must use wss/)
    const withToken = ws(`wss://ws-gate.invoicebox.ru/v3/gate/rpc?token=${valid.apiToken}`)
    expect(withToken).toMatch(/webSocketUrl must carry neither a query nor credentials/)
    expect(withToken).not.toContain(valid.apiToken)
    expect(ws("not a url")).toMatch(/webSocketUrl is not a URL/)
  })

  it("derives the gate: the public one, or the sandbox's own for a loopback apiUrl; an explicit one wins", () => {
    expect(webSocketUrlFor({})).toBe("wss://ws-gate.invoicebox.ru/v3/gate/rpc")
    expect(webSocketUrlFor({ apiUrl: "https://api.invoicebox.ru" })).toBe("wss://ws-gate.invoicebox.ru/v3/gate/rpc")
    expect(webSocketUrlFor({ apiUrl: "http://127.0.0.1:4010" })).toBe("ws://127.0.0.1:4010/v3/gate/rpc")
    expect(webSocketUrlFor({ apiUrl: "http://127.0.0.1:4010", webSocketUrl: "ws://localhost:9999/v3/gate/rpc" })).toBe(
      "ws://localhost:9999/v3/gate/rpc"
    )
    expect(usesWebSocket({ notificationTransport: "both" })).toBe(true)
    expect(usesWebSocket({ notificationTransport: "http" })).toBe(false)
    expect(usesWebSocket({})).toBe(false)
  })
})
