import { Modules } from "@medusajs/framework/utils"
import { isValidInn } from "../../../../../core"
import { LOOKUP_LIMIT } from "../../../../../providers/invoicebox/request-budget"
import { GET, RATE_LIMIT, resetRateLimit, FOUND_TTL_SECONDS, NOT_FOUND_TTL_SECONDS } from "../route"

const SBER = {
  vatNumber: "7707083893",
  taxRegistrationReasonCode: "773601001",
  name: "ПАО Сбербанк",
  registrationNumber: "1027700132195",
  registrationAddress: "117312, г. Москва, ул. Вавилова, д. 19",
}

function setup({ ip = "10.0.0.1", findCounterparty = jest.fn(async (inn: string) => (inn === SBER.vatNumber ? SBER : null)) } = {}) {
  const store = new Map<string, { value: unknown; ttl?: number }>()
  const cache = {
    get: jest.fn(async (key: string) => (store.get(key)?.value as any) ?? null),
    set: jest.fn(async (key: string, value: unknown, ttl?: number) => void store.set(key, { value, ttl })),
    invalidate: jest.fn(async (key: string) => void store.delete(key)),
  }
  const provider = { client: { findCounterparty }, options: {}, bindProviderId: () => undefined }
  const scope = {
    resolve: (key: string) => {
      if (key === Modules.PAYMENT) return { __container__: { payment_providers: ["pp_system_default", "pp_invoicebox_invoicebox"], pp_invoicebox_invoicebox: provider } }
      if (key === Modules.CACHE) return cache
      if (key === "logger") return { warn: jest.fn(), info: jest.fn(), error: jest.fn() }
      throw new Error(`unknown ${key}`)
    },
  }
  const call = async (query: Record<string, unknown>) => {
    const res: any = { statusCode: 0, body: undefined, headers: {} as Record<string, string> }
    res.status = (code: number) => ((res.statusCode = code), res)
    res.json = (body: unknown) => ((res.body = body), res)
    res.setHeader = (k: string, v: string) => void (res.headers[k] = v)
    await GET({ query, scope, ip } as any, res)
    return res as { statusCode: number; body: any; headers: Record<string, string> }
  }
  return { call, cache, store, findCounterparty }
}

/** Distinct valid company ИНН, so that every look-up misses the cache and would reach Invoicebox. */
function validInns(count: number): string[] {
  const found: string[] = []
  for (let n = 770708380; found.length < count; n++) {
    for (let d = 0; d <= 9; d++) if (isValidInn(`${n}${d}`)) found.push(`${n}${d}`)
  }
  return found.slice(0, count)
}

