import { Sandbox, startSandbox } from "../index"
import { call, documentedOrder, inDays, MERCHANT, uniqueId, vatOrder } from "./helpers"

const ORDER = "/v3/billing/api/order/order"

describe("sandbox orders API", () => {
  let sandbox: Sandbox
  let base: string

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 })
    base = sandbox.url
  })
  afterAll(() => sandbox.close())
  beforeEach(() => sandbox.reset())

  it("accepts the documented create-order request", async () => {
    const request = documentedOrder()
    const reply = await call(base, "POST", ORDER, request)
    expect(reply.status).toBe(200)
    expect(reply.body.extendedData).toEqual([])
    const order = reply.body.data
    expect(order.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(order.status).toBe("created")
    expect(order.paymentUrl).toBe(`${base}/pay/${order.id}`)
    expect(order).toMatchObject({
      merchantId: MERCHANT,
      merchantOrderId: request.merchantOrderId,
      amount: 2790.67,
      vatAmount: 0,
      currencyId: "RUB",
      subtype: "order",
      processable: true,
      basketItems: [expect.objectContaining({ sku: "0123456789", totalAmount: 2790.67 })],
      customer: expect.objectContaining({ vatNumber: "7707083893", taxRegistrationReasonCode: "504701001" }),
    })
    expect(order.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/)
    expect(order.orderContainerId).toMatch(/^[0-9a-f-]{36}$/)
    // The wire uses PHP-style escaped slashes, as Invoicebox does.
    expect(reply.text).toContain("http:\\/\\/")
    expect(sandbox.orders()).toHaveLength(1)
  })

  it("accepts a B2B basket with VAT, the /l3 prefix and unknown extra fields", async () => {
    const request = vatOrder()
    request.basketItems[0].vatRate = 20 // Bitrix sends this undocumented field
    const reply = await call(base, "POST", "/l3/billing/api/order/order", request)
    expect(reply.status).toBe(200)
    expect(reply.body.data.vatAmount).toBe(683.33)
    expect(reply.body.data.basketItems[0]).not.toHaveProperty("vatRate")
  })

  it("accepts fractional quantities rounded half-up", async () => {
    const line = { ...vatOrder().basketItems[0], quantity: 1.5, amount: 99.99, totalAmount: 149.99, totalVatAmount: 25, amountWoVat: 83.33, vatCode: "RUS_VAT20" }
    const reply = await call(base, "POST", ORDER, documentedOrder({ amount: 149.99, vatAmount: 25, basketItems: [line] }))
    expect(reply.status).toBe(200)
    expect(reply.body.data.basketItems[0].quantity).toBe(1.5)
  })

  it("gives every response its own X-Request-Id", async () => {
    const first = await call(base, "GET", "/v3/filter/api/order/order")
    const second = await call(base, "GET", "/v3/nowhere")
    expect(first.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(second.status).toBe(404)
    expect(second.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"))
  })

  describe("arithmetic", () => {
    it("rejects a basket whose totals do not add up with wrong_total_amount", async () => {
      const reply = await call(base, "POST", ORDER, vatOrder({ amount: 4100.01 }))
      expect(reply.status).toBe(422)
      expect(reply.body.error).toMatchObject({ code: "wrong_total_amount", message: "Calculation Error" })
      expect(reply.body.error.fields).toEqual([expect.objectContaining({ name: "amount", code: "wrong_total_amount" })])
      expect(sandbox.orders()).toHaveLength(0)
    })

    it("rejects a wrong order VAT with wrong_total_vat_amount", async () => {
      const reply = await call(base, "POST", ORDER, vatOrder({ vatAmount: 683.34 }))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("wrong_total_vat_amount")
    })

    const broken = (patch: Record<string, unknown>) => {
      const order = vatOrder()
      Object.assign(order.basketItems[0], patch)
      return order
    }

    it.each([
      ["wrong_basket_item_total_amount", { totalAmount: 3599.99 }, "basketItems[0].totalAmount"],
      ["wrong_basket_item_total_vat_amount", { totalVatAmount: 590 }, "basketItems[0].totalVatAmount"],
      ["wrong_basket_item_amount_wo_vat", { amountWoVat: 900 }, "basketItems[0].amountWoVat"],
      ["wrong_basket_item_total_vat_amount", { totalVatAmount: 3700 }, "basketItems[0].totalVatAmount"],
    ])("reports %s for a broken line", async (code, patch, field) => {
      const reply = await call(base, "POST", ORDER, broken(patch))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe(code)
      expect(reply.body.error.fields.map((f: { name: string }) => f.name)).toContain(field)
    })

    it("takes a line built unit first and refuses the old per-unit slack", async () => {
      // 7 × 10.00 at 20 %: 8.33 × 7 + 11.69 = 70.00 (unit first, as InvoiceBox/1c-bitrix does).
      const line = { ...vatOrder().basketItems[0], quantity: 7, amount: 10, amountWoVat: 8.33, totalAmount: 70, totalVatAmount: 11.69 }
      const reply = await call(base, "POST", ORDER, documentedOrder({ amount: 70, vatAmount: 11.69, basketItems: [line] }))
      expect(reply.status).toBe(200)
      // 8.33 × 7 + 11.66 = 69.97: three kopecks short, which Invoicebox's own client refuses.
      const short = { ...line, totalVatAmount: 11.66 }
      const refused = await call(base, "POST", ORDER, documentedOrder({ amount: 70, vatAmount: 11.66, basketItems: [short] }))
      expect(refused.status).toBe(422)
      expect(refused.body.error.code).toBe("wrong_basket_item_total_vat_amount")
    })

    it("refuses more than 100 basket items (the official client's createOrder schema)", async () => {
      const item = { ...documentedOrder().basketItems[0], amount: 1, amountWoVat: 1, totalAmount: 1, totalVatAmount: 0 }
      const order = (n: number) => documentedOrder({ amount: n, vatAmount: 0, basketItems: Array.from({ length: n }, (_, i) => ({ ...item, sku: `S-${i}` })) })
      expect((await call(base, "POST", ORDER, order(100))).status).toBe(200)
      const refused = await call(base, "POST", ORDER, order(101))
      expect(refused.status).toBe(422)
      expect(refused.body.error.fields).toContainEqual(expect.objectContaining({ name: "basketItems", message: expect.stringContaining("at most 100") }))
    })

    it("refuses amounts with more than two decimals as a field error", async () => {
      const order = vatOrder()
      order.basketItems[1].amount = 500.001
      const reply = await call(base, "POST", ORDER, order)
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("validation_error")
      expect(reply.body.error.fields).toContainEqual(expect.objectContaining({ name: "basketItems[1].amount", code: "wrong_value" }))
    })
  })

  describe("validation", () => {
    it("lists every missing required field", async () => {
      const reply = await call(base, "POST", ORDER, { merchantId: MERCHANT, basketItems: [{}] })
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("validation_error")
      const names = reply.body.error.fields.map((f: { name: string }) => f.name)
      for (const name of [
        "description",
        "merchantOrderId",
        "amount",
        "vatAmount",
        "currencyId",
        "expirationDate",
        "customer",
        "basketItems[0].sku",
        "basketItems[0].measureCode",
        "basketItems[0].quantity",
        "basketItems[0].vatCode",
        "basketItems[0].type",
        "basketItems[0].paymentType",
      ]) {
        expect(names).toContain(name)
      }
    })

    it.each([
      ["an empty basket", { basketItems: [] }, "basketItems"],
      ["a long description", { description: "x".repeat(1001) }, "description"],
      ["a long merchantOrderId", { merchantOrderId: "x".repeat(257) }, "merchantOrderId"],
      ["a bad customer type", { customer: { type: "company" } }, "customer.type"],
      ["an invalid ИНН", { customer: { type: "legal", vatNumber: "123321" } }, "customer.vatNumber"],
      ["an invalid КПП", { customer: { type: "legal", vatNumber: "7707083893", taxRegistrationReasonCode: "12345" } }, "customer.taxRegistrationReasonCode"],
      ["a non-URL notificationUrl", { notificationUrl: "not a url" }, "notificationUrl"],
    ])("rejects %s", async (_label, patch, field) => {
      const reply = await call(base, "POST", ORDER, documentedOrder(patch))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe("validation_error")
      expect(reply.body.error.fields.map((f: { name: string }) => f.name)).toContain(field)
    })

    it.each([
      ["quantity 0", { quantity: 0 }, "basketItems[0].quantity"],
      ["an unknown vatCode", { vatCode: "RUS_VAT18" }, "basketItems[0].vatCode"],
      ["an unknown type", { type: "goods" }, "basketItems[0].type"],
      ["a tag-1212 type out of range", { type: 40 }, "basketItems[0].type"],
      ["an unknown paymentType", { paymentType: "credit" }, "basketItems[0].paymentType"],
      ["a long measure", { measure: "штуки штуки" }, "basketItems[0].measure"],
      ["a long measureCode", { measureCode: "79600" }, "basketItems[0].measureCode"],
    ])("rejects a line with %s", async (_label, patch, field) => {
      const order = documentedOrder()
      Object.assign(order.basketItems[0], patch)
      const reply = await call(base, "POST", ORDER, order)
      expect(reply.status).toBe(422)
      expect(reply.body.error.fields.map((f: { name: string }) => f.name)).toContain(field)
    })

    it("accepts every documented VAT code and a numeric tag-1212 type", async () => {
      const order = documentedOrder()
      Object.assign(order.basketItems[0], { type: 4, vatCode: "RUS_VAT0" })
      expect((await call(base, "POST", ORDER, order)).status).toBe(200)
    })

    it.each([
      ["wrong_currency", { currencyId: "JPY" }],
      ["language_not_found", { languageId: "de" }],
      ["wrong_expiration_date", { expirationDate: "2020-01-01T00:00:00+00:00" }],
      ["wrong_expiration_date", { expirationDate: inDays(3).replace("+00:00", "") }],
      ["wrong_expiration_date", { expirationDate: "tomorrow" }],
    ])("answers %s", async (code, patch) => {
      const reply = await call(base, "POST", ORDER, documentedOrder(patch))
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe(code)
    })

    it("takes a reused merchantOrderId by default, as Invoicebox does (the number is not checked)", async () => {
      const request = documentedOrder()
      const first = await call(base, "POST", ORDER, request)
      const again = await call(base, "POST", ORDER, request)
      expect([first.status, again.status]).toEqual([200, 200])
      expect(again.body.data.id).not.toBe(first.body.data.id)
      expect(sandbox.orders().map((o) => o.merchantOrderId)).toEqual([request.merchantOrderId, request.merchantOrderId])
    })

    it("rejects a reused merchantOrderId when the shop checks uniqueness", async () => {
      const strict = await startSandbox({ port: 0, uniqueMerchantOrderId: true })
      try {
        const request = documentedOrder()
        expect((await call(strict.url, "POST", ORDER, request)).status).toBe(200)
        const again = await call(strict.url, "POST", ORDER, request)
        expect(again.status).toBe(422)
        expect(again.body.error.code).toBe("merchant_order_id_duplicate")
        expect(strict.orders()).toHaveLength(1)
      } finally {
        await strict.close()
      }
    })

    it("answers 400 for malformed JSON", async () => {
      const reply = await call(base, "POST", ORDER, "{not json")
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe("bad_request")
    })
  })

  describe("authentication", () => {
    it("answers check-auth without a token with userId null, as documented", async () => {
      const reply = await call(base, "GET", "/v3/security/api/auth/auth", undefined, { token: null })
      expect(reply.status).toBe(200)
      expect(reply.body.data.userId).toBeNull()
    })

    it("answers check-auth with the right token with a userId", async () => {
      const reply = await call(base, "GET", "/v3/security/api/auth/auth")
      expect(reply.status).toBe(200)
      expect(typeof reply.body.data.userId).toBe("string")
    })

    it("answers 401 unauthorized for a wrong token, also on check-auth", async () => {
      for (const path of ["/v3/security/api/auth/auth", "/v3/filter/api/order/order"]) {
        const reply = await call(base, "GET", path, undefined, { token: "wrong" })
        expect(reply.status).toBe(401)
        expect(reply.body.error).toMatchObject({ message: "Unauthorized", code: "unauthorized" })
      }
    })

    it("answers 401 for a missing token on business methods", async () => {
      const reply = await call(base, "POST", ORDER, documentedOrder(), { token: null })
      expect(reply.status).toBe(401)
      expect(sandbox.orders()).toHaveLength(0)
    })

    it("answers 403 forbidden for another merchant's id", async () => {
      const reply = await call(base, "POST", ORDER, documentedOrder({ merchantId: "00000000-0000-0000-0000-000000000001" }))
      expect(reply.status).toBe(403)
      expect(reply.body.error.code).toBe("forbidden")
    })

    it("accepts other credentials when configured", async () => {
      const other = await startSandbox({ port: 0, merchantId: "11111111-1111-1111-1111-111111111111", apiToken: "secret-token" })
      try {
        const order = documentedOrder({ merchantId: "11111111-1111-1111-1111-111111111111" })
        expect((await call(other.url, "POST", ORDER, order)).status).toBe(401)
        expect((await call(other.url, "POST", ORDER, order, { token: "secret-token" })).status).toBe(200)
      } finally {
        await other.close()
      }
    })
  })

  describe("reading, updating and cancelling", () => {
    it("reads one order by id and 404s for an unknown one", async () => {
      const created = (await call(base, "POST", ORDER, documentedOrder())).body.data
      const read = await call(base, "GET", `${ORDER}/${created.id}`)
      expect(read.status).toBe(200)
      expect(read.body.data).toEqual(created)
      const missing = await call(base, "GET", `${ORDER}/00000000-0000-0000-0000-000000000000`)
      expect(missing.status).toBe(404)
      expect(missing.body.error.code).toBe("not_found")
    })

    it("updates a created order and re-validates the new basket", async () => {
      const created = (await call(base, "POST", ORDER, documentedOrder())).body.data
      const patch = vatOrder()
      const updated = await call(base, "PUT", `${ORDER}/${created.id}`, {
        amount: patch.amount,
        vatAmount: patch.vatAmount,
        basketItems: patch.basketItems,
        description: "Новое описание",
      })
      expect(updated.status).toBe(200)
      expect(updated.body.data).toMatchObject({ id: created.id, amount: 4100, vatAmount: 683.33, description: "Новое описание" })

      const bad = await call(base, "PUT", `${ORDER}/${created.id}`, { basketItems: documentedOrder().basketItems })
      expect(bad.status).toBe(422)
      expect(bad.body.error.code).toBe("wrong_total_amount")
      expect(sandbox.orders()[0].amount).toBe(4100)
    })

    it("404s PUT and DELETE for unknown ids", async () => {
      const id = "00000000-0000-0000-0000-000000000000"
      expect((await call(base, "PUT", `${ORDER}/${id}`, { description: "x" })).status).toBe(404)
      expect((await call(base, "DELETE", `${ORDER}/${id}`)).status).toBe(404)
    })

    it("cancels only while created", async () => {
      const created = (await call(base, "POST", ORDER, documentedOrder())).body.data
      const canceled = await call(base, "DELETE", `${ORDER}/${created.id}`)
      expect(canceled.status).toBe(200)
      expect(canceled.body.data.status).toBe("canceled")
      const again = await call(base, "DELETE", `${ORDER}/${created.id}`)
      expect(again.status).toBe(422)
      expect(again.body.error.code).toBe("wrong_order_status")

      const paid = (await call(base, "POST", ORDER, documentedOrder())).body.data
      await sandbox.pay(paid.id)
      const refused = await call(base, "DELETE", `${ORDER}/${paid.id}`)
      expect(refused.status).toBe(422)
      expect(refused.body.error.code).toBe("wrong_order_status")
      const update = await call(base, "PUT", `${ORDER}/${paid.id}`, { description: "x" })
      expect(update.body.error.code).toBe("wrong_order_status")
    })

    it("holds an order, then pays or releases it; a held order cannot be edited, held again or expired", async () => {
      const held = (await call(base, "POST", ORDER, documentedOrder())).body.data
      expect((await sandbox.hold(held.id)).status).toBe("hold")
      expect((await call(base, "GET", `${ORDER}/${held.id}`)).body.data.status).toBe("hold")
      expect((await call(base, "PUT", `${ORDER}/${held.id}`, { description: "x" })).body.error.code).toBe("wrong_order_status")
      await expect(sandbox.hold(held.id)).rejects.toMatchObject({ code: "wrong_order_status" })
      await expect(sandbox.expire(held.id)).rejects.toMatchObject({ code: "wrong_order_status" })
      const paid = await sandbox.pay(held.id)
      expect(paid.status).toBe("completed")
      expect(paid.paidAt).toBeTruthy()

      const released = (await call(base, "POST", ORDER, documentedOrder())).body.data
      await sandbox.hold(released.id)
      const deleted = await call(base, "DELETE", `${ORDER}/${released.id}`)
      expect(deleted.status).toBe(200)
      expect(deleted.body.data.status).toBe("canceled")

      const control = (await call(base, "POST", ORDER, documentedOrder())).body.data
      const viaHttp = await call(base, "POST", `/__sandbox/orders/${control.id}/hold`)
      expect(viaHttp.body.data.status).toBe("hold")
    })

    it("expires overdue orders by itself", async () => {
      const created = (await call(base, "POST", ORDER, documentedOrder({ expirationDate: new Date(Date.now() + 400).toISOString() }))).body.data
      expect(created.status).toBe("created")
      await new Promise((resolve) => setTimeout(resolve, 450))
      const read = await call(base, "GET", `${ORDER}/${created.id}`)
      expect(read.body.data.status).toBe("expired")
    })
  })

  describe("filters and paging", () => {
    it("filters by id, merchantOrderId, status (also as a list) and pages with metaData", async () => {
      const ids: string[] = []
      const numbers: string[] = []
      for (let i = 0; i < 5; i++) {
        const request = documentedOrder({ merchantOrderId: uniqueId("filter") })
        numbers.push(request.merchantOrderId)
        ids.push((await call(base, "POST", ORDER, request)).body.data.id)
      }
      await sandbox.pay(ids[0])
      await sandbox.cancel(ids[1])

      const byId = await call(base, "GET", `/v3/filter/api/order/order?id=${ids[2]}`)
      expect(byId.body.data.map((o: { id: string }) => o.id)).toEqual([ids[2]])
      expect(byId.body.metaData).toEqual({ totalCount: 1, pageSize: 30, page: 1 })

      const byNumber = await call(base, "GET", `/v3/filter/api/order/order?merchantOrderId=${numbers[3]}`)
      expect(byNumber.body.data.map((o: { id: string }) => o.id)).toEqual([ids[3]])

      const paid = await call(base, "GET", "/v3/filter/api/order/order?status=completed")
      expect(paid.body.data.map((o: { id: string }) => o.id)).toEqual([ids[0]])

      const closed = await call(base, "GET", "/v3/filter/api/order/order?status[]=completed&status[]=canceled")
      expect(closed.body.data.map((o: { id: string }) => o.id).sort()).toEqual([ids[0], ids[1]].sort())

      const page2 = await call(base, "GET", "/v3/filter/api/order/order?page=2&pageSize=2")
      expect(page2.body.data.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[3]])
      expect(page2.body.metaData).toEqual({ totalCount: 5, pageSize: 2, page: 2 })

      const mcpPaging = await call(base, "GET", "/v3/filter/api/order/order?_page=3&_pageSize=2&_order[createdAt]=asc")
      expect(mcpPaging.body.data.map((o: { id: string }) => o.id)).toEqual([ids[4]])

      const none = await call(base, "GET", "/v3/filter/api/order/order?merchantOrderId=nope")
      expect(none.body.data).toEqual([])
      expect(none.body.metaData.totalCount).toBe(0)

      const badPage = await call(base, "GET", "/v3/filter/api/order/order?page=0")
      expect(badPage.status).toBe(422)
    })

    it("filters by parentId", async () => {
      const parent = (await call(base, "POST", ORDER, documentedOrder())).body.data
      const child = (await call(base, "POST", ORDER, documentedOrder({ parentId: parent.id }))).body.data
      const reply = await call(base, "GET", `/v3/filter/api/order/order?parentId=${parent.id}`)
      expect(reply.body.data.map((o: { id: string }) => o.id)).toEqual([child.id])
    })
  })

  it("looks counterparties up by ИНН", async () => {
    const sber = await call(base, "GET", "/v3/filter/api/counterparty-detail?vatNumber=7707083893")
    expect(sber.status).toBe(200)
    expect(sber.body.data[0]).toMatchObject({
      vatNumber: "7707083893",
      taxRegistrationReasonCode: "773601001",
      name: "ПАО Сбербанк",
      registrationAddress: "117312, г. Москва, ул. Вавилова, д. 19",
    })
    const yandex = await call(base, "GET", "/v3/filter/api/counterparty-detail?vatNumber=7736207543")
    expect(yandex.body.data[0]).toMatchObject({ name: "ООО «Яндекс»", taxRegistrationReasonCode: "770401001" })
    const sole = await call(base, "GET", "/l3/filter/api/counterparty-detail?vatNumber=500100732259")
    expect(sole.body.data[0]).toMatchObject({ name: "ИП Тестов 500100732259", taxRegistrationReasonCode: null })
    const invalid = await call(base, "GET", "/v3/filter/api/counterparty-detail?vatNumber=1234567890")
    expect(invalid.status).toBe(422)
    expect(invalid.body.error.fields[0].name).toBe("vatNumber")
  })
})
