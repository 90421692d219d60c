// The README's step 5: the page Invoicebox sends the buyer back to, ready-made.
export { InvoiceboxReturnPage as default } from "medusa-payment-invoicebox/storefront/next"
