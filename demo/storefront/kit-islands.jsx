// The storefront kit's React components mounted into the demo's plain-JS pages (React "islands"):
// the payer form of the checkout and the invoice panel of the order page are the very components
// a React / Next.js storefront imports from medusa-payment-invoicebox/storefront/react.
// scripts/demo.mjs bundles this file (esbuild) and serves it as /kit.js.
import { createElement, forwardRef, useEffect, useImperativeHandle } from "react"
import { createRoot } from "react-dom/client"
import { createStoreClient, readInvoice, startInvoiceSession } from "../../src/storefront"
import { InvoicePanel, PayerForm, usePayerForm } from "../../src/storefront/react"

const FORM_CLASSES = { field: "field", invalid: "invalid", hint: "hint", error: "field-error", status: "lookup", type: "type-row", input: "" }
const PANEL_CLASSES = { root: "card invoice-card", status: "invoice-status", row: "kv", amount: "big", payLink: "button primary", note: "muted" }

const PayerIsland = forwardRef(function PayerIsland({ sdk, lang, onChange }, ref) {
  const form = usePayerForm()
  useEffect(() => onChange?.(form.values, form.payerType), [form.values, form.payerType])
  useImperativeHandle(ref, () => form, [form])
  return createElement(PayerForm, { form, sdk, lang, classNames: FORM_CLASSES })
})

export function storeClient(config) {
  return createStoreClient({ baseUrl: config.backendUrl, publishableKey: config.publishableKey })
}

/** Mounts the payer form; the returned handle's `current` is the kit's PayerFormState. */
export function mountPayerForm(el, { sdk, lang, onChange }) {
  const handle = { current: null }
  const root = createRoot(el)
  root.render(createElement(PayerIsland, { sdk, lang, onChange, ref: handle }))
  return { handle, unmount: () => root.unmount() }
}

export function mountInvoicePanel(el, { sdk, lang, orderId, onUpdate }) {
  const root = createRoot(el)
  root.render(createElement(InvoicePanel, { sdk, lang, invoiceRef: { orderId }, classNames: PANEL_CLASSES, pollMs: 2000, onUpdate }))
  return { unmount: () => root.unmount() }
}

export { readInvoice, startInvoiceSession }
