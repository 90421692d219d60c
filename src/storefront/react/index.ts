/**
 * medusa-payment-invoicebox/storefront/react — components over the framework-free kit. React is the
 * only dependency (a peer); the components render plain elements that take the host's classes.
 */
export { PayerForm, type PayerFormProps, type PayerFormClass } from "./payer-form"
export { usePayerForm, type PayerFormState } from "./use-payer-form"
export { InvoicePanel, useInvoice, type InvoicePanelProps, type InvoicePanelClass } from "./invoice-panel"
export { PayerSummary, type PayerSummaryClass } from "./payer-summary"
