// The product in a real browser, against a store started exactly as `npm run demo` starts it
// (its own data folder and ports): the buyer pays an invoice from the demo storefront, then the
// merchant sees it in the Medusa dashboard, refunds part of it there and sees the refund in the
// plugin's widget.
import assert from "node:assert/strict"
import fs from "node:fs"
import { after, before, describe, test } from "node:test"
import path from "node:path"
import { startDemo } from "../scripts/demo.mjs"
import { freePort, launchBrowser, root, shot, squash } from "./lib.mjs"
import { startNextExample } from "./nextjs.mjs"

const DEMO_TOKEN = "b37c4c689295904ed21eee5d9a48d42e"
// Seed prices (demo/seed.ts): 3 × paper 449.90 + cartridge 1890.50 + book 1200 = 4440.20, shipping 500.
const ITEMS_TOTAL = "4440,20₽"
const ORDER_TOTAL = "4940,20₽"
const REFUND = "1000,55"

let demo
let browser
let nextPort
let nextApp
/** What the buyer's test leaves for the merchant's. */
const placed = {}

before(async () => {
  // The reconciliation job would also repair a lost notification; off, so that the third test
  // proves it is the widget's «Проверить статус» that does.
  process.env.INVOICEBOX_RECONCILE_INTERVAL_MINUTES ??= "0"
  const [medusaPort, storefrontPort, sandboxPort] = [await freePort(), await freePort(), await freePort()]
  nextPort = await freePort()
  // The kit's components call the Store API from the browser: both storefronts are CORS origins.
  process.env.STORE_CORS ??= [storefrontPort, nextPort, medusaPort].map((p) => `http://localhost:${p}`).join(",")
  demo = await startDemo({
    name: "e2e",
    persistent: false,
    medusaPort,
    storefrontPort,
    sandboxPort,
    watch: false,
    echo: false,
    log: (line) => console.log(`  ${line}`),
  })
  browser = await launchBrowser()
}, { timeout: 600_000 })

after(async () => {
  await browser?.close().catch(() => {})
  await nextApp?.stop()
  if (demo) {
    await demo.stop()
  }
})

/** On failure, the store's log is the first thing anyone needs. */
async function withLog(fn) {
  try {
    return await fn()
  } catch (e) {
    if (demo?.logFile && fs.existsSync(demo.logFile)) {
      const tail = fs
        .readFileSync(demo.logFile, "utf8")
        .split("\n")
        .slice(-40)
        .map((line) => line.slice(0, 400))
        .join("\n")
      console.error(`--- last lines of ${demo.logFile} ---\n${tail}`)
    }
    throw e
  }
}

async function sandboxState() {
  const res = await fetch(`${demo.urls.sandbox}/__sandbox/state`)
  assert.equal(res.status, 200)
  return (await res.json()).data
}

