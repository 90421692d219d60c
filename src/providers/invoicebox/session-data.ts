import type { Payer } from "../../core"
import { userError } from "./messages"

/**
 * What the provider keeps in the payment session / payment `data`. Never a secret: the Store API
 * returns it. Medusa stores `{ ...what the storefront sent, ...what the provider returned }`, so
 * the provider returns every key it owns (absent ones as null): nothing a browser sends under one
 * of these names survives. Bookkeeping that several writers touch (refunds, shipments) is not
 * here but in the plugin's own tables.
 */
export interface InvoiceboxPaymentData extends Record<string, unknown> {
  session_id: string
  /** The Invoicebox provider (shop) that issued the invoice, e.g. `pp_invoicebox_invoicebox`. */
  provider_id: string | null
  payer: Payer
  return_url: string | null
  invoicebox_order_id: string
  merchant_order_id: string
  /** The number the buyer sees on the invoice («Счёт №», merchantOrderIdVisible). */
  invoice_number: string | null
  payment_url: string
  invoice_status: string
  expires_at: string
  amount_kopecks: number
  vat_amount_kopecks: number
  currency: string
  /** SHA-256 of the basket the invoice carries: completion re-checks that the cart still matches it. */
  basket_fingerprint: string | null
  paid_at: string | null
  /**
   * Set when the invoice was created by a resend after an unknown outcome: the first attempt may
   * still commit as a twin, which the reconciliation job looks for and cancels (lib/orphans.ts).
   */
  invoice_resent_at: string | null
}

/** Keys a storefront may send in `data` when it initiates the session. */
export const STOREFRONT_KEYS = ["payer", "return_url"] as const

/** Medusa itself writes `session_id` into the data it hands the provider. */
const MEDUSA_KEYS = ["session_id"]

/**
 * Every key the provider owns, including the ones 0.1 kept here (`refunds`,
 * `cabinet_refund_pending`): returned as null so that a forged value is overwritten.
 */
export const PROVIDER_KEYS = [
  "session_id",
  "provider_id",
  "invoicebox_order_id",
  "merchant_order_id",
  "invoice_number",
  "payment_url",
  "invoice_status",
  "expires_at",
  "amount_kopecks",
  "vat_amount_kopecks",
  "currency",
  "basket_fingerprint",
  "paid_at",
  "invoice_resent_at",
  "refunds",
  "cabinet_refund_pending",
] as const

/**
 * The storefront's part of the session data. A request that carries a provider-owned key is
 * refused with a 400 naming it: silently dropping it would hide a storefront bug (or an attempt
 * to forge an invoice id, an amount or a refund).
 */
export function storefrontInput(data: Record<string, unknown>): { payer: unknown; return_url: unknown } {
  const forged = PROVIDER_KEYS.filter((k) => !MEDUSA_KEYS.includes(k) && data[k] !== undefined)
  if (forged.length) {
    throw userError(
      "INVALID_DATA",
      `Поля ${forged.join(", ")} заполняет магазин, а не витрина; передайте только ${STOREFRONT_KEYS.join(" и ")}`,
      `The fields ${forged.join(", ")} are set by the store, not the storefront; send only ${STOREFRONT_KEYS.join(" and ")}`
    )
  }
  return { payer: data.payer, return_url: data.return_url }
}

/** Fills every provider-owned key, absent ones with null, in a stable order. */
export function ownedData(data: Partial<InvoiceboxPaymentData> & Pick<InvoiceboxPaymentData, "payer">): InvoiceboxPaymentData {
  const out: Record<string, unknown> = {}
  for (const key of PROVIDER_KEYS) out[key] = data[key] ?? null
  out.payer = data.payer
  out.return_url = data.return_url ?? null
  return out as InvoiceboxPaymentData
}

/** Session data read back from Medusa (already owned): only the provider's keys, refreshed with `patch`. */
export function withData(data: InvoiceboxPaymentData, patch: Partial<InvoiceboxPaymentData>): InvoiceboxPaymentData {
  return ownedData({ ...data, ...patch })
}
