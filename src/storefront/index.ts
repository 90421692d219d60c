/**
 * medusa-payment-invoicebox/storefront — the buyer's side of the plugin, framework-free and
 * browser-safe: the requisites checks the server runs (the same code), the payer builder, error
 * reading for @medusajs/js-sdk errors and helpers over the Store API.
 */
export { isValidInn, isValidKpp, isValidOgrn, isValidOgrnip } from "../core/requisites/checksums"
export { validatePayer, PAYER_LIMITS, PAYER_FIELD_LABELS, type Payer, type PayerType, type FieldError } from "../core/requisites/payer"
export { parsePayerErrors, formatPayerErrors } from "../core/requisites/payer-message"
export { INVOICEBOX_PROVIDER_PREFIX, isInvoiceboxProviderId as isInvoicebox } from "../core/provider-id"
export * from "./payer"
export * from "./messages"
export * from "./errors"
export * from "./view"
export * from "./client"
