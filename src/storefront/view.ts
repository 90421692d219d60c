/**
 * The invoice as a buyer sees it: one shape for the store route that computes it and the storefront
 * kit that shows it. Framework-free (no Medusa, no Node built-ins): it runs in the browser too.
 */
import type { PayerType } from "../core/requisites/payer"

export type InvoiceStatus = "awaiting" | "paid" | "partially_refunded" | "refunded" | "expired" | "canceled"

export interface InvoiceView {
  /** The Invoicebox provider (shop) that issued the invoice. */
  provider_id: string
  status: InvoiceStatus
  /** The invoice's human number: the «Счёт №» Invoicebox prints on its payment page and documents. */
  number: string | null
  /** In the currency's units (rubles), for display. */
  amount: number
  amount_kopecks: number
  /** ISO 4217 upper case, e.g. RUB. */
  currency: string
  /** ISO date-time after which the invoice can no longer be paid. */
  due_at: string | null
  /** Invoicebox's payment page; only while the invoice can be paid. */
  pay_url: string | null
  paid_at: string | null
  /** Whom the invoice is made out to: the name only (requisites stay with the buyer who typed them). */
  payer: { type: PayerType; name: string } | null
}

export interface InvoiceLookup {
  /** The order the cart became; null while the cart is not completed. */
  order: { id: string; display_id: number | null } | null
  invoice: InvoiceView | null
}

/** After these Invoicebox has nothing more to tell the buyer: polling stops. */
export const FINAL_INVOICE_STATUSES: readonly InvoiceStatus[] = ["paid", "partially_refunded", "refunded", "expired", "canceled"]

export function isFinalInvoiceStatus(status: InvoiceStatus | undefined | null): boolean {
  return !!status && FINAL_INVOICE_STATUSES.includes(status)
}

/** What the server knows about one invoice session; `data` is the provider-written session data. */
export interface InvoiceFacts {
  provider_id: string
  data: Record<string, unknown>
  /** Medusa captured the payment (the paid notification arrived). */
  captured: boolean
  /** Medusa cancelled the payment (expired / cancelled invoice, cancelled order). */
  canceled: boolean
  refunded_kopecks: number
  now?: Date
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null)

function statusOf(f: InvoiceFacts, amountKopecks: number, dueAt: string | null, now: Date): InvoiceStatus {
  const invoiceStatus = str(f.data.invoice_status)
  if (f.captured || invoiceStatus === "completed") {
    if (f.refunded_kopecks > 0) return f.refunded_kopecks >= amountKopecks ? "refunded" : "partially_refunded"
    return "paid"
  }
  if (invoiceStatus === "expired") return "expired"
  if (f.canceled || invoiceStatus === "canceled" || invoiceStatus === "cancelled") return "canceled"
  if (dueAt && new Date(dueAt).getTime() <= now.getTime()) return "expired"
  return "awaiting"
}

export function toInvoiceView(f: InvoiceFacts): InvoiceView {
  const d = f.data
  const amountKopecks = Number.isSafeInteger(d.amount_kopecks) ? (d.amount_kopecks as number) : 0
  const dueAt = str(d.expires_at)
  const status = statusOf(f, amountKopecks, dueAt, f.now ?? new Date())
  const payer = d.payer as { type?: unknown; name?: unknown } | undefined
  return {
    provider_id: f.provider_id,
    status,
    number: str(d.invoice_number),
    amount: amountKopecks / 100,
    amount_kopecks: amountKopecks,
    currency: (str(d.currency) ?? "RUB").toUpperCase(),
    due_at: dueAt,
    pay_url: status === "awaiting" ? str(d.payment_url) : null,
    paid_at: str(d.paid_at),
    payer:
      payer && typeof payer.name === "string" && (payer.type === "legal" || payer.type === "sole_proprietor")
        ? { type: payer.type, name: payer.name }
        : null,
  }
}
