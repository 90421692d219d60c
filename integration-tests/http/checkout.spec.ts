import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Modules } from "@medusajs/framework/utils"
import { createPromotionsWorkflow, createProductsWorkflow } from "@medusajs/medusa/core-flows"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { resolveInvoiceboxProvider } from "../../src/lib"
import { API_TOKEN, adminHeaders, useSandbox } from "../helpers/env"
import { LEGAL_PAYER, SOLE_PROPRIETOR_PAYER, StoreClient } from "../helpers/checkout"

jest.setTimeout(120_000)

const env = useSandbox()

const kop = (rubles: number | string) => Math.round(Number(rubles) * 100)
const roundHalfUpKopecks = (v: number) => Math.round(Number((v * 100).toFixed(6)))

function sumBy<T>(xs: T[], f: (x: T) => number) {
  return xs.reduce((s, x) => s + f(x), 0)
}

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient

    const useStore = async (opts: Parameters<typeof seedB2BStore>[1] = {}) => {
      seed = await seedB2BStore(getContainer(), opts)
      store = new StoreClient(api, seed)
    }

    const invoiceOf = async (cartId: string) => {
      const cart = await store.getCart(cartId)
      const session = cart.payment_collection.payment_sessions.find((s: any) => s.provider_id === "pp_invoicebox_invoicebox")
      const invoice = env.sandbox().orders().find((o: any) => o.id === session.data.invoicebox_order_id)
      return { cart, session, invoice: invoice as any }
    }

    /** The invoice must say exactly what the cart says: every item, quantity and kopeck. */
    const expectInvoiceMatchesCart = (cart: any, invoice: any) => {
      expect(kop(invoice.amount)).toBe(roundHalfUpKopecks(cart.total))
      expect(kop(invoice.amount)).toBe(sumBy(invoice.basketItems, (l: any) => kop(l.totalAmount)))
      expect(kop(invoice.vatAmount)).toBe(sumBy(invoice.basketItems, (l: any) => kop(l.totalVatAmount)))
      // Unit first (as Invoicebox's own clients), each line's VAT is within q/2 + 1 kopecks of Medusa's.
      const vatSlack = sumBy(invoice.basketItems, (l: any) => Math.ceil(Number(l.quantity) / 2) + 1)
      expect(Math.abs(kop(invoice.vatAmount) - roundHalfUpKopecks(cart.tax_total))).toBeLessThanOrEqual(vatSlack)
      for (const l of invoice.basketItems) {
        // |amountWoVat × quantity + totalVatAmount − totalAmount| ≤ 1 kopeck (InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98)
        expect(Math.abs(kop(l.amountWoVat) * Number(l.quantity) + kop(l.totalVatAmount) - kop(l.totalAmount))).toBeLessThanOrEqual(1)
      }
      for (const item of cart.items) {
        const lines = invoice.basketItems.filter((l: any) => l.sku === (item.variant_sku ?? item.variant_id))
        expect(lines.length).toBeGreaterThan(0)
        expect(sumBy(lines, (l: any) => Number(l.quantity))).toBe(Number(item.quantity))
        expect(Math.abs(sumBy(lines, (l: any) => kop(l.totalAmount)) - roundHalfUpKopecks(item.total))).toBeLessThanOrEqual(1)
        for (const l of lines) {
          expect(kop(l.totalAmount)).toBe(Math.round(kop(l.amount) * Number(l.quantity)))
          expect(l.name).toContain(item.product_title)
        }
      }
    }

    describe("the plugin in a store", () => {
      it("registers pp_invoicebox_invoicebox and offers it in the region", async () => {
        await useStore()
        const { data } = await api.get(`/store/payment-providers?region_id=${seed.regionId}`, store.headers)
        expect(data.payment_providers.map((p: any) => p.id)).toContain("pp_invoicebox_invoicebox")
      })
    })

    describe("checkout", () => {
      it("invoices a mixed-VAT cart with promotions and shipping line by line, and the order awaits payment", async () => {
        await useStore()
        await createPromotionsWorkflow(getContainer()).run({
          input: {
            promotionsData: [
              {
                code: "SALE10",
                type: "standard",
                status: "active",
                application_method: { type: "percentage", target_type: "items", allocation: "across", value: 10, currency_code: "rub" },
              },
              {
                code: "MINUS300",
                type: "standard",
                status: "active",
                application_method: { type: "fixed", target_type: "order", allocation: "across", value: 300, currency_code: "rub" },
              },
            ] as any,
          },
        })
        const cart = await store.createCart([
          { handle: "paper-a4", quantity: 3 },
          { handle: "cartridge-85a", quantity: 2 },
          { handle: "tax-code-book", quantity: 1 },
          { handle: "workstation-setup", quantity: 1 },
        ])
        await store.addShipping(cart.id)
        await store.addPromotions(cart.id, ["SALE10", "MINUS300"])
        await store.initiateSession(cart.id)

        const { cart: fresh, session, invoice } = await invoiceOf(cart.id)
        expect(session.status).toBe("pending")
        expect(session.data.payment_url).toMatch(/^http/)
        expect(JSON.stringify(session.data)).not.toContain(API_TOKEN)
        expect(invoice).toBeDefined()
        expect(Number(fresh.discount_total)).toBeGreaterThan(0)
        expectInvoiceMatchesCart(fresh, invoice)

        const book = invoice.basketItems.find((l: any) => l.sku === "BOOK-NK-2026")
        expect(book.vatCode).toBe("RUS_VAT10")
        expect(invoice.basketItems.find((l: any) => l.sku === "CART-85A").vatCode).toBe("RUS_VAT22")
        const service = invoice.basketItems.find((l: any) => l.sku === "SRV-SETUP-1H")
        expect(service.type).toBe("service")
        expect(service.measureCode).toBe("356")
        const shipping = invoice.basketItems.filter((l: any) => l.type === "service" && l.name.includes("Доставка"))
        expect(shipping).toHaveLength(1)
        expect(invoice.customer).toMatchObject({
          type: "legal",
          name: LEGAL_PAYER.name,
          vatNumber: LEGAL_PAYER.inn,
          taxRegistrationReasonCode: LEGAL_PAYER.kpp,
        })
        expect(invoice.merchantOrderId).toBe(session.id)
        expect(invoice.invoiceSetting?.customerLocked).toBe(true)
        expect(new Date(invoice.expirationDate).getTime()).toBeGreaterThan(Date.now() + 60 * 60 * 1000)

        const completed = await store.complete(cart.id)
        expect(completed.type).toBe("order")
        const { data } = await api.get(`/admin/orders/${completed.order.id}?fields=payment_status,total`, await adminHeaders(getContainer()))
        expect(data.order.payment_status).toBe("awaiting")
        expect(roundHalfUpKopecks(data.order.total)).toBe(kop(invoice.amount))
      })

      it("gets tax-inclusive prices, three-decimal prices and uneven discounts right to the kopeck", async () => {
        await useStore({ taxInclusive: true })
        const container = getContainer()
        const profile = (await container.resolve(Modules.FULFILLMENT).listShippingProfiles({ type: "default" }))[0]
        const { result } = await createProductsWorkflow(container).run({
          input: {
            products: [
              {
                title: "Скрепки 28 мм",
                handle: "clips",
                status: "published",
                shipping_profile_id: profile.id,
                options: [{ title: "Размер", values: ["28"] }],
                sales_channels: [{ id: seed.salesChannelId }],
                variants: [{ title: "28", sku: "CLIPS-28", options: { Размер: "28" }, manage_inventory: false, prices: [{ currency_code: "rub", amount: 33.335 }] }],
              },
            ] as any,
          },
        })
        seed.products.push({ id: result[0].id, handle: "clips", title: "Скрепки 28 мм", variantIds: [result[0].variants[0].id], variantSkus: ["CLIPS-28"] })
        await createPromotionsWorkflow(container).run({
          input: {
            promotionsData: [
              {
                code: "MINUS100",
                type: "standard",
                status: "active",
                application_method: { type: "fixed", target_type: "order", allocation: "across", value: 100, currency_code: "rub" },
              },
            ] as any,
          },
        })
        const cart = await store.createCart([
          { handle: "clips", quantity: 7 },
          { handle: "paper-a4", quantity: 3 },
          { handle: "tax-code-book", quantity: 3 },
        ])
        await store.addShipping(cart.id)
        await store.addPromotions(cart.id, ["MINUS100"])
        await store.initiateSession(cart.id, SOLE_PROPRIETOR_PAYER)
        const { cart: fresh, invoice } = await invoiceOf(cart.id)
        expect(fresh.items.every((i: any) => i.is_tax_inclusive)).toBe(true)
        expectInvoiceMatchesCart(fresh, invoice)
        expect(invoice.customer.vatNumber).toBe(SOLE_PROPRIETOR_PAYER.inn)
        expect(invoice.customer.taxRegistrationReasonCode).toBeUndefined()
        // 100 ₽ spread over 13 units cannot give every unit the same kopeck price: some line is split.
        const skus = invoice.basketItems.map((l: any) => l.sku)
        expect(skus.length).toBeGreaterThan(new Set(skus).size)
        expect((await store.complete(cart.id)).type).toBe("order")
      })

      it.each([
        ["an invalid ИНН", { ...LEGAL_PAYER, inn: "7707083894" }, /ИНН/],
        ["an ИП with a КПП", { ...SOLE_PROPRIETOR_PAYER, kpp: "773601001" }, /КПП/],
        ["a company without a name", { ...LEGAL_PAYER, name: "" }, /(Наименование|name)/i],
      ])("refuses %s with a 4xx naming the field, and creates no invoice", async (_title, payer, message) => {
        await useStore()
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        const before = env.sandbox().orders().length
        const err = await store.initiateSession(cart.id, payer).catch((e) => e)
        expect(err.response?.status).toBeGreaterThanOrEqual(400)
        expect(err.response?.status).toBeLessThan(500)
        expect(err.response.data.message).toMatch(message)
        expect(err.response.data.message).toMatch(/\//)
        expect(env.sandbox().orders().length).toBe(before)
      })

      it("cancels the old invoice when the cart changes and invoices the new cart", async () => {
        await useStore()
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.initiateSession(cart.id)
        const { invoice: first } = await invoiceOf(cart.id)
        await store.addItem(cart.id, "cartridge-85a", 1)
        await new Promise((r) => setTimeout(r, 500))
        const old = env.sandbox().orders().find((o: any) => o.id === first.id) as any
        expect(old.status).toBe("canceled")
        await store.initiateSession(cart.id)
        const { cart: fresh, invoice: second } = await invoiceOf(cart.id)
        expect(second.id).not.toBe(first.id)
        expect(second.status).toBe("created")
        expectInvoiceMatchesCart(fresh, second)
      })

      it("gives a customer group its own payment term, and everyone else the default", async () => {
        await useStore()
        const customers = getContainer().resolve(Modules.CUSTOMER)
        const provider = resolveInvoiceboxProvider(getContainer(), "invoicebox")
        const group = await customers.createCustomerGroups({ name: `Постоплата 30 дней ${Date.now()}` })
        const termDays = (invoice: any) => (new Date(invoice.expirationDate).getTime() - Date.now()) / 86_400_000
        const byGroup = provider.options.paymentTermsByCustomerGroup
        provider.options.paymentTermsByCustomerGroup = { [group.id]: 30 * 24 * 60 }
        try {
          const member = await store.createCart([{ handle: "paper-a4", quantity: 1 }], { email: `member-${Date.now()}@example.com` })
          await customers.addCustomerToGroup({ customer_id: member.customer_id, customer_group_id: group.id })
          await store.initiateSession(member.id)
          expect(termDays((await invoiceOf(member.id)).invoice)).toBeGreaterThan(29.9)

          const other = await store.createCart([{ handle: "paper-a4", quantity: 1 }], { email: `other-${Date.now()}@example.com` })
          await store.initiateSession(other.id)
          const days = termDays((await invoiceOf(other.id)).invoice)
          expect(days).toBeLessThan(provider.options.paymentTermMinutes / 1440 + 0.01)
          expect(days).toBeGreaterThan(provider.options.paymentTermMinutes / 1440 - 0.1)
        } finally {
          provider.options.paymentTermsByCustomerGroup = byGroup
        }
      })

      it("refuses session data that carries provider-owned keys, naming them, and creates no invoice", async () => {
        await useStore()
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 1 }])
        await store.addShipping(cart.id)
        const forged = {
          provider_id: "pp_invoicebox_other",
          invoicebox_order_id: "00000000-0000-0000-0000-000000000000",
          merchant_order_id: "payses_forged",
          invoice_number: "1",
          payment_url: "https://evil.example/pay",
          invoice_status: "completed",
          expires_at: "2099-01-01T00:00:00Z",
          amount_kopecks: 1,
          vat_amount_kopecks: 0,
          currency: "RUB",
          basket_fingerprint: "forged",
          paid_at: "2026-01-01T00:00:00Z",
          refunds: [{ id: "forged-refund", amount_kopecks: 100, status: "completed", source: "cabinet" }],
          cabinet_refund_pending: { id: "forged", amount_kopecks: 999999, status: "completed" },
        }
        const before = env.sandbox().orders().length
        const err = await store.initiateSession(cart.id, LEGAL_PAYER, forged).catch((e) => e)
        expect(err.response?.status).toBe(400)
        for (const key of Object.keys(forged)) expect(err.response.data.message).toContain(key)
        expect(env.sandbox().orders().length).toBe(before)
        // The same buyer without the forged keys gets a real invoice.
        await store.initiateSession(cart.id)
        const { session, invoice } = await invoiceOf(cart.id)
        expect(invoice.status).toBe("created")
        expect(session.data.invoicebox_order_id).toBe(invoice.id)
        expect(session.data.refunds).toBeNull()
        expect(session.data.cabinet_refund_pending).toBeNull()
      })

      it("an invoice kept by Medusa for a cart changed at the same total names what was ordered", async () => {
        await useStore()
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 2 }])
        await store.addShipping(cart.id)
        await store.initiateSession(cart.id)
        const before = await invoiceOf(cart.id)
        expect(before.invoice.basketItems.map((l: any) => l.name)).toContain("Доставка курьером")
        await store.addShipping(cart.id, seed.altShippingOptionId)
        const kept = await invoiceOf(cart.id)
        // Medusa keeps the session (and so the invoice) because the total did not change.
        expect(kept.session.id).toBe(before.session.id)
        expect(Number(kept.cart.total)).toBe(Number(before.cart.total))
        const { order } = await store.complete(cart.id)
        expect(order).toBeDefined()
        const invoice = env.sandbox().orders().find((o: any) => o.id === before.invoice.id) as any
        const names = invoice.basketItems.map((l: any) => l.name)
        expect(names).toContain("Транспортная компания")
        expect(names).not.toContain("Доставка курьером")
        expectInvoiceMatchesCart(kept.cart, invoice)
        await env.sandbox().pay(invoice.id)
        const paid = env.sandbox().orders().find((o: any) => o.id === invoice.id) as any
        expect(paid.status).toBe("completed")
        expect(paid.basketItems.map((l: any) => l.name)).toContain("Транспортная компания")
      })

      it("creates exactly one invoice when Invoicebox commits the order and the connection drops", async () => {
        await useStore()
        const cart = await store.createCart([{ handle: "paper-a4", quantity: 2 }])
        await store.addShipping(cart.id)
        const before = env.sandbox().orders().length
        env.sandbox().injectFault({ method: "POST", path: "/billing/api/order/order", mode: "commit-then-drop", count: 1 })
        await store.initiateSession(cart.id)
        const created = env.sandbox().orders().slice(before)
        expect(created).toHaveLength(1)
        const { invoice } = await invoiceOf(cart.id)
        expect(invoice.id).toBe(created[0].id)
        expect((await store.complete(cart.id)).type).toBe("order")
      })
    })
  },
})
