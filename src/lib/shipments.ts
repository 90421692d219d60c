import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { backgroundRunStopped, planShipment, type InvoiceboxShipment } from "../core"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { resolveInvoiceboxProvider } from "./invoicebox-provider"
import { loadOrderInvoices, type OrderInvoice } from "./order-invoices"
import { invoiceboxModule } from "./plugin-module"

export type ShipmentOutcome =
  | { status: "registered" | "already_registered"; shipment: InvoiceboxShipment }
  | { status: "waiting_payment" | "skipped"; reason: string }

type ShipmentRow = Awaited<ReturnType<ReturnType<typeof invoiceboxModule>["listInvoiceboxShipments"]>>[number]

/** Invoicebox limits documentNumber to 36 chars; derived from the fulfillment so a retry finds it. */
export function documentNumberFor(fulfillmentId: string): string {
  return fulfillmentId.slice(0, 36)
}

const isShippingSku = (sku: string) => sku.startsWith("shipping_")

/** How long a registration may be under way before the job takes it as crashed. */
const STALE_REGISTRATION_MS = 10 * 60_000

/** The invoice that pays the order: the captured one, else the one still awaiting money. */
function payingInvoice(invoices: OrderInvoice[]): OrderInvoice | undefined {
  return (
    invoices.find((i) => i.capturedAt) ??
    invoices.find((i) => !i.canceledAt && ["pending", "pending_authorization", "authorized", "requires_more"].includes(i.sessionStatus))
  )
}

/**
 * A Medusa shipment of an Invoicebox order (the subscriber of `shipment.created`). The Invoicebox
 * shipment is what makes Invoicebox issue the акт / УПД. B2B ships before it is paid: an unpaid
 * order's shipment is kept as `waiting_payment` and registered by the settlement that captures
 * the payment. Safe to call again.
 */
export async function recordShipment(container: MedusaContainer, fulfillmentId: string): Promise<ShipmentOutcome> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "fulfillment",
    fields: ["id", "shipped_at", "canceled_at", "order.id"],
    filters: { id: fulfillmentId },
  })
  const fulfillment = data[0]
  if (!fulfillment?.order?.id) return { status: "skipped", reason: "no order" }
  if (!fulfillment.shipped_at || fulfillment.canceled_at) return { status: "skipped", reason: "not shipped" }
  const found = await loadOrderInvoices(container, fulfillment.order.id)
  const invoice = payingInvoice(found?.invoices ?? [])
  if (!invoice) return { status: "skipped", reason: "the order is not paid by an Invoicebox invoice" }
  const provider = resolveInvoiceboxProvider(container, invoice.providerId)
  if (!provider.options.registerShipments) return { status: "skipped", reason: "registerShipments is off" }

  const store = invoiceboxModule(container)
  let [row] = await store.listInvoiceboxShipments({ fulfillment_id: fulfillment.id })
  row ??= await store.createInvoiceboxShipments({
    provider_id: provider.providerId,
    order_id: fulfillment.order.id,
    fulfillment_id: fulfillment.id,
    document_number: documentNumberFor(fulfillment.id),
    // `registering` while the call below is under way; a crash leaves it for the job.
    status: invoice.capturedAt ? "registering" : "waiting_payment",
    shipped_at: new Date(fulfillment.shipped_at),
  })
  if (row.status === "registered") return { status: "already_registered", shipment: { id: row.invoicebox_shipment_id } as InvoiceboxShipment }
  if (!invoice.capturedAt) return { status: "waiting_payment", reason: "the invoice is not paid yet" }
  return registerRow(container, provider, row, invoice)
}

/**
 * Registers the Invoicebox shipment of one recorded fulfillment and records the outcome on its
 * row. A shipment already registered under the fulfillment's document number is reused.
 */