describe("demo store in Chromium", () => {
  test("the buyer goes from the catalogue to a paid invoice, with the ИНН look-up and one invalid ИНН", { timeout: 300_000 }, () =>
    withLog(async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ru-RU" })
      const page = await context.newPage()
      const lookups = []
      const sessions = []
      page.on("request", (r) => {
        if (r.url().includes("/store/invoicebox/counterparty")) lookups.push(r.url())
        if (r.url().includes("/payment-sessions")) sessions.push(r.url())
      })

      await page.goto(demo.urls.storefront)
      await page.locator(".product").first().waitFor()
      assert.equal(await page.locator(".product").count(), 4, "the four seeded products are listed")

      const paper = page.locator('.product[data-handle="paper-a4"]')
      await paper.locator("select[data-variant]").selectOption({ label: "1 пачка" })
      assert.equal(squash(await paper.locator("[data-price-label]").textContent()), "449,90₽")
      for (const handle of ["paper-a4", "cartridge-85a", "tax-code-book"]) {
        const card = page.locator(`.product[data-handle="${handle}"]`)
        await card.locator("[data-add]").click()
        await card.locator("[data-note]").filter({ hasText: "Добавлено" }).waitFor()
      }

      await page.click('a[href="#/cart"]')
      const paperRow = page.locator("tr[data-line]", { hasText: "Бумага" })
      await paperRow.locator("[data-qty]").fill("3")
      await paperRow.locator("[data-qty]").press("Tab")
      await page.waitForFunction(
        (want) => document.querySelector('[data-testid="cart-total"]')?.textContent?.replace(/[\s\u00a0\u202f]/g, "") === want,
        ITEMS_TOTAL
      )

      await page.click('[data-testid="to-checkout"]')
      await page.locator("#checkout").waitFor()
      assert.match(await page.locator(".method").first().textContent(), /Оплата по счёту для организаций и ИП/)

      // A mistyped ИНН is caught in the browser: an inline message, and nothing is sent anywhere.
      await page.fill('input[name="inn"]', "7707083894")
      await page.press('input[name="inn"]', "Enter")
      await assert.doesNotReject(
        page.locator('[data-error-for="inn"]').filter({ hasText: "контрольная сумма" }).waitFor({ timeout: 5000 })
      )
      await page.click('[data-testid="place-order"]')
      await page.locator("#checkout-error").filter({ hasText: "Исправьте" }).waitFor()
      assert.deepEqual(lookups, [], "no look-up for an invalid ИНН")
      assert.deepEqual(sessions, [], "no payment session for an invalid ИНН")

      await page.fill('input[name="inn"]', "7707083893")
      await page.press('input[name="inn"]', "Enter")
      await page.locator('[data-testid="lookup-status"]').filter({ hasText: "ПАО Сбербанк" }).waitFor()
      assert.equal(lookups.length, 1)
      assert.equal(await page.inputValue('input[name="name"]'), "ПАО Сбербанк")
      assert.equal(await page.inputValue('input[name="kpp"]'), "773601001")
      assert.match(await page.inputValue('input[name="address"]'), /Вавилова/)
      assert.equal(await page.inputValue('input[name="city"]'), "Москва", "the delivery address follows the legal address")
      assert.equal(await page.locator('[data-error-for="inn"]').textContent(), "")

      await page.fill('input[name="email"]', "buh@example.ru")
      await page.fill('input[name="phone"]', "+7 900 111-22-33")
      await page.fill('input[name="contact"]', "Иван Петров")
      await shot(page, "01-checkout.png")

      await page.click('[data-testid="place-order"]')
      await page.locator('[data-testid="invoice-card"]').waitFor({ timeout: 90_000 })
      placed.orderId = /#\/order\/([^/?#]+)/.exec(page.url())?.[1]
      assert.ok(placed.orderId?.startsWith("order_"), `on the order page (${page.url()})`)
      assert.equal(await page.getAttribute('[data-testid="payment-status"]', "data-status"), "awaiting")
      assert.equal(squash(await page.textContent('[data-testid="invoice-amount"]')), ORDER_TOTAL)
      // The kit's invoice panel shows one human number, Invoicebox's «Счёт №», never the invoice's UUID.
      const storeOrder = await (
        await page.request.get(`${demo.urls.backend}/store/orders/${placed.orderId}?fields=*payment_collections.payment_sessions`, {
          headers: { "x-publishable-api-key": demo.seed.publishableKey },
        })
      ).json()
      const sessionData = storeOrder.order.payment_collections[0].payment_sessions.find((s) => s.provider_id === "pp_invoicebox_invoicebox").data
      placed.invoiceId = sessionData.invoicebox_order_id
      placed.returnUrl = sessionData.return_url
      assert.equal((await page.textContent('[data-testid="invoice-number"]')).trim(), `№ ${sessionData.invoice_number}`)
      assert.equal((await page.textContent('[data-testid="invoice-status"]')).trim(), "Ожидает оплаты")
      assert.ok(!(await page.textContent('[data-testid="invoice-card"]')).includes(placed.invoiceId), "no UUID shown as a number")
      assert.match(await page.textContent('[data-testid="invoice-due"]'), /МСК/)

      const doc = page.locator('[data-testid="printable-invoice"]')
      assert.equal(await doc.locator(".doc-lines tbody tr").count(), 4, "three goods and the shipping")
      assert.match(await doc.textContent(), /ПАО Сбербанк/)
      assert.match(await doc.textContent(), /ИНН 7707083893, КПП 773601001/)
      await shot(page, "02-invoice.png")
      await page.emulateMedia({ media: "print" })
      assert.equal(await page.locator('[data-testid="invoice-card"]').isVisible(), false, "print shows the invoice only")
      assert.equal(await doc.isVisible(), true)
      await shot(page, "03-invoice-print.png")
      await page.emulateMedia({ media: "screen" })

      // What reached Invoicebox is what the buyer saw.
      const invoice = (await sandboxState()).orders.find((o) => o.id === placed.invoiceId)
      assert.ok(invoice, "the invoice exists in the sandbox")
      assert.equal(Number(invoice.amount), 4940.2)
      assert.equal(invoice.customer.vatNumber, "7707083893")
      assert.equal(invoice.customer.taxRegistrationReasonCode, "773601001")
      assert.equal(invoice.basketItems.length, 4)

      await page.click('[data-testid="pay-link"]')
      await page.waitForURL((url) => url.href.startsWith(demo.urls.sandbox))
      assert.match(squash(await page.textContent("body")), /4940,20/)
      await page.getByRole("button", { name: "Оплатить", exact: true }).click()
      await page.waitForURL((url) => url.href.startsWith(demo.urls.storefront))
      await page.locator('[data-testid="payment-status"][data-status="captured"]').waitFor({ timeout: 60_000 })
      assert.equal((await page.textContent('[data-testid="payment-status"]')).trim(), "Оплачен")
      await page.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor()
      assert.equal((await page.textContent('[data-testid="invoice-status"]')).trim(), "Оплачен")
      assert.match(await page.textContent('[data-testid="paid-banner"]'), /Оплата получена/)
      assert.equal(await page.locator('[data-testid="pay-link"]').count(), 0, "a paid invoice offers no payment link")
      placed.displayId = (await page.textContent("h1")).replace(/\D+/g, "")
      await shot(page, "04-paid.png")

      await page.click('[data-testid="lang-switch"]')
      await page.locator('[data-testid="payment-status"]').filter({ hasText: "Paid" }).waitFor()
      await page.locator('[data-testid="invoice-status"]').filter({ hasText: "Paid" }).waitFor()
      await context.close()

      // The return URL in a browser that never saw the order (no localStorage): the store's guest
      // invoice route names the order of the cart.
      assert.match(placed.returnUrl, /\?return_cart=cart_/)
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ru-RU" })
      const other = await fresh.newPage()
      await other.goto(placed.returnUrl)
      await other.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 30_000 })
      assert.ok(other.url().includes(`#/order/${placed.orderId}`), other.url())
      await fresh.close()
    })
  )

  test("the merchant sees the paid invoice in the dashboard, refunds part of it there and sees the refund in the widget", { timeout: 420_000 }, () =>
    withLog(async () => {
      assert.ok(placed.orderId, "the buyer's test placed an order")
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: "ru-RU" })
      // The dashboard keeps its language in localStorage "lng"; the widget follows it.
      await context.addInitScript(() => {
        try {
          window.localStorage.setItem("lng", "ru")
        } catch {}
      })
      const page = await context.newPage()

      // The first visit compiles the dashboard (Vite dev mode): allow for it.
      await page.goto(`${demo.urls.admin}/login`, { timeout: 240_000 })
      await page.locator('input[name="email"]').waitFor({ timeout: 240_000 })
      await page.fill('input[name="email"]', demo.admin.email)
      await page.fill('input[name="password"]', demo.admin.password)
      await page.click('button[type="submit"]')
      await page.waitForURL(/\/app\/orders/, { timeout: 120_000 })

      await page.getByText(`#${placed.displayId}`, { exact: true }).first().click({ timeout: 60_000 })
      await page.waitForURL(new RegExp(`/app/orders/${placed.orderId}`))
      const widget = page.locator('[data-testid="invoicebox-widget"]')
      await widget.locator('[data-testid="invoicebox-status"][data-status="completed"]').waitFor({ timeout: 60_000 })
      assert.equal((await widget.locator('[data-testid="invoicebox-status"]').textContent()).trim(), "Оплачен")
      assert.match(await widget.locator('[data-testid="invoicebox-invoice-id"]').textContent(), new RegExp(placed.invoiceId))
      assert.match(squash(await widget.locator('[data-testid="invoicebox-amount"]').textContent()), new RegExp(ORDER_TOTAL))
      assert.match(await widget.locator('[data-testid="invoicebox-payer"]').textContent(), /ПАО Сбербанк.*ИНН 7707083893.*КПП 773601001/)
      assert.match(await widget.locator('[data-testid="invoicebox-refunds"]').textContent(), /Возвратов нет/)
      assert.match(await widget.locator('[data-testid="invoicebox-timeline"]').textContent(), /Оплачен.*Принято.*Уведомление Инвойсбокс/)
      await shot(widget, "05-widget-paid.png")

      // The dashboard's own refund form: payment row menu → «Возврат».
      await page.locator("div.grid", { hasText: "pp_invoicebox_invoicebox" }).locator('button[aria-haspopup="menu"]').click()
      await page.getByRole("menuitem", { name: "Возврат" }).click()
      const dialog = page.getByRole("dialog")
      await dialog.locator('input[name="amount"]').fill(REFUND)
      await dialog.locator("textarea").fill("Брак упаковки")
      await dialog.locator('button[type="submit"]').click()
      await dialog.waitFor({ state: "hidden", timeout: 60_000 })

      const refund = widget.locator('[data-testid="invoicebox-refund"]')
      await refund.first().waitFor({ timeout: 60_000 })
      assert.equal(await refund.count(), 1)
      assert.match(squash(await refund.textContent()), /1000,55₽/)
      assert.match(await refund.textContent(), /Брак упаковки/)

      // The sandbox completes a refund after a moment; «Проверить статус» reads it again.
      for (let i = 0; i < 20 && !/Выполнен/.test(await refund.textContent()); i++) {
        await page.waitForTimeout(1000)
        await widget.locator('[data-testid="invoicebox-check-status"]').click()
        await page.getByText("Статус проверен").first().waitFor({ timeout: 30_000 })
      }
      assert.match(await refund.textContent(), /Выполнен/)
      assert.match(squash(await widget.locator('[data-testid="invoicebox-refunds"]').textContent()), /Возвращено:1000,55₽из4940,20₽/)

      const res = await page.request.get(`${demo.urls.backend}/admin/orders/${placed.orderId}?fields=payment_status,*items`)
      assert.equal(res.status(), 200)
      const { order } = await res.json()
      assert.equal(order.payment_status, "partially_refunded")
      const refunds = (await sandboxState()).refunds.filter((r) => r.parentId === placed.invoiceId)
      assert.equal(refunds.length, 1, "exactly one refund reached Invoicebox")
      assert.equal(Number(refunds[0].amount), 1000.55)

      // The widget's own «Возврат с удержанием»: 1000.00 of goods back, a 100.00 fee at 20 % kept.
      await widget.locator('[data-testid="invoicebox-refund-fee-open"]').click()
      const feeForm = widget.locator('[data-testid="invoicebox-refund-fee-form"]')
      await feeForm.locator("#ibx-fee-gross").fill("1000")
      await feeForm.locator("#ibx-fee-amount").fill("100,00")
      await feeForm.locator("#ibx-fee-vat").selectOption("RUS_VAT20")
      assert.match(squash(await feeForm.locator('[data-testid="invoicebox-refund-fee-payout"]').textContent()), /Покупательполучит:900,00₽/)
      await feeForm.locator('[data-testid="invoicebox-refund-fee-submit"]').click()
      const feeNote = widget.locator('[data-testid="invoicebox-refund-fee"]')
      await feeNote.first().waitFor({ timeout: 60_000 })
      assert.match(squash(await feeNote.textContent()), /возвраттоваров1000,00₽−удержание«Сборзавозвраттовара»100,00₽\(20%\)·корректировочныйзаказ[0-9a-f-]{36}/)
      const withFee = (await sandboxState()).refunds.filter((r) => r.parentId === placed.invoiceId)
      assert.equal(withFee.length, 2, "one more refund, the one with the fee")
      assert.equal(Number(withFee[1].amount), 900)
      const corrections = (await sandboxState()).orders.filter((o) => o.parentId === withFee[1].id)
      assert.deepEqual(corrections.map((o) => [Number(o.amount), Number(o.vatAmount)]), [[100, 16.67]])
      await shot(widget, "05b-widget-refund-with-fee.png")

      // Shipping the goods (Admin API, as the dashboard's fulfillment forms do) registers an
      // Invoicebox shipment, i.e. the closing documents, which the widget then shows.
      const items = order.items.map((i) => ({ id: i.id, quantity: Number(i.quantity) }))
      const created = await page.request.post(`${demo.urls.backend}/admin/orders/${placed.orderId}/fulfillments?fields=*fulfillments`, {
        data: { items },
      })
      assert.equal(created.status(), 200, await created.text())
      const fulfillmentId = (await created.json()).order.fulfillments.at(-1).id
      const shipped = await page.request.post(
        `${demo.urls.backend}/admin/orders/${placed.orderId}/fulfillments/${fulfillmentId}/shipments`,
        { data: { items } }
      )
      assert.equal(shipped.status(), 200, await shipped.text())
      const shipments = widget.locator('[data-testid="invoicebox-shipments"]')
      for (let i = 0; i < 20 && !/Документы (формируются|выставлены)/.test(await shipments.textContent()); i++) {
        await page.waitForTimeout(1000)
        await widget.locator('[data-testid="invoicebox-check-status"]').click()
        await page.getByText("Статус проверен").first().waitFor({ timeout: 30_000 })
      }
      assert.match(await shipments.textContent(), /Документы (формируются|выставлены)/)
      assert.ok((await sandboxState()).shipments.some((x) => x.orderId === placed.invoiceId), "the shipment reached Invoicebox")

      // Let toasts and the closed drawer's overlay fade before the picture.
      await page.getByRole("dialog").waitFor({ state: "detached" }).catch(() => {})
      await page.waitForTimeout(1500)
      await shot(widget, "06-widget-refund-shipment.png")

      // The connection check of Settings → Invoicebox, with the secrets masked.
      await page.goto(`${demo.urls.admin}/settings/invoicebox`)
      const health = page.locator('[data-testid="invoicebox-health"]')
      await health.locator('[data-testid="invoicebox-health-status"]').filter({ hasText: "Подключено" }).waitFor({ timeout: 60_000 })
      assert.match(
        await health.locator('[data-testid="invoicebox-health-notification-url"]').textContent(),
        new RegExp(`${demo.urls.backend}/hooks/invoicebox`)
      )
      assert.doesNotMatch(await health.locator('[data-testid="invoicebox-health-last-notification"]').textContent(), /не было/)
      const text = await health.textContent()
      assert.ok(!text.includes(DEMO_TOKEN), "the API token is never shown")
      assert.ok(text.includes("b37c…2e"), "the token is shown masked")
      await shot(health, "07-health.png")
      placed.adminState = await context.storageState()
      await context.close()
    })
  )

  test("«Проверить статус» settles an order whose payment notification never arrived", { timeout: 300_000 }, () =>
    withLog(async () => {
      assert.ok(placed.adminState, "the merchant's test logged in")
      const { invoiceId, orderId } = await placeOrderThroughStoreApi()
      await sandboxControl("notifications/block")
      try {
        await sandboxControl(`orders/${invoiceId}/pay`)
        const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, storageState: placed.adminState })
        await context.addInitScript(() => {
          try {
            window.localStorage.setItem("lng", "ru")
          } catch {}
        })
        const page = await context.newPage()
        const paymentStatus = async () =>
          (await (await page.request.get(`${demo.urls.backend}/admin/orders/${orderId}?fields=payment_status`)).json()).order.payment_status
        assert.equal(await paymentStatus(), "awaiting", "without the notification Medusa still waits")

        await page.goto(`${demo.urls.admin}/orders/${orderId}`)
        const widget = page.locator('[data-testid="invoicebox-widget"]')
        // The widget reads Invoicebox live, so it already knows what Medusa does not.
        await widget.locator('[data-testid="invoicebox-status"][data-status="completed"]').waitFor({ timeout: 60_000 })
        assert.match(await widget.locator('[data-testid="invoicebox-timeline"]').textContent(), /не было/)

        await widget.locator('[data-testid="invoicebox-check-status"]').click()
        await page.getByText("Статус проверен").first().waitFor({ timeout: 30_000 })
        assert.equal(await paymentStatus(), "captured")
        await widget.locator('[data-testid="invoicebox-timeline"]').filter({ hasText: "Проверка из админки" }).waitFor()
        assert.match(await widget.locator('[data-testid="invoicebox-timeline"]').textContent(), /Оплачен.*Принято.*Проверка из админки/)
        await context.close()
      } finally {
        await sandboxControl("notifications/unblock")
      }
    })
  )

  test("the Next.js example (production build) takes a company's invoice through the kit, and its return page turns «Оплачен» by itself in another browser", { timeout: 600_000 }, () =>
    withLog(async () => {
      nextApp = await startNextExample({
        backendUrl: demo.urls.backend,
        publishableKey: demo.seed.publishableKey,
        port: nextPort,
        logFile: path.join(root, ".data", "e2e-next.log"),
        log: (line) => console.log(`  ${line}`),
      })
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ru-RU" })
      const page = await context.newPage()
      const lookups = []
      page.on("request", (r) => r.url().includes("/store/invoicebox/counterparty") && lookups.push(r.url()))

      await page.goto(`${nextApp.url}/ru`)
      await page.locator('form[data-handle="tax-code-book"] button').click()
      await page.waitForURL(/\/ru\/checkout$/)
      await page.fill('input[name="delivery_email"]', "buh@example.ru")
      await page.fill('input[name="delivery_contact"]', "Иван Петров")
      await page.fill('input[name="delivery_city"]', "Москва")
      await page.fill('input[name="delivery_address"]', "ул. Вавилова, д. 19")

      // A mistyped ИНН: the kit's check at the field, on blur, and no look-up request.
      await page.fill('input[name="inn"]', "7707083894")
      await page.press('input[name="inn"]', "Tab")
      await page.locator('[data-error-for="inn"]').filter({ hasText: "контрольная сумма" }).waitFor({ timeout: 10_000 })
      assert.deepEqual(lookups, [])

      await page.fill('input[name="inn"]', "7707083893")
      await page.press('input[name="inn"]', "Tab")
      await page.locator('[data-testid="lookup-status"]').filter({ hasText: "ПАО Сбербанк" }).waitFor()
      assert.equal(await page.inputValue('input[name="name"]'), "ПАО Сбербанк")
      assert.equal(await page.inputValue('input[name="kpp"]'), "773601001")
      assert.equal(await page.textContent('[data-error-for="inn"]'), "")

      // A bad КПП goes to the server action, which answers the field error as data: a production
      // build would have replaced a thrown message.
      await page.fill('input[name="kpp"]', "77360100")
      await page.fill('input[name="email"]', "buh@example.ru")
      await page.click('[data-testid="submit-payment-button"]')
      await page.locator('[data-error-for="kpp"]').filter({ hasText: "КПП: 9 символов" }).waitFor({ timeout: 30_000 })
      assert.match(await page.textContent('[data-testid="checkout-error"]'), /^Проверьте реквизиты плательщика: КПП/)
      assert.doesNotMatch(await page.textContent("body"), /Server Components render|Error setting up the request/)
      await shot(page, "10-next-kpp-error.png")

      await page.fill('input[name="kpp"]', "773601001")
      await page.click('[data-testid="submit-payment-button"]')
      await page.locator('[data-testid="review"] [data-testid="payer-summary-name"]').filter({ hasText: "ПАО Сбербанк" }).waitFor({ timeout: 60_000 })
      assert.match(await page.textContent('[data-testid="payer-summary"]'), /ИНН 7707083893, КПП 773601001/)
      await page.click('[data-testid="place-order"]')
      await page.waitForURL(/\/ru\/order\/order_[^/]+\/confirmed$/, { timeout: 60_000 })
      const orderId = /\/order\/(order_[^/]+)\//.exec(page.url())[1]
      const panel = page.locator('[data-testid="invoice-panel"]')
      await panel.locator('[data-testid="invoice-status"][data-status="awaiting"]').waitFor()
      assert.equal((await panel.locator('[data-testid="invoice-status"]').textContent()).trim(), "Ожидает оплаты")
      assert.equal(squash(await panel.locator('[data-testid="invoice-amount"]').textContent()), "1700,00₽", "book 1200 + shipping 500")
      assert.match(await panel.locator('[data-testid="invoice-due"]').textContent(), /МСК/)
      await shot(page, "11-next-confirmed.png")

      const { order } = await (
        await page.request.get(`${demo.urls.backend}/store/orders/${orderId}?fields=display_id,*payment_collections.payment_sessions`, {
          headers: { "x-publishable-api-key": demo.seed.publishableKey },
        })
      ).json()
      const data = order.payment_collections[0].payment_sessions.find((x) => x.provider_id === "pp_invoicebox_invoicebox").data
      assert.equal((await panel.locator('[data-testid="invoice-number"]').textContent()).trim(), `№ ${data.invoice_number}`)
      assert.ok(data.return_url.startsWith(`${nextApp.url}/ru/checkout/invoicebox-return?cart_id=cart_`), data.return_url)

      // Another browser (no cookie, no storage) opens the return page while the invoice is unpaid.
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ru-RU" })
      const other = await fresh.newPage()
      await other.goto(data.return_url)
      // A reload would drop this marker (Next's router itself calls history.replaceState, so
      // counting navigation events would not tell a reload apart).
      await other.evaluate(() => (window.__notReloaded = true))
      await other.locator('[data-testid="invoice-status"][data-status="awaiting"]').waitFor()
      assert.equal((await other.textContent('[data-testid="invoice-return-title"]')).trim(), `Заказ № ${order.display_id}`)

      await panel.locator('[data-testid="pay-link"]').click()
      await page.waitForURL((url) => url.href.startsWith(demo.urls.sandbox))
      await page.getByRole("button", { name: "Оплатить", exact: true }).click()
      await page.waitForURL((url) => url.href.startsWith(`${nextApp.url}/ru/checkout/invoicebox-return`))
      await page.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 60_000 })

      await other.locator('[data-testid="invoice-status"][data-status="paid"]').waitFor({ timeout: 60_000 })
      assert.equal((await other.textContent('[data-testid="invoice-status"]')).trim(), "Оплачен")
      assert.equal(await other.evaluate(() => window.__notReloaded === true), true, "the other browser's page was never reloaded")
      assert.equal(await other.locator('[data-testid="pay-link"]').count(), 0)
      await shot(other, "12-next-return-paid.png")
      await fresh.close()
      await context.close()
    })
  )
})

