import { randomUUID } from "node:crypto"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { INotificationModuleService, Logger, MedusaContainer } from "@medusajs/framework/types"
import { kopecksToRubles, toInvoiceboxDateTime } from "../core"
import { INVOICEBOX_MODULE } from "../modules/invoicebox"
import type InvoiceboxModuleService from "../modules/invoicebox/service"
import { MAX_PAYMENT_TERM_MINUTES, type ResolvedOptions } from "../providers/invoicebox/options"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import type { InvoiceboxPaymentData } from "../providers/invoicebox/service"
import { withData } from "../providers/invoicebox/session-data"
import { bilingual } from "./invoicebox-verdict"
import { resolveInvoiceboxProvider } from "./invoicebox-provider"
import { updatePaymentSessionRow } from "./medusa-internals"
import { loadOrderInvoices } from "./order-invoices"

/** A refusal the admin can act on: HTTP status and a bilingual message. */
export class InvoiceAdminError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string
  ) {
    super(message)
  }
}

interface OpenInvoice {
  provider: InvoiceboxProviderService
  sessionId: string
  data: InvoiceboxPaymentData
  order: { id: string; display_id?: number; email?: string | null }
  /** The invoice as Invoicebox has it now. */
  live: { status: string; expirationDate?: string; paymentUrl?: string }
}

/**
 * The order's invoice that still waits for money, read from Invoicebox now: only an unpaid
 * invoice can be changed (docs merchant/order/update.md:10 "Изменить заказ возможно только до
 * момента его оплаты") and only its link is worth sending.
 */
async function openInvoice(container: MedusaContainer, orderId: string): Promise<OpenInvoice> {
  const found = await loadOrderInvoices(container, orderId, ["email"])
  if (!found) throw new InvoiceAdminError(404, "not_found", bilingual(`Заказ ${orderId} не найден`, `Order ${orderId} was not found`))
  const waiting = found.invoices.filter((i) => i.sessionStatus !== "canceled" && !i.capturedAt && !i.canceledAt)
  const invoice = waiting[waiting.length - 1]
  if (!invoice) {
    throw new InvoiceAdminError(
      400,
      "not_allowed",
      bilingual("У заказа нет неоплаченного счёта Инвойсбокс", "The order has no unpaid Invoicebox invoice")
    )
  }
  const provider = resolveInvoiceboxProvider(container, invoice.providerId)
  const invoiceId = invoice.data.invoicebox_order_id
  let live
  try {
    live = await provider.client.getOrder(invoiceId)
  } catch (e) {
    throw new InvoiceAdminError(
      502,
      "unexpected_state",
      bilingual(`Инвойсбокс сейчас недоступен, повторите через минуту (${(e as Error).message})`, `Invoicebox is unavailable, retry in a minute (${(e as Error).message})`)
    )
  }
  if (!live) throw new InvoiceAdminError(404, "not_found", bilingual(`Счёт ${invoiceId} не найден в Инвойсбокс`, `Invoice ${invoiceId} was not found in Invoicebox`))
  if (live.status !== "created") {
    throw new InvoiceAdminError(
      400,
      "not_allowed",
      bilingual(`Счёт ${invoiceId} в состоянии «${live.status}»: менять и отправлять можно только неоплаченный счёт`, `Invoice ${invoiceId} is ${live.status}: only an unpaid invoice can be changed or sent`)
    )
  }
  return { provider, sessionId: invoice.sessionId, data: invoice.data, order: found.order, live }
}

/**
 * One line in the widget's timeline: the ledger row keyed uniquely per action, with source
 * `admin`, so the admin's changes read next to the notifications in the order they happened.
 */
async function audit(container: MedusaContainer, open: OpenInvoice, status: string, message: string): Promise<void> {
  const ledger = container.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
  const now = new Date()
  await ledger.createInvoiceboxNotifications({
    dedupe_key: `${open.data.invoicebox_order_id}:admin:${status}:${randomUUID()}`,
    invoicebox_order_id: open.data.invoicebox_order_id,
    merchant_order_id: String(open.data.merchant_order_id ?? open.sessionId),
    status,
    provider_id: open.provider.providerId,
    source: "admin",
    payment_session_id: open.sessionId,
    order_id: open.order.id,
    body_sha256: "",
    verdict: "success",
    message: message.slice(0, 1000),
    received_at: now,
    processed_at: now,
  })
}

/** The longest term the plugin issues (paymentTermMinutes' own limit), counted from now. */
export const MAX_EXTENSION_MS = MAX_PAYMENT_TERM_MINUTES * 60_000

/**
 * «Продлить срок оплаты»: PUT expirationDate (docs merchant/order/update.md:13-26) on the unpaid
 * invoice, to a moment later than its current term and at most 30 days from now. The session's
 * data follows, so the storefront and the reconciliation job see the new term.
 */
