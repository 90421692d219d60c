import fc from "fast-check"
import { validatePayer } from "../../core/requisites/payer"
import {
  buildPayer,
  checkInn,
  createStoreClient,
  isInvoicebox,
  parsePayerErrors,
  formatPayerErrors,
  pollUntilPaid,
  readInvoiceboxError,
  samePayer,
  splitBilingual,
  startInvoiceSession,
  toInvoiceView,
  type InvoiceLookup,
  type StoreClient,
} from ".."

const SBER = { inn: "7707083893", name: "ПАО Сбербанк", kpp: "773601001", address: "117312, г. Москва, ул. Вавилова, д. 19", email: "buh@example.ru", phone: "" }

describe("payer messages: what the server writes, the kit reads back", () => {
  it("round-trips every error validatePayer can produce, field by field", () => {
    const anyText = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 }), fc.stringMatching(/^\d{9,13}$/))
    fc.assert(
      fc.property(
        fc.record({ type: fc.oneof(fc.constant(undefined), fc.constantFrom("legal", "sole_proprietor", "x")), inn: anyText, kpp: anyText, name: anyText, email: anyText, phone: anyText, ogrn: anyText }),
        (input) => {
          const result = validatePayer(input)
          if (result.ok) return
          const { ru, en } = formatPayerErrors(result.errors)
          const parsed = parsePayerErrors(`Error setting up the request: ${ru} / ${en}`)
          expect(parsed).toEqual(result.errors.map((e) => ({ field: e.field, message_ru: e.message_ru, message_en: e.message_en })))
        }
      )
    )
  })

  it("reads a js-sdk FetchError of a refused session as per-field errors (dev-mode prefix included)", () => {
    const result = validatePayer({ ...SBER, inn: "7707083894", kpp: "12" })
    if (result.ok) throw new Error("expected errors")
    const { ru, en } = formatPayerErrors(result.errors)
    const info = readInvoiceboxError(Object.assign(new Error(`Error setting up the request: ${ru} / ${en}`), { status: 400 }))
    expect(info.status).toBe(400)
    expect(info.field).toBe("inn")
    expect(info.fields.inn?.ru).toMatch(/контрольная сумма/)
    expect(info.fields.inn?.en).toMatch(/checksum/)
    expect(info.fields.kpp?.en).toMatch(/^KPP: 9 characters/)
    expect(info.ru.startsWith("Проверьте реквизиты")).toBe(true)
    expect(info.en.startsWith("Check the payer's details")).toBe(true)
  })

  it("splits other bilingual messages, keeps a label's own slash in the Russian half, and finds a named field", () => {
    expect(splitBilingual("ОГРН / ОГРНИП: неверно / OGRN / OGRNIP: invalid")).toEqual({ ru: "ОГРН / ОГРНИП: неверно", en: "OGRN / OGRNIP: invalid" })
    const info = readInvoiceboxError({ status: 400, message: "ИНН (inn): неверная контрольная сумма / INN (inn): the checksum is invalid" })
    expect(info.field).toBe("inn")
    expect(info.en).toBe("INN (inn): the checksum is invalid")
    expect(readInvoiceboxError(new TypeError("fetch failed"))).toMatchObject({ status: null, field: null, ru: "fetch failed" })
  })
})

