import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import type { InvoiceboxOrder } from "../core"
import { resolveInvoiceboxProvider } from "./invoicebox-provider"

/**
 * Cancels open invoices whose Medusa payment session no longer exists: Medusa deletes a
 * session whenever the cart changes, and if Invoicebox was unreachable at that moment the
 * invoice stayed open (the buyer could still pay a cart that is gone). Only invoices that carry
 * this store's notification URL are touched, so another store sharing the Invoicebox shop
 * (staging, a second storefront) never loses its invoices.
 */
export async function cancelOrphanInvoices(container: MedusaContainer, max = 500): Promise<{ checked: number; canceled: string[] }> {
  const provider = resolveInvoiceboxProvider(container)
  const ourUrl = provider.options.notificationUrl
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  if (!ourUrl) return { checked: 0, canceled: [] }

  const open: InvoiceboxOrder[] = []
  for await (const invoice of provider.client.listOrders({ status: "created" }, { pageSize: 100 })) {
    if (invoice.notificationUrl === ourUrl && invoice.merchantOrderId?.startsWith("payses_")) open.push(invoice)
    if (open.length >= max) break
  }
  if (!open.length) return { checked: 0, canceled: [] }

  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment_session",
    fields: ["id"],
    filters: { id: open.map((o) => o.merchantOrderId) },
  })
  const alive = new Set(data.map((s: any) => s.id))
  const canceled: string[] = []
  for (const invoice of open) {
    if (alive.has(invoice.merchantOrderId)) continue
    try {
      await provider.client.cancelOrder(invoice.id)
      canceled.push(invoice.id)
      logger.info(`Invoicebox: invoice ${invoice.id} cancelled: its payment session ${invoice.merchantOrderId} no longer exists`)
    } catch (e) {
      logger.warn(`Invoicebox: could not cancel orphan invoice ${invoice.id}: ${(e as Error).message}`)
    }
  }
  return { checked: open.length, canceled }
}
