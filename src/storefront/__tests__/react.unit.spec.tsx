import { renderToStaticMarkup } from "react-dom/server"
import { InvoicePanel, PayerForm, PayerSummary } from "../react"
import type { PayerFormState } from "../react/use-payer-form"
import { createStoreClient } from "../client"
import { EMPTY_PAYER_FORM, payerTypeOf } from "../payer"

const sdk = createStoreClient({ baseUrl: "http://store", publishableKey: "pk" })

function formState(values: Partial<typeof EMPTY_PAYER_FORM>, errors: PayerFormState["errors"] = {}): PayerFormState {
  const v = { ...EMPTY_PAYER_FORM, ...values }
  const noop = () => undefined as any
  return { values: v, errors, setValue: noop, fill: noop, setErrors: noop, validate: noop, showError: noop, draft: noop, checkInnField: noop, payerType: payerTypeOf(v.inn) }
}

describe("React components (server-rendered markup)", () => {
  it("the payer form puts ИНН first, hides the КПП of an ИП and shows each error at its field in the chosen language", () => {
    const company = renderToStaticMarkup(<PayerForm sdk={sdk} form={formState({ inn: "7707083893" }, { kpp: { ru: "КПП: обязателен", en: "KPP: is required" } })} classNames={{ input: "host-input", invalid: "is-bad" }} />)
    expect(company.indexOf('name="inn"')).toBeLessThan(company.indexOf('name="name"'))
    expect(company).toContain('name="kpp"')
    expect(company).toMatch(/<label class="is-bad" data-field="kpp"/)
    expect(company).toContain('data-error-for="kpp" role="alert">КПП: обязателен<')
    expect(company).toContain('class="host-input"')
    expect(company).toContain("Организация")

    const soleEn = renderToStaticMarkup(<PayerForm sdk={sdk} lang="en" form={formState({ inn: "500100732259" }, { inn: { ru: "ИНН: …", en: "INN: checksum is invalid" } })} />)
    expect(soleEn).not.toContain('name="kpp"')
    expect(soleEn).toContain("Sole proprietor")
    expect(soleEn).toContain(">INN: checksum is invalid<")
  })

  it("the invoice panel shows number, amount, due date (Moscow time) and the pay link while awaiting; no link once paid", () => {
    const invoice = { provider_id: "pp_invoicebox_invoicebox", status: "awaiting" as const, number: "AB12CD34", amount: 4940.2, amount_kopecks: 494020, currency: "RUB", due_at: "2026-12-05T10:00:00Z", pay_url: "https://pay/x", paid_at: null, payer: null }
    const html = renderToStaticMarkup(<InvoicePanel sdk={sdk} invoiceRef={{ orderId: "order_1" }} initial={{ order: { id: "order_1", display_id: 3 }, invoice }} />)
    expect(html).toContain('data-testid="invoice-number">№ AB12CD34<')
    expect(html).toMatch(/data-testid="invoice-amount">4[\s\u00a0\u202f]940,20[\s\u00a0\u202f]₽</)
    expect(html).toMatch(/5 декабря 2026 г\.,? (в )?13:00 \(МСК\)/)
    expect(html).toContain('href="https://pay/x"')
    const paid = renderToStaticMarkup(<InvoicePanel sdk={sdk} lang="en" invoiceRef={{ orderId: "order_1" }} initial={{ order: null, invoice: { ...invoice, status: "paid", pay_url: null } }} />)
    expect(paid).toContain('data-status="paid" role="status">Paid<')
    expect(paid).not.toContain("pay-link")
    expect(renderToStaticMarkup(<InvoicePanel sdk={sdk} hideWhenMissing invoiceRef={{ orderId: "order_1" }} initial={{ order: null, invoice: null }} />)).toBe("")
  })

  it("the payer summary names the payer with ИНН / КПП", () => {
    const html = renderToStaticMarkup(<PayerSummary payer={{ type: "legal", name: "ПАО Сбербанк", inn: "7707083893", kpp: "773601001" }} />)
    expect(html).toContain(">ПАО Сбербанк<")
    expect(html).toContain("ИНН 7707083893, КПП 773601001")
  })
})
