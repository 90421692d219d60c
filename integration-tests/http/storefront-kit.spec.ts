import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { seedB2BStore, type SeedResult } from "../../demo/seed"
import { createStoreClient, lookupCompany, readInvoice, readInvoiceboxError, startInvoiceSession, pollUntilPaid } from "../../src/storefront"
import { LEGAL_PAYER, StoreClient } from "../helpers/checkout"
import { useSandbox } from "../helpers/env"

jest.setTimeout(120_000)

const env = useSandbox({ INVOICEBOX_ALLOWED_RETURN_HOSTS: "shop.example" })

/**
 * The storefront kit against a real store: its helpers over the Store API and the guest route
 * GET /store/invoicebox/invoice that a return page reads in any browser (no login, no cookie).
 */
medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: SeedResult
    let store: StoreClient
    let kit: ReturnType<typeof createStoreClient>

    beforeEach(async () => {
      seed = await seedB2BStore(getContainer())
      store = new StoreClient(api, seed)
      kit = createStoreClient({ baseUrl: `http://localhost:${env.storePort()}`, publishableKey: seed.publishableKey })
    })

    it("follows a guest's cart to its order and invoice, to «paid», showing the payer's name and nothing else of the requisites", async () => {
      const cart = await store.createCart([{ handle: "tax-code-book", quantity: 2 }])
      await store.addShipping(cart.id)
      const returnUrl = `https://shop.example/ru/checkout/invoicebox-return?cart_id=${cart.id}`
      const first = await startInvoiceSession(kit, { cartId: cart.id, payer: LEGAL_PAYER, returnUrl })
      expect(first.reused).toBe(false)
      // Same requisites again: the invoice is kept; edited requisites: a fresh invoice.
      expect((await startInvoiceSession(kit, { cartId: cart.id, payer: LEGAL_PAYER, returnUrl })).session.id).toBe(first.session.id)
      const edited = await startInvoiceSession(kit, { cartId: cart.id, payer: { ...LEGAL_PAYER, email: "other@example.com" }, returnUrl })
      expect(edited.reused).toBe(false)
      expect(edited.session.id).not.toBe(first.session.id)
      const invoiceId = edited.session.data!.invoicebox_order_id as string
      expect(env.sandbox().orders().find((o) => o.id === invoiceId)?.customer?.email).toBe("other@example.com")

      const before = await readInvoice(kit, { cartId: cart.id })
      expect(before.order).toBeNull()
      expect(before.invoice).toMatchObject({ status: "awaiting", provider_id: "pp_invoicebox_invoicebox", currency: "RUB" })

      const completed = await store.complete(cart.id)
      expect(completed.type).toBe("order")
      const order = completed.order
      const byCart = await readInvoice(kit, { cartId: cart.id })
      const sandboxInvoice = env.sandbox().orders().find((o) => o.id === invoiceId)!
      expect(byCart.order).toEqual({ id: order.id, display_id: order.display_id })
      expect(byCart.invoice).toMatchObject({
        status: "awaiting",
        number: sandboxInvoice.merchantOrderIdVisible,
        amount: Number(sandboxInvoice.amount),
        pay_url: sandboxInvoice.paymentUrl,
        payer: { type: "legal", name: LEGAL_PAYER.name },
      })
      expect(byCart.invoice!.amount).toBe(Number(order.total))
      const text = JSON.stringify(byCart)
      for (const secret of [LEGAL_PAYER.inn, LEGAL_PAYER.kpp, "other@example.com", "Вавилова"]) expect(text).not.toContain(secret)
      expect(await readInvoice(kit, { sessionId: edited.session.id })).toEqual(byCart)
      expect(await readInvoice(kit, { orderId: order.id })).toEqual(byCart)

      await env.sandbox().pay(invoiceId)
      const paid = await pollUntilPaid(kit, { cartId: cart.id }, { intervalMs: 200 })
      expect(paid?.invoice).toMatchObject({ status: "paid", pay_url: null })
    })

    it("answers 404 for an unknown cart, 400 for a malformed or missing id, and needs the publishable key", async () => {
      const unknown = await readInvoice(kit, { cartId: "cart_01JZZZZZZZZZZZZZZZZZZZZZZZ" }).catch((e) => e)
      expect(readInvoiceboxError(unknown)).toMatchObject({ status: 404, en: "Invoice not found" })
      const malformed = await readInvoice(kit, { cartId: "cart_1' or 1=1" }).catch((e) => e)
      expect(readInvoiceboxError(malformed).status).toBe(400)
      const none = await kit.client.fetch("/store/invoicebox/invoice").catch((e) => e)
      expect(readInvoiceboxError(none).status).toBe(400)
      const noKey = await fetch(`http://localhost:${env.storePort()}/store/invoicebox/invoice?cart_id=cart_01JZZZZZZZZZZZZZZZZZZZZZZZ`)
      expect(noKey.status).toBe(400)
    })

    it("looks a company up, and the server's refusal of a bad КПП reaches the kit as a field error", async () => {
      const found = await lookupCompany(kit, "7707083893")
      expect(found).toMatchObject({ status: "found", counterparty: { name: "ПАО Сбербанк", kpp: "773601001", type: "legal" } })
      expect(await lookupCompany(kit, "7707083894")).toMatchObject({ status: "invalid" })
      const cart = await store.createCart([{ handle: "tax-code-book", quantity: 1 }])
      await store.addShipping(cart.id)
      // Sent past the kit's own check, as a storefront without it would: the server's message is read back per field.
      const refused = await store.initiateSession(cart.id, { ...LEGAL_PAYER, kpp: "77360100" }).catch((e) => e)
      const info = readInvoiceboxError({ status: refused.response?.status, message: refused.response?.data?.message })
      expect(info).toMatchObject({ status: 400, field: "kpp" })
      expect(info.fields.kpp?.ru).toMatch(/^КПП: 9 символов/)
    })
  },
})
