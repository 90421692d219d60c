import { PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils"
import type { AuthorizePaymentOutput, ProviderWebhookPayload, WebhookActionResult } from "@medusajs/framework/types"
import { mapOrderStatus, rublesToKopecks, verifySignature, type InvoiceboxOrder } from "../../core"
import type { InvoiceHost } from "./invoice"
import { userError } from "./messages"
import { withData, type InvoiceboxPaymentData } from "./session-data"

/*
 * What each Medusa payment operation means for an invoice in a given Invoicebox status. The
 * provider service reads the invoice and hands it here; nothing here talks HTTP except the
 * cancellations, which go through the host's client.
 */

/** Medusa's session status for the invoice as read (authorizePayment). */
export function authorization(
  host: Pick<InvoiceHost, "options">,
  order: InvoiceboxOrder,
  data: InvoiceboxPaymentData
): AuthorizePaymentOutput {
  const next = withData(data, { invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null })
  const status = mapOrderStatus(order.status)
  switch (status) {
    case PaymentSessionStatus.CAPTURED:
    case PaymentSessionStatus.AUTHORIZED:
      assertAmount(order, data)
      return { status, data: next }
    case PaymentSessionStatus.PENDING:
      return {
        status: host.options.requirePaymentBeforeOrder ? PaymentSessionStatus.PENDING : PaymentSessionStatus.PENDING_AUTHORIZATION,
        data: next,
      }
    case PaymentSessionStatus.CANCELED:
      throw userError(
        "NOT_ALLOWED",
        `Счёт Инвойсбокс ${order.id} ${order.status === "expired" ? "просрочен" : "отменён"}; выберите способ оплаты заново, чтобы получить новый счёт`,
        `Invoicebox invoice ${order.id} is ${order.status}; choose the payment method again to get a new invoice`
      )
    default:
      throw userError(
        "NOT_ALLOWED",
        `Счёт Инвойсбокс ${order.id} в состоянии «${order.status}», оплата невозможна`,
        `Invoicebox invoice ${order.id} is in state "${order.status}" and cannot be paid`
      )
  }
}

/**
 * Money is booked only once Invoicebox has taken it (`completed`). A `hold` reserves the payer's
 * funds without debiting them: capturing it would show money the shop has not received.
 */
export function assertCapturable(order: InvoiceboxOrder): void {
  if (order.status === "completed") return
  const held = order.status === "hold"
  throw userError(
    "NOT_ALLOWED",
    held
      ? `Счёт Инвойсбокс ${order.id} подтверждён плательщиком, но деньги ещё не списаны (hold); платёж будет зачислен, когда Инвойсбокс их получит`
      : `Счёт Инвойсбокс ${order.id} ещё не оплачен (${order.status}); платёж будет зачислен после уведомления об оплате`,
    held
      ? `Invoicebox invoice ${order.id} is confirmed by the payer but the funds are only held; the payment is captured when Invoicebox receives them`
      : `Invoicebox invoice ${order.id} is not paid yet (${order.status}); the payment is captured when Invoicebox confirms it`
  )
}

/** An unpaid invoice is cancelled; a hold is released (DELETE reverses a guarantee payment); a paid one is refused. */
export async function cancelInvoice(host: InvoiceHost, order: InvoiceboxOrder, data: InvoiceboxPaymentData): Promise<InvoiceboxPaymentData> {
  if (order.status === "created" || order.status === "draft" || order.status === "hold") {
    const canceled = await host.call("cancel the invoice", () => host.client.cancelOrder(order.id))
    return withData(data, { invoice_status: canceled.status })
  }
  if (order.status === "completed") {
    throw userError(
      "NOT_ALLOWED",
      `Счёт Инвойсбокс ${order.id} уже оплачен, отменить его нельзя — оформите возврат`,
      `Invoicebox invoice ${order.id} has already been paid and cannot be cancelled — refund it instead`
    )
  }
  return withData(data, { invoice_status: order.status })
}

/**
 * Medusa discards the session (the cart changed): its unpaid invoice is cancelled so that the
 * buyer cannot pay a cart that is gone. An Invoicebox outage must not block the buyer's edit: the
 * reconciliation job cancels invoices whose session is gone.
 */
export async function discardInvoice(host: InvoiceHost, read: () => Promise<InvoiceboxOrder>, data: InvoiceboxPaymentData): Promise<InvoiceboxPaymentData> {
  try {
    const order = await read()
    if (order.status === "created" || order.status === "draft") {
      const canceled = await host.client.cancelOrder(order.id)
      host.logger.info(`Invoicebox: invoice ${order.id} cancelled because its session ${data.session_id} was replaced`)
      return withData(data, { invoice_status: canceled.status })
    }
    if (order.status === "completed" || order.status === "hold") {
      // Money for a session Medusa is discarding cannot be captured: a person has to look.
      host.logger.error(
        `Invoicebox: session ${data.session_id} was deleted but its invoice ${order.id} is already paid (${order.status}); ` +
          "check the cart and refund the invoice in Invoicebox if no order uses it"
      )
    }
    return withData(data, { invoice_status: order.status })
  } catch (e) {
    host.logger.warn(
      `Invoicebox: invoice ${data.invoicebox_order_id} of deleted session ${data.session_id} could not be cancelled now ` +
        `(${(e as Error).message}); the reconciliation job will cancel it`
    )
    return data
  }
}

/**
 * For Medusa's generic /hooks/payment/<provider> route. The plugin's own /hooks/invoicebox route
 * is the one to configure in Invoicebox (it answers with the JSON verdict Invoicebox needs); this
 * keeps the generic route safe if someone points at it.
 */
export async function webhookAction(
  host: InvoiceHost & { query(): { graph(q: object): Promise<{ data: any[] }> } },
  payload: ProviderWebhookPayload["payload"]
): Promise<WebhookActionResult> {
  const signature = headerValue(payload.headers, "x-signature")
  if (!verifySignature(payload.rawData, signature, host.options.notificationKey, host.options.signatureAlgorithm)) {
    return { action: PaymentActions.NOT_SUPPORTED }
  }
  const body = payload.data as Partial<InvoiceboxOrder>
  if (body.merchantId !== host.options.merchantId || !body.merchantOrderId) return { action: PaymentActions.NOT_SUPPORTED }
  // Re-read: the notification body is only a hint; the API is the source of truth.
  const order = body.id ? await host.client.getOrder(body.id) : null
  if (!order) return { action: PaymentActions.NOT_SUPPORTED }
  const action = order.status === "completed" ? PaymentActions.SUCCESSFUL : PaymentActions.NOT_SUPPORTED
  // Capture the session's own amount: it may carry sub-kopeck decimals the invoice cannot.
  const { data: sessions } = await host.query().graph({
    entity: "payment_session",
    fields: ["id", "amount", "provider_id"],
    filters: { id: order.merchantOrderId },
  })
  if (sessions[0] && sessions[0].provider_id !== host.providerId) return { action: PaymentActions.NOT_SUPPORTED }
  return { action, data: { session_id: order.merchantOrderId, amount: sessions[0]?.amount ?? order.amount } }
}

function assertAmount(order: InvoiceboxOrder, data: InvoiceboxPaymentData) {
  if (rublesToKopecks(order.amount) !== data.amount_kopecks || order.currencyId?.toUpperCase() !== data.currency) {
    throw userError(
      "NOT_ALLOWED",
      `Сумма счёта ${order.id} в Инвойсбокс (${order.amount} ${order.currencyId}) не совпадает с заказом`,
      `The amount of Invoicebox invoice ${order.id} (${order.amount} ${order.currencyId}) does not match the order`
    )
  }
}

export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const v = key ? headers[key] : undefined
  return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v)
}