async function sandboxControl(path) {
  const res = await fetch(`${demo.urls.sandbox}/__sandbox/${path}`, { method: "POST" })
  assert.equal(res.status, 200, `sandbox ${path}: ${await res.text()}`)
}

/** The storefront's calls, without the page: a cart paid by an ИП (12-digit ИНН, no КПП). */
async function placeOrderThroughStoreApi() {
  const { seed } = demo
  const call = async (path, body) => {
    const res = await fetch(`${demo.urls.backend}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", "x-publishable-api-key": seed.publishableKey },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const json = await res.json()
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }
  const { cart } = await call("/store/carts", { region_id: seed.regionId })
  const book = seed.products.find((p) => p.handle === "tax-code-book")
  await call(`/store/carts/${cart.id}/line-items`, { variant_id: book.variantIds[0], quantity: 2 })
  const address = { first_name: "Пётр", last_name: "Тестов", address_1: "ул. Тестовая, д. 1", city: "Москва", postal_code: "101000", country_code: "ru" }
  await call(`/store/carts/${cart.id}`, { email: "ip@example.ru", shipping_address: address, billing_address: address })
  await call(`/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shippingOptionId })
  const { payment_collection } = await call("/store/payment-collections", { cart_id: cart.id })
  const { counterparty } = await call("/store/invoicebox/counterparty?inn=500100732259")
  assert.equal(counterparty.type, "sole_proprietor")
  const session = await call(`/store/payment-collections/${payment_collection.id}/payment-sessions`, {
    provider_id: "pp_invoicebox_invoicebox",
    data: { payer: { type: counterparty.type, name: counterparty.name, inn: counterparty.inn, address: counterparty.address, email: "ip@example.ru" } },
  })
  const invoiceId = session.payment_collection.payment_sessions[0].data.invoicebox_order_id
  const done = await call(`/store/carts/${cart.id}/complete`, {})
  assert.equal(done.type, "order")
  return { invoiceId, orderId: done.order.id }
}