async function registerRow(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  row: ShipmentRow,
  invoice: OrderInvoice
): Promise<ShipmentOutcome> {
  const store = invoiceboxModule(container)
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const invoiceId = invoice.data.invoicebox_order_id
  try {
    const existing = await provider.client.findShipments({ orderId: invoiceId })
    const forInvoice = existing.items.filter((s) => !s.orderId || s.orderId === invoiceId)
    const mine = forInvoice.find((s) => s.documentNumber === row.document_number)
    const shipment = mine ?? (await createShipment(container, provider, row, invoiceId, forInvoice))
    if (!shipment) {
      await store.updateInvoiceboxShipments({ id: row.id, status: "skipped", invoicebox_order_id: invoiceId, error: "nothing of the invoice in this fulfillment" })
      return { status: "skipped", reason: "nothing of the invoice in this fulfillment" }
    }
    await store.updateInvoiceboxShipments({
      id: row.id,
      status: "registered",
      invoicebox_order_id: invoiceId,
      invoicebox_shipment_id: String(shipment.id),
      error: null,
      attempts: row.attempts + 1,
      registered_at: new Date(),
    })
    if (!mine) logger.info(`Invoicebox: shipment ${shipment.id} registered for invoice ${invoiceId} (fulfillment ${row.fulfillment_id})`)
    return { status: mine ? "already_registered" : "registered", shipment }
  } catch (e) {
    const message = (e as Error).message
    logger.warn(`Invoicebox: shipment for fulfillment ${row.fulfillment_id} (invoice ${invoiceId}) failed, will retry: ${message}`)
    await store
      .updateInvoiceboxShipments({ id: row.id, status: "failed", invoicebox_order_id: invoiceId, error: message.slice(0, 500), attempts: row.attempts + 1 })
      .catch(() => undefined)
    throw e
  }
}

async function createShipment(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  row: ShipmentRow,
  invoiceId: string,
  earlier: InvoiceboxShipment[]
): Promise<InvoiceboxShipment | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "fulfillment",
    fields: ["id", "shipped_at", "items.line_item_id", "items.quantity", "order.items.id", "order.items.variant_sku", "order.items.variant_id"],
    filters: { id: row.fulfillment_id },
  })
  const fulfillment = data[0]
  const invoiceOrder = await provider.client.getOrder(invoiceId)
  const skuOf = new Map<string, string>((fulfillment?.order?.items ?? []).map((i: any) => [i.id, i.variant_sku ?? i.variant_id ?? i.id]))
  const quantities = new Map<string, number>()
  for (const it of fulfillment?.items ?? []) {
    const sku = skuOf.get(it.line_item_id)
    if (sku) quantities.set(sku, (quantities.get(sku) ?? 0) + Number(it.quantity))
  }
  const basketItems = planShipment({
    invoiceLines: invoiceOrder?.basketItems ?? [],
    shippedLines: earlier.flatMap((s) => s.basketItems ?? []),
    quantities,
    shipWithFirst: isShippingSku,
  })
  if (!basketItems.length) return null
  const shippedAt = row.shipped_at ?? fulfillment?.shipped_at ?? new Date()
  return provider.call("register the shipment", () =>
    provider.client.createShipment({
      orderId: invoiceId,
      documentNumber: row.document_number,
      documentDate: new Date(shippedAt).toISOString().slice(0, 10),
      basketItems,
    })
  )
}

/**
 * After an order's invoice is captured: its shipments made while it was unpaid (or that failed)
 * are registered now, in the settlement. A failure here never undoes the capture: the row stays
 * `failed` and the reconciliation job retries it.
 */
export async function registerWaitingShipments(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  orderId: string,
  statuses: string[] = ["waiting_payment", "failed"]
): Promise<number> {
  const store = invoiceboxModule(container)
  const rows = await store.listInvoiceboxShipments({ order_id: orderId, status: statuses })
  if (!rows.length || !provider.options.registerShipments) return 0
  const invoice = payingInvoice((await loadOrderInvoices(container, orderId))?.invoices ?? [])
  if (!invoice?.capturedAt) return 0
  let registered = 0
  for (const row of rows) {
    try {
      const outcome = await registerRow(container, provider, row, invoice)
      if (outcome.status === "registered" || outcome.status === "already_registered") registered++
    } catch {
      // recorded as failed; the job retries
    }
  }
  return registered
}

/**
 * The job's part: shipments that failed, and shipments still waiting whose invoice was captured
 * without the settlement getting to them. Bounded per run; least recently tried first.
 */
export async function retryFailedShipments(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  max = 100
): Promise<{ retried: number; registered: number }> {
  const store = invoiceboxModule(container)
  const rows = await store.listInvoiceboxShipments(
    { provider_id: provider.providerId, status: ["failed", "waiting_payment", "registering"] },
    { order: { updated_at: "ASC" }, take: max, select: ["order_id", "status", "updated_at"] }
  )
  // A `registering` row is in someone's hands unless it is old: then its registration crashed.
  const stale = Date.now() - STALE_REGISTRATION_MS
  const due = rows.filter((r) => r.status !== "registering" || new Date(r.updated_at as unknown as string).getTime() < stale)
  const orders = [...new Set(due.map((r) => r.order_id))]
  let registered = 0
  for (const orderId of orders) {
    // The run's budget or lock ran out: the rest waits for the next run instead of failing one by one.
    if (backgroundRunStopped()) break
    registered += await registerWaitingShipments(container, provider, orderId, ["waiting_payment", "failed", "registering"])
  }
  return { retried: orders.length, registered }
}