describe("GET /store/invoicebox/counterparty", () => {
  beforeEach(() => resetRateLimit())

  it("cannot drain the Invoicebox quota from many addresses: a global limit stops look-ups, not checkout", async () => {
    const findCounterparty = jest.fn(async () => null)
    const inns = validInns(LOOKUP_LIMIT.limit + 5)
    const statuses: number[] = []
    // Every request from another address (as a forged X-Forwarded-For gives, with trust proxy on).
    for (const [i, inn] of inns.entries()) statuses.push((await setup({ ip: `10.1.${i >> 8}.${i & 255}`, findCounterparty }).call({ inn })).statusCode)
    expect(findCounterparty).toHaveBeenCalledTimes(LOOKUP_LIMIT.limit)
    expect(statuses.filter((s) => s === 404)).toHaveLength(LOOKUP_LIMIT.limit)
    expect(statuses.slice(LOOKUP_LIMIT.limit)).toEqual(Array(5).fill(429))
    const busy = await setup({ ip: "10.9.9.9", findCounterparty }).call({ inn: inns[inns.length - 1] })
    expect(busy.body.code).toBe("lookups_busy")
    expect(Number(busy.headers["Retry-After"])).toBeGreaterThanOrEqual(1)
    expect(busy.body.message).toMatch(/вручную.*\/.*yourself/)
  })

  it("answers the company's requisites for a known ИНН", async () => {
    const { call } = setup()
    const res = await call({ inn: "7707083893" })
    expect(res.statusCode).toBe(200)
    expect(res.body.counterparty).toEqual({
      name: "ПАО Сбербанк",
      inn: "7707083893",
      kpp: "773601001",
      address: "117312, г. Москва, ул. Вавилова, д. 19",
      ogrn: "1027700132195",
      type: "legal",
    })
  })

  it.each([
    ["a wrong checksum", { inn: "7707083894" }, "invalid_checksum"],
    ["a wrong length", { inn: "770708389" }, "invalid_length"],
    ["letters", { inn: "77070838a3" }, "not_digits"],
    ["no ИНН", {}, "missing"],
    ["a repeated parameter", { inn: ["7707083893", "7736207543"] }, "malformed"],
    ["an oversized value", { inn: "7".repeat(5000) }, "too_long"],
  ])("refuses %s with a bilingual 400 naming the field, before calling Invoicebox", async (_, query, code) => {
    const { call, findCounterparty } = setup()
    const res = await call(query)
    expect(res.statusCode).toBe(400)
    expect(res.body).toMatchObject({ type: "invalid_data", field: "inn", code })
    expect(res.body.message).toMatch(/ИНН \(inn\): .+ \/ INN \(inn\): /)
    expect(findCounterparty).not.toHaveBeenCalled()
  })

  it("accepts a 12-digit ИНН of a sole proprietor and says so", async () => {
    const ip = { vatNumber: "500100732259", name: "ИП Иванов Иван Иванович", registrationNumber: "304500116000157" }
    const { call } = setup({ findCounterparty: jest.fn(async () => ip as any) })
    const res = await call({ inn: " 500100732259 " })
    expect(res.statusCode).toBe(200)
    expect(res.body.counterparty).toMatchObject({ type: "sole_proprietor", kpp: null, inn: "500100732259" })
  })

  it("answers a repeated look-up from the cache, for a day", async () => {
    const { call, findCounterparty, store } = setup()
    await call({ inn: "7707083893" })
    const second = await call({ inn: "7707083893" })
    expect(second.statusCode).toBe(200)
    expect(second.body.counterparty.name).toBe("ПАО Сбербанк")
    expect(findCounterparty).toHaveBeenCalledTimes(1)
    expect(store.get("invoicebox:counterparty:v1:7707083893")?.ttl).toBe(FOUND_TTL_SECONDS)
  })

  it("answers 404 for an unknown company and caches that for a shorter time", async () => {
    const { call, findCounterparty, store } = setup()
    const first = await call({ inn: "7736207543" })
    const second = await call({ inn: "7736207543" })
    expect(first.statusCode).toBe(404)
    expect(second.statusCode).toBe(404)
    expect(first.body.message).toContain(" / No company")
    expect(findCounterparty).toHaveBeenCalledTimes(1)
    expect(store.get("invoicebox:counterparty:v1:7736207543")?.ttl).toBe(NOT_FOUND_TTL_SECONDS)
  })

  it("answers 502 without caching when Invoicebox fails, so the next try asks again", async () => {
    const failing = jest.fn(async () => {
      throw new Error("boom")
    })
    const { call, store } = setup({ findCounterparty: failing })
    const res = await call({ inn: "7707083893" })
    expect(res.statusCode).toBe(502)
    expect(store.size).toBe(0)
    await call({ inn: "7707083893" })
    expect(failing).toHaveBeenCalledTimes(2)
  })

  it("limits look-ups per client address and tells when to retry", async () => {
    const { call } = setup({ ip: "10.0.0.2" })
    for (let i = 0; i < RATE_LIMIT.limit; i++) expect((await call({ inn: "7707083893" })).statusCode).toBe(200)
    const limited = await call({ inn: "7707083893" })
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers["Retry-After"])).toBeGreaterThan(0)
    // Another buyer is not affected.
    const other = setup({ ip: "10.0.0.3" })
    expect((await other.call({ inn: "7707083893" })).statusCode).toBe(200)
  })
})
