import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import type { InvoiceboxPaymentData } from "../providers/invoicebox/service"
import { isInvoiceboxProviderId } from "./invoicebox-provider"

export interface OrderInvoice {
  /** The Invoicebox provider (shop) that issued the invoice. */
  providerId: string
  sessionId: string
  sessionStatus: string
  paymentId?: string
  capturedAt?: string | null
  canceledAt?: string | null
  /** The payment's data when a payment exists (it carries refunds), else the session's. */
  data: InvoiceboxPaymentData
  /** The rows as queried (with any extra fields the caller asked for). */
  session: any
  payment?: any
}

export interface OrderWithInvoices {
  id: string
  display_id?: number
  invoices: OrderInvoice[]
  order: any
}

/**
 * The Invoicebox invoices of an order: its payment sessions of any Invoicebox provider and their payments.
 * `extraFields` (query paths from the order) are loaded in the same query, for callers that show more.
 */
export async function loadOrderInvoices(
  container: MedusaContainer,
  orderId: string,
  extraFields: string[] = []
): Promise<OrderWithInvoices | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: [
      "id",
      "display_id",
      "payment_collections.payment_sessions.id",
      "payment_collections.payment_sessions.status",
      "payment_collections.payment_sessions.provider_id",
      "payment_collections.payment_sessions.data",
      "payment_collections.payments.id",
      "payment_collections.payments.provider_id",
      "payment_collections.payments.payment_session_id",
      "payment_collections.payments.data",
      "payment_collections.payments.captured_at",
      "payment_collections.payments.canceled_at",
      ...extraFields,
    ],
    filters: { id: orderId },
  })
  const order = data[0]
  if (!order) return null
  const invoices: OrderInvoice[] = []
  for (const pc of order.payment_collections ?? []) {
    for (const s of pc?.payment_sessions ?? []) {
      if (!isInvoiceboxProviderId(s?.provider_id) || !s.data?.invoicebox_order_id) continue
      const payment = (pc.payments ?? []).find((p: any) => p?.payment_session_id === s.id)
      invoices.push({
        providerId: s.provider_id,
        sessionId: s.id,
        sessionStatus: s.status,
        paymentId: payment?.id,
        capturedAt: payment?.captured_at ?? null,
        canceledAt: payment?.canceled_at ?? null,
        data: (payment?.data?.invoicebox_order_id ? payment.data : s.data) as InvoiceboxPaymentData,
        session: s,
        payment: payment ?? undefined,
      })
    }
  }
  return { id: order.id, display_id: order.display_id, invoices, order }
}
