import { useEffect, useState, type ReactNode } from "react"
import { pollUntilPaid, readInvoice, type InvoiceRef, type StoreClient } from "../client"
import { formatDueDate, formatMoney, translate, type Lang, type MessageKey } from "../messages"
import { isFinalInvoiceStatus, type InvoiceLookup } from "../view"
import { useStore, type ClassNames, type StoreProps } from "./classes"

export type InvoicePanelClass = "root" | "status" | "row" | "label" | "value" | "amount" | "payLink" | "note"

/** `sdk`, or `backendUrl` + `publishableKey` (plain props, so a server component can render the panel). */
export interface InvoicePanelProps extends StoreProps {
  /** Which invoice: the order's (confirmation page), the cart's or the session's (return page). */
  invoiceRef: InvoiceRef
  lang?: Lang
  /** An answer read on the server, shown before the first poll. */
  initial?: InvoiceLookup | null
  /** How often the status is read again until it is final (ms); 0 reads once. */
  pollMs?: number
  classNames?: ClassNames<InvoicePanelClass>
  messages?: Partial<Record<MessageKey, string>>
  onUpdate?: (lookup: InvoiceLookup) => void
  /** Render nothing when the order has no Invoicebox invoice (a confirmation page shared by all methods). */
  hideWhenMissing?: boolean
  children?: ReactNode
}

const refKey = (ref: InvoiceRef) => JSON.stringify(ref)

/** Keeps an invoice's lookup fresh: reads it, then polls until it is paid or otherwise final. */
export function useInvoice(sdk: StoreClient, invoiceRef: InvoiceRef, opts: { initial?: InvoiceLookup | null; pollMs?: number; onUpdate?: (l: InvoiceLookup) => void } = {}) {
  const [lookup, setLookup] = useState<InvoiceLookup | null>(opts.initial ?? null)
  const [error, setError] = useState<unknown>(null)
  const key = refKey(invoiceRef)
  useEffect(() => {
    const abort = new AbortController()
    const onUpdate = (l: InvoiceLookup) => {
      setLookup(l)
      setError(null)
      opts.onUpdate?.(l)
    }
    if (!opts.pollMs && opts.pollMs !== undefined) {
      readInvoice(sdk, invoiceRef, { signal: abort.signal }).then(onUpdate, (e) => !abort.signal.aborted && setError(e))
    } else if (!isFinalInvoiceStatus(opts.initial?.invoice?.status)) {
      void pollUntilPaid(sdk, invoiceRef, { intervalMs: opts.pollMs ?? 3000, signal: abort.signal, onUpdate, onError: setError })
    }
    return () => abort.abort()
    // The ref is compared by value; sdk and callbacks are not expected to change the invoice read.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  return { lookup, error }
}

/**
 * The invoice on the confirmation or return page: its number, amount, due date, a pay link while
 * it can be paid, and its status, which turns to «Оплачен» by itself when Invoicebox's payment
 * notification reaches the store.
 */
export function InvoicePanel(props: InvoicePanelProps) {
  const sdk = useStore(props)
  const { invoiceRef, lang = "ru", classNames: c = {}, messages } = props
  const t = (k: MessageKey) => translate(lang, k, messages)
  const { lookup, error } = useInvoice(sdk, invoiceRef, { initial: props.initial, pollMs: props.pollMs, onUpdate: props.onUpdate })
  const invoice = lookup?.invoice
  if (!invoice) {
    const missing = lookup && !lookup.invoice
    const notFound = (error as { status?: number } | null)?.status === 404
    if (props.hideWhenMissing) return null
    return (
      <section className={c.root} data-testid="invoice-panel" data-status={missing || notFound ? "not_found" : "loading"}>
        <p className={c.note}>{missing || notFound ? t("notFound") : t("loading")}</p>
      </section>
    )
  }
  const row = (label: MessageKey, value: ReactNode, testId: string, extra?: string) => (
    <div className={c.row}>
      <span className={c.label}>{t(label)}</span>
      <b className={extra ?? c.value} data-testid={testId}>
        {value}
      </b>
    </div>
  )
  return (
    <section className={c.root} data-testid="invoice-panel" data-status={invoice.status}>
      <p className={c.status} data-testid="invoice-status" data-status={invoice.status} role="status">
        {t(`status_${invoice.status}` as MessageKey)}
      </p>
      {invoice.number ? row("invoice", `${t("numero")} ${invoice.number}`, "invoice-number") : null}
      {row("amount", formatMoney(invoice.amount, invoice.currency, lang), "invoice-amount", c.amount ?? c.value)}
      {invoice.due_at && invoice.status === "awaiting" ? row("dueDate", formatDueDate(invoice.due_at, lang), "invoice-due") : null}
      {invoice.pay_url ? (
        <a className={c.payLink} href={invoice.pay_url} data-testid="pay-link">
          {t("payNow")}
        </a>
      ) : null}
      <p className={c.note} data-testid="invoice-note">
        {invoice.status === "paid" ? t("paidThanks") : invoice.status === "awaiting" ? t("waiting") : ""}
      </p>
      {props.children}
    </section>
  )
}