describe("payer builder", () => {
  it("accepts the form of a company and normalises it as the server does", () => {
    const r = buildPayer({ ...SBER, kpp: "773601001", phone: "+7 (900) 111-22-33" })
    expect(r).toEqual({ ok: true, payer: { type: "legal", name: "ПАО Сбербанк", inn: "7707083893", kpp: "773601001", address: SBER.address, email: SBER.email, phone: "79001112233" } })
  })

  it("ignores a КПП left in the hidden field of an ИП", () => {
    const r = buildPayer({ inn: "500100732259", name: "ИП Иванов", kpp: "773601001", address: "г. Москва", email: "ip@example.ru" })
    expect(r.ok && r.payer).toMatchObject({ type: "sole_proprietor" })
    expect(r.ok && "kpp" in r.payer).toBe(false)
  })

  it("names each bad field with the server's words", () => {
    const r = buildPayer({ inn: "7707083894", kpp: "", name: "", address: "", email: "x" })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.inn?.ru).toBe("ИНН: неверная контрольная сумма")
    expect(r.errors.kpp?.ru).toMatch(/^КПП: обязателен/)
    expect(r.errors.name?.en).toBe("Name: is required")
    expect(r.errors.address?.ru).toBe("Юридический адрес: обязательное поле")
    expect(r.errors.email?.en).toMatch(/not a valid address/)
    expect(checkInn("7707083893")).toBeNull()
    expect(checkInn("123")?.ru).toMatch(/10 цифр/)
  })

  it("isInvoicebox is the server's prefix rule", () => {
    expect(isInvoicebox("pp_invoicebox_invoicebox")).toBe(true)
    expect(isInvoicebox("pp_invoicebox_")).toBe(false)
    expect(isInvoicebox("pp_system_default")).toBe(false)
  })
})

describe("invoice view", () => {
  const data = { invoice_number: "AB12CD34", amount_kopecks: 494020, currency: "rub", expires_at: "2099-01-01T00:00:00.000Z", payment_url: "https://pay/1", invoice_status: "created", payer: { ...SBER, type: "legal" } }
  const base = { provider_id: "pp_invoicebox_invoicebox", data, captured: false, canceled: false, refunded_kopecks: 0 }

  it("offers the pay link only while the invoice can be paid, and shows the payer's name only", () => {
    const v = toInvoiceView(base)
    expect(v).toMatchObject({ status: "awaiting", number: "AB12CD34", amount: 4940.2, currency: "RUB", pay_url: "https://pay/1", payer: { type: "legal", name: "ПАО Сбербанк" } })
    expect(JSON.stringify(v)).not.toContain("7707083893")
    expect(toInvoiceView({ ...base, captured: true })).toMatchObject({ status: "paid", pay_url: null })
    expect(toInvoiceView({ ...base, captured: true, refunded_kopecks: 100 }).status).toBe("partially_refunded")
    expect(toInvoiceView({ ...base, captured: true, refunded_kopecks: 494020 }).status).toBe("refunded")
    expect(toInvoiceView({ ...base, data: { ...data, invoice_status: "expired" } }).status).toBe("expired")
    expect(toInvoiceView({ ...base, now: new Date("2100-01-01") })).toMatchObject({ status: "expired", pay_url: null })
    expect(toInvoiceView({ ...base, canceled: true }).status).toBe("canceled")
  })
})

/** A Store API double that records calls and answers like Medusa. */
function fakeStore(cart: any) {
  const calls: { path: string; init?: any }[] = []
  const sdk: StoreClient = {
    client: {
      async fetch(path: string, init?: any) {
        calls.push({ path, init })
        if (path.startsWith("/store/carts/")) return { cart } as any
        if (path === "/store/payment-collections") return { payment_collection: { id: "paycol_new" } } as any
        if (path.endsWith("/payment-sessions")) {
          return { payment_collection: { payment_sessions: [{ id: "payses_new", provider_id: init.body.provider_id, data: init.body.data }] } } as any
        }
        throw new Error(`unexpected ${path}`)
      },
    },
  }
  return { sdk, calls }
}

