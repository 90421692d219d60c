import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { backgroundRunStopped, type InvoiceboxOrder } from "../core"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { invoiceboxModule } from "./plugin-module"

export interface OrphanOptions {
  /** Most open invoices looked at per run (default 500). */
  max?: number
  /** How far back the Invoicebox-side scan looks for invoices the store never recorded (default 1 day). */
  scanHours?: number
  /** Pages of that scan per run (default 2). */
  scanPages?: number
}

/**
 * Cancels open invoices whose Medusa payment session no longer exists: Medusa deletes a session
 * whenever the cart changes, and if Invoicebox was unreachable at that moment the invoice stayed
 * open (the buyer could still pay a cart that is gone). The store's own invoice rows find them
 * without listing the shop's invoices; a short scan of the last day's open invoices catches the
 * ones whose create answer was lost (never recorded). That scan only touches invoices carrying
 * this store's notification URL, so another store sharing the shop never loses its invoices.
 */
export async function cancelOrphanInvoices(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  options: OrphanOptions = {}
): Promise<{ checked: number; canceled: string[] }> {
  const max = options.max ?? 500
  const store = invoiceboxModule(container)
  const rows = await store.listInvoiceboxInvoices(
    { provider_id: provider.providerId, status: "created" },
    { select: ["invoicebox_order_id", "payment_session_id"], take: max, order: { created_at: "ASC" } }
  )
  const open = new Map(rows.map((r) => [r.invoicebox_order_id, r.payment_session_id]))
  for (const invoice of await recentOpenInvoices(provider, options)) {
    if (open.size >= max) break
    if (!open.has(invoice.id)) open.set(invoice.id, invoice.merchantOrderId)
  }
  if (!open.size) return { checked: 0, canceled: [] }

  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "payment_session", fields: ["id"], filters: { id: [...new Set(open.values())] } })
  const alive = new Set(data.map((s: any) => s.id))
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const canceled: string[] = []
  for (const [invoiceId, sessionId] of open) {
    // The run's budget or lock ran out: the rest waits for the next run instead of failing one by one.
    if (backgroundRunStopped()) break
    if (alive.has(sessionId)) continue
    try {
      const order = await provider.client.cancelOrder(invoiceId)
      canceled.push(invoiceId)
      logger.info(`Invoicebox: invoice ${invoiceId} cancelled: its payment session ${sessionId} no longer exists`)
      await store.recordInvoice({ ...(await rowFields(store, invoiceId)), provider_id: provider.providerId, invoicebox_order_id: invoiceId, payment_session_id: sessionId, status: order.status })
    } catch (e) {
      logger.warn(`Invoicebox: could not cancel orphan invoice ${invoiceId}: ${(e as Error).message}`)
      // Paid or already dead: the row must not be looked at again as "created".
      const fresh = await provider.client.getOrder(invoiceId).catch(() => null)
      if (fresh && fresh.status !== "created") {
        await store.recordInvoice({ ...(await rowFields(store, invoiceId)), provider_id: provider.providerId, invoicebox_order_id: invoiceId, payment_session_id: sessionId, status: fresh.status })
      }
    }
  }
  return { checked: open.size, canceled }
}

async function rowFields(store: ReturnType<typeof invoiceboxModule>, invoiceId: string) {
  const [row] = await store.listInvoiceboxInvoices({ invoicebox_order_id: invoiceId }, { select: ["amount_kopecks", "currency"] })
  return { amount_kopecks: Number(row?.amount_kopecks ?? 0), currency: row?.currency ?? "RUB" }
}

/** Open invoices of the last hours that carry this store's notification URL and a session number. */
async function recentOpenInvoices(provider: InvoiceboxProviderService, options: OrphanOptions): Promise<InvoiceboxOrder[]> {
  const ourUrl = provider.options.notificationUrl
  if (!ourUrl) return []
  const since = new Date(Date.now() - (options.scanHours ?? 24) * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+00:00")
  const found: InvoiceboxOrder[] = []
  let page = 0
  for await (const invoice of provider.client.listOrders({ status: "created", createdAt: { _ge: since } } as never, { pageSize: 100 })) {
    if (backgroundRunStopped()) break
    if (invoice.notificationUrl === ourUrl && invoice.merchantOrderId?.startsWith("payses_")) found.push(invoice)
    if (++page >= (options.scanPages ?? 2) * 100) break
  }
  return found
}
