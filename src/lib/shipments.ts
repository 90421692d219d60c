import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { planShipment, type InvoiceboxShipment } from "../core"
import { resolveInvoiceboxProvider } from "./invoicebox-provider"
import { loadOrderInvoices } from "./order-invoices"

export type ShipmentOutcome =
  | { status: "registered" | "already_registered"; shipment: InvoiceboxShipment }
  | { status: "skipped"; reason: string }

/** Invoicebox limits documentNumber to 36 chars; derived from the fulfillment so a retry finds it. */
export function documentNumberFor(fulfillmentId: string): string {
  return fulfillmentId.slice(0, 36)
}

const isShippingSku = (sku: string) => sku.startsWith("shipping_")

/**
 * Registers the Invoicebox shipment for a shipped Medusa fulfillment: this is what makes
 * Invoicebox issue the акт / УПД and send them to the buyer. Safe to call again (the job retries
 * failures): a shipment already registered under the fulfillment's document number is reused.
 * Records the outcome on the fulfillment's metadata, where the admin widget and the job see it.
 */
export async function registerInvoiceboxShipment(container: MedusaContainer, fulfillmentId: string): Promise<ShipmentOutcome> {
  const provider = resolveInvoiceboxProvider(container)
  if (!provider.options.registerShipments) return { status: "skipped", reason: "registerShipments is off" }
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const fulfillmentModule = container.resolve(Modules.FULFILLMENT)

  const { data } = await query.graph({
    entity: "fulfillment",
    fields: ["id", "shipped_at", "canceled_at", "metadata", "items.line_item_id", "items.quantity", "order.id", "order.items.id", "order.items.variant_sku", "order.items.variant_id"],
    filters: { id: fulfillmentId },
  })
  const fulfillment = data[0]
  if (!fulfillment?.order?.id) return { status: "skipped", reason: "no order" }
  if (!fulfillment.shipped_at || fulfillment.canceled_at) return { status: "skipped", reason: "not shipped" }

  const order = await loadOrderInvoices(container, fulfillment.order.id)
  const invoice = order?.invoices.find((i) => i.capturedAt)
  if (!invoice) return { status: "skipped", reason: "the order is not paid by an Invoicebox invoice" }
  const invoiceId = invoice.data.invoicebox_order_id
  const documentNumber = documentNumberFor(fulfillment.id)

  const record = async (metadata: Record<string, unknown>) => {
    await fulfillmentModule.updateFulfillment(fulfillment.id, {
      metadata: { ...(fulfillment.metadata ?? {}), invoicebox_shipment: metadata },
    } as any)
  }

  try {
    const existing = await provider.client.findShipments({ orderId: invoiceId })
    const mine = existing.items.find((s) => s.documentNumber === documentNumber)
    if (mine) {
      await record({ id: mine.id, status: mine.status ?? "completed", document_number: documentNumber })
      return { status: "already_registered", shipment: mine }
    }
    const invoiceOrder = await provider.fetchOrder(invoice.data)
    const skuOf = new Map<string, string>(
      (fulfillment.order.items ?? []).map((i: any) => [i.id, i.variant_sku ?? i.variant_id ?? i.id])
    )
    const quantities = new Map<string, number>()
    for (const it of fulfillment.items ?? []) {
      const sku = skuOf.get(it.line_item_id)
      if (sku) quantities.set(sku, (quantities.get(sku) ?? 0) + Number(it.quantity))
    }
    const basketItems = planShipment({
      invoiceLines: invoiceOrder.basketItems ?? [],
      shippedLines: existing.items.flatMap((s) => s.basketItems ?? []),
      quantities,
      shipWithFirst: isShippingSku,
    })
    if (!basketItems.length) return { status: "skipped", reason: "nothing of the invoice in this fulfillment" }
    const shipment = await provider.call("register the shipment", () =>
      provider.client.createShipment({
        orderId: invoiceId,
        documentNumber,
        documentDate: new Date(fulfillment.shipped_at).toISOString().slice(0, 10),
        basketItems,
      })
    )
    await record({ id: shipment.id, status: shipment.status ?? "completed", document_number: documentNumber })
    logger.info(`Invoicebox: shipment ${shipment.id} registered for invoice ${invoiceId} (fulfillment ${fulfillment.id})`)
    return { status: "registered", shipment }
  } catch (e) {
    const message = (e as Error).message
    logger.warn(`Invoicebox: shipment for fulfillment ${fulfillment.id} (invoice ${invoiceId}) failed, will retry: ${message}`)
    await record({ status: "failed", error: message.slice(0, 500), failed_at: new Date().toISOString(), document_number: documentNumber }).catch(() => {})
    throw e
  }
}

/**
 * Retries the Invoicebox shipments that failed (recorded as `failed` on the fulfillment's
 * metadata by registerInvoiceboxShipment), for fulfillments shipped in the last `days` days.
 */
export async function retryFailedShipments(container: MedusaContainer, days = 30): Promise<{ retried: number; registered: number }> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "fulfillment",
    fields: ["id", "shipped_at", "metadata"],
    filters: { shipped_at: { $gte: new Date(Date.now() - days * 86_400_000) } },
  })
  const failed = data.filter((f: any) => f.metadata?.invoicebox_shipment?.status === "failed")
  let registered = 0
  for (const f of failed) {
    try {
      const outcome = await registerInvoiceboxShipment(container, f.id)
      if (outcome.status !== "skipped") registered++
    } catch {
      // recorded on the fulfillment again; the next run tries once more
    }
  }
  return { retried: failed.length, registered }
}