describe("startInvoiceSession", () => {
  const payer = { type: "legal", name: "ПАО Сбербанк", inn: "7707083893", kpp: "773601001", email: "buh@example.ru" }
  const session = (p: unknown, returnUrl = "http://localhost/r?cart_id=1") => ({
    id: "payses_old",
    provider_id: "pp_invoicebox_invoicebox",
    status: "pending",
    amount: 100,
    data: { invoicebox_order_id: "x", payer: p, return_url: returnUrl },
  })

  it("keeps the session that already carries this payer, return URL and total", async () => {
    const { sdk, calls } = fakeStore({ id: "cart_1", total: 100, payment_collection: { id: "paycol_1", payment_sessions: [session(payer)] } })
    const r = await startInvoiceSession(sdk, { cartId: "cart_1", payer: { ...payer, name: " ПАО Сбербанк " }, returnUrl: "http://localhost/r?cart_id=1" })
    expect(r).toMatchObject({ reused: true, session: { id: "payses_old" } })
    expect(calls.map((c) => c.path)).toEqual(["/store/carts/cart_1"])
  })

  it("starts a fresh session when the requisites changed", async () => {
    const { sdk, calls } = fakeStore({ id: "cart_1", total: 100, payment_collection: { id: "paycol_1", payment_sessions: [session(payer)] } })
    const edited = { ...payer, kpp: "773601002" }
    const r = await startInvoiceSession(sdk, { cartId: "cart_1", payer: edited, returnUrl: "http://localhost/r?cart_id=1" })
    expect(r.reused).toBe(false)
    expect(calls.at(-1)).toMatchObject({ path: "/store/payment-collections/paycol_1/payment-sessions", init: { method: "POST", body: { provider_id: "pp_invoicebox_invoicebox", data: { payer: { kpp: "773601002" } } } } })
    expect(samePayer(payer, edited)).toBe(false)
  })

  it("creates the payment collection when the cart has none, and refuses a bad payer before any request", async () => {
    const { sdk, calls } = fakeStore({ id: "cart_2", total: 100, payment_collection: null })
    await startInvoiceSession(sdk, { cartId: "cart_2", payer })
    expect(calls.map((c) => c.path)).toEqual(["/store/carts/cart_2", "/store/payment-collections", "/store/payment-collections/paycol_new/payment-sessions"])
    const before = calls.length
    const error = await startInvoiceSession(sdk, { cartId: "cart_2", payer: { ...payer, inn: "7707083894" } }).catch((e) => e)
    expect(readInvoiceboxError(error)).toMatchObject({ status: 400, field: "inn" })
    expect(calls.length).toBe(before)
  })
})

describe("createStoreClient and pollUntilPaid", () => {
  it("sends the publishable key, never caches the invoice read, and polls until paid", async () => {
    const answers: InvoiceLookup[] = [
      { order: null, invoice: null },
      { order: { id: "order_1", display_id: 7 }, invoice: { status: "awaiting" } as any },
      { order: { id: "order_1", display_id: 7 }, invoice: { status: "paid" } as any },
    ]
    const seen: { url: string; init: RequestInit }[] = []
    const fetchStub = (async (url: string, init: RequestInit) => {
      seen.push({ url, init })
      const body = answers.shift()
      return { ok: true, status: 200, json: async () => body } as Response
    }) as unknown as typeof fetch
    const sdk = createStoreClient({ baseUrl: "http://store/", publishableKey: "pk_1", fetch: fetchStub })
    const updates: string[] = []
    const last = await pollUntilPaid(sdk, { cartId: "cart_1" }, { intervalMs: 1, onUpdate: (l) => updates.push(l.invoice?.status ?? "none") })
    expect(last?.invoice?.status).toBe("paid")
    expect(updates).toEqual(["none", "awaiting", "paid"])
    expect(seen[0].url).toBe("http://store/store/invoicebox/invoice?cart_id=cart_1")
    expect(seen[0].init).toMatchObject({ cache: "no-store", headers: { "x-publishable-api-key": "pk_1" } })
  })

  it("throws the store's message with its status, as the js-sdk does", async () => {
    const fetchStub = (async () => ({ ok: false, status: 404, json: async () => ({ message: "Счёт не найден / Invoice not found" }) })) as unknown as typeof fetch
    const sdk = createStoreClient({ baseUrl: "http://store", publishableKey: "pk", fetch: fetchStub })
    const e = await sdk.client.fetch("/x").catch((x) => x)
    expect(readInvoiceboxError(e)).toMatchObject({ status: 404, ru: "Счёт не найден", en: "Invoice not found" })
  })
})
