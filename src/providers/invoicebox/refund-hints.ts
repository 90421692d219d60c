import type { InvoiceboxPaymentData } from "./session-data"

type Query = {
  graph: (q: { entity: string; fields: string[]; filters: Record<string, unknown> }) => Promise<{ data: any[] }>
}

export interface RefundContext {
  /** The Medusa payment refunded (Medusa does not pass it to refundPayment). */
  paymentId?: string
  /** The Medusa refund's note; the refund sync marks the refunds it books with it. */
  note?: string | null
  /** Goes to the Invoicebox refund's description: the order number and the reason. */
  description: string
  /** Returned goods by SKU, when the refund pays for a received return. */
  returned?: Map<string, number>
  /** The received return those goods came back with. */
  returnId?: string
  /** The Medusa order's number, for the texts Invoicebox shows. */
  orderNumber?: string
  /** The Medusa refund's metadata (the admin's refund with a fee puts its key there). */
  metadata?: Record<string, unknown> | null
  /** True when no Medusa refund with this id exists (a failed attempt Medusa rolled back). */
  isMedusaRefundGone(refundId: string): Promise<boolean>
}

interface HintHost {
  query(): Query
  readonly logger: { warn(message: string): void }
}

/**
 * Medusa gives refundPayment neither the payment, the reason nor the order; the refund id (the
 * idempotency key) leads to all three through `query`, so the Invoicebox refund carries the
 * reason and names returned goods.
 */
export async function loadRefundContext(host: HintHost, refundId: string, data: InvoiceboxPaymentData): Promise<RefundContext> {
  const query = host.query()
  const isMedusaRefundGone = async (id: string) => {
    const { data: found } = await query.graph({ entity: "refund", fields: ["id"], filters: { id } })
    return found.length === 0
  }
  const fallback: RefundContext = { description: `Возврат по счёту ${data.merchant_order_id}`, isMedusaRefundGone }
  if (!refundId.startsWith("ref_")) return fallback
  try {
    const { data: refunds } = await query.graph({
      entity: "refund",
      fields: ["id", "note", "metadata", "payment_id", "refund_reason.label", "payment.payment_collection_id"],
      filters: { id: refundId },
    })
    const refund = refunds[0]
    if (!refund) return fallback
    const order = await returnedOrder(query, refund.payment?.payment_collection_id)
    const reason = [refund.refund_reason?.label, refund.note].filter(Boolean).join("; ")
    const received = lastReceivedReturn(order)
    const orderNumber = String(order?.display_id ?? data.merchant_order_id)
    return {
      paymentId: refund.payment_id,
      note: refund.note ?? null,
      description: `Возврат по заказу №${orderNumber}${reason ? `: ${reason}` : ""}`,
      returned: receivedGoods(received),
      returnId: received?.id,
      orderNumber,
      metadata: refund.metadata ?? null,
      isMedusaRefundGone,
    }
  } catch (e) {
    host.logger.warn(`Invoicebox: refund ${refundId}: could not read the reason / returned items: ${(e as Error).message}`)
    return fallback
  }
}

async function returnedOrder(query: Query, paymentCollectionId: string | undefined) {
  if (!paymentCollectionId) return undefined
  const { data: collections } = await query.graph({
    entity: "payment_collection",
    fields: [
      "order.id",
      "order.display_id",
      "order.returns.id",
      "order.returns.status",
      "order.returns.received_at",
      "order.returns.items.*",
      "order.returns.items.item.variant_sku",
      "order.returns.items.item.variant_id",
    ],
    filters: { id: paymentCollectionId },
  })
  return collections[0]?.order
}

function lastReceivedReturn(order: any): any {
  return (order?.returns ?? [])
    .filter((r: any) => r.received_at)
    .sort((a: any, b: any) => String(b.received_at).localeCompare(String(a.received_at)))[0]
}

/** The goods of the last received return, by SKU (the refund pays for them). */
function receivedGoods(received: any): Map<string, number> {
  const returned = new Map<string, number>()
  for (const it of received?.items ?? []) {
    const sku = it.item?.variant_sku ?? it.item?.variant_id
    if (sku && Number(it.received_quantity) > 0) returned.set(sku, (returned.get(sku) ?? 0) + Number(it.received_quantity))
  }
  return returned
}
