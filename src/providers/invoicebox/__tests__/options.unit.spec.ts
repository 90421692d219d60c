import InvoiceboxProviderService from "../service"

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