export async function extendInvoiceTerm(container: MedusaContainer, orderId: string, expiresAt: Date, actor?: string) {
  if (Number.isNaN(expiresAt.getTime())) {
    throw new InvoiceAdminError(400, "invalid_data", bilingual("Укажите новую дату и время оплаты", "Give the new payment deadline"))
  }
  const open = await openInvoice(container, orderId)
  const current = open.live.expirationDate ? new Date(open.live.expirationDate) : null
  if (current && expiresAt.getTime() <= current.getTime()) {
    throw new InvoiceAdminError(
      400,
      "invalid_data",
      bilingual(`Новый срок должен быть позже текущего (${current.toISOString()})`, `The new term must be later than the current one (${current.toISOString()})`)
    )
  }
  if (expiresAt.getTime() > Date.now() + MAX_EXTENSION_MS) {
    throw new InvoiceAdminError(400, "invalid_data", bilingual("Срок оплаты — не больше 30 дней от сегодня", "The payment term can be at most 30 days from today"))
  }
  const invoiceId = open.data.invoicebox_order_id
  const updated = await open.provider.call("extend the invoice term", () =>
    open.provider.client.updateOrder(invoiceId, { expirationDate: toInvoiceboxDateTime(expiresAt) })
  )
  const newTerm = updated.expirationDate ? new Date(updated.expirationDate).toISOString() : expiresAt.toISOString()
  await updatePaymentSessionRow(container, { id: open.sessionId, data: withData(open.data, { expires_at: newTerm }) })
  await audit(
    container,
    open,
    "term_extended",
    bilingual(
      `Срок оплаты продлён до ${newTerm}${current ? ` (был ${current.toISOString()})` : ""}${actor ? `; ${actor}` : ""}`,
      `Payment term extended to ${newTerm}${current ? ` (was ${current.toISOString()})` : ""}${actor ? `; ${actor}` : ""}`
    )
  )
  container.resolve<Logger>(ContainerRegistrationKeys.LOGGER).info(`Invoicebox: invoice ${invoiceId} term extended to ${newTerm} by ${actor ?? "admin"}`)
  return { invoicebox_order_id: invoiceId, expires_at: newTerm, previous_expires_at: current?.toISOString() ?? null }
}

/** The defaults of the payment-link message; `{placeholders}` are filled from the invoice. */
export const PAYMENT_LINK_DEFAULTS = {
  ru: {
    subject: "Счёт на оплату заказа №{order_number}",
    text:
      "Здравствуйте!\n\nНапоминаем об оплате заказа №{order_number} на сумму {amount} {currency}.\n" +
      "Оплатить счёт: {payment_url}\nСчёт действителен до {expires_at}.\n",
  },
  en: {
    subject: "Invoice for order #{order_number}",
    text:
      "Hello,\n\nThis is a reminder to pay order #{order_number}, {amount} {currency}.\n" +
      "Pay the invoice: {payment_url}\nThe invoice is valid until {expires_at}.\n",
  },
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? values[key] : whole))
}

/**
 * «Отправить ссылку на оплату»: one notification through Medusa's notification module on the
 * `paymentLinkChannel` channel (default `email`), with the template id the merchant configured
 * and the subject and text filled in (for providers that send content rather than templates).
 */
export async function resendPaymentLink(container: MedusaContainer, orderId: string, input: { email?: string }, actor?: string) {
  let notifications: INotificationModuleService
  try {
    notifications = container.resolve<INotificationModuleService>(Modules.NOTIFICATION)
  } catch {
    throw new InvoiceAdminError(
      400,
      "not_allowed",
      bilingual(
        "В магазине не настроен модуль уведомлений Medusa с каналом email: ссылку отправить нечем",
        "The store has no Medusa notification module with an email channel: nothing can send the link"
      )
    )
  }
  const open = await openInvoice(container, orderId)
  const options = open.provider.options as ResolvedOptions
  const to = (input.email ?? open.order.email ?? open.data.payer?.email ?? "").trim()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(to)) {
    throw new InvoiceAdminError(400, "invalid_data", bilingual("Нет адреса эл. почты покупателя", "The buyer has no e-mail address"))
  }
  const lang = String(options.languageId) === "en" ? "en" : "ru"
  const paymentUrl = open.live.paymentUrl ?? open.data.payment_url
  const expires = open.live.expirationDate ? new Date(open.live.expirationDate) : null
  const values = {
    order_number: String(open.order.display_id ?? open.order.id),
    amount: kopecksToRubles(open.data.amount_kopecks).toFixed(2),
    currency: String(open.data.currency),
    payment_url: paymentUrl,
    expires_at: expires ? expires.toLocaleString(lang === "ru" ? "ru-RU" : "en-GB", { timeZone: "Europe/Moscow" }) + (lang === "ru" ? " (МСК)" : " (Moscow)") : "",
    invoice_id: open.data.invoicebox_order_id,
  }
  const subject = fill(options.paymentLinkSubject ?? PAYMENT_LINK_DEFAULTS[lang].subject, values)
  const text = fill(options.paymentLinkText ?? PAYMENT_LINK_DEFAULTS[lang].text, values)
  const [sent] = await notifications.createNotifications([
    {
      to,
      channel: options.paymentLinkChannel ?? "email",
      template: options.paymentLinkTemplate ?? "invoicebox-payment-link",
      trigger_type: "invoicebox.payment_link",
      resource_id: open.order.id,
      resource_type: "order",
      data: { ...values, subject, language: lang },
      content: { subject, text },
    },
  ])
  await audit(
    container,
    open,
    "link_sent",
    bilingual(`Ссылка на оплату отправлена на ${to}${actor ? `; ${actor}` : ""}`, `Payment link sent to ${to}${actor ? `; ${actor}` : ""}`)
  )
  return { invoicebox_order_id: open.data.invoicebox_order_id, to, notification_id: sent?.id ?? null, status: (sent as any)?.status ?? null }
}
