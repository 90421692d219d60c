import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { backgroundRunStopped, type InvoiceboxOrder } from "../core"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { applyInvoiceState } from "./apply-invoice-state"
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
  const { data } = await query.graph({ entity: "payment_session", fields: ["id", "data"], filters: { id: [...new Set(open.values())] } })
  // Each live session's own invoice; an open invoice under its number that is not that one is a
  // twin a resent create left (Invoicebox does not refuse a reused merchantOrderId by default).
  const invoiceOf = new Map<string, unknown>(data.map((s: any) => [s.id, s.data?.invoicebox_order_id]))
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const canceled: string[] = []
  for (const [invoiceId, sessionId] of open) {
    // The run's budget or lock ran out: the rest waits for the next run instead of failing one by one.
    if (backgroundRunStopped()) break
    const own = invoiceOf.get(sessionId)
    const twin = typeof own === "string" && own !== "" && own !== invoiceId
    // A live session without an invoice id yet is being created right now: never touched.
    if (invoiceOf.has(sessionId) && !twin) continue
    try {
      const order = await provider.client.cancelOrder(invoiceId)
      canceled.push(invoiceId)
      logger.info(
        twin
          ? `Invoicebox: invoice ${invoiceId} cancelled: a twin of ${own}, the invoice of payment session ${sessionId}`
          : `Invoicebox: invoice ${invoiceId} cancelled: its payment session ${sessionId} no longer exists`
      )
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

/** Payment sessions still waiting for money stay `pending` / `authorized` in Medusa. */
const AWAITING = ["pending", "pending_authorization", "authorized"]

/** The provider's payment sessions that still wait for money, with their data, in id order. */
export async function awaitingSessions(
  container: MedusaContainer,
  providerId: string
): Promise<Array<{ id: string; data?: Record<string, any> | null }>> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const sessions: Array<{ id: string; data?: Record<string, any> | null }> = []
  const pageSize = 1000
  for (let skip = 0; ; skip += pageSize) {
    const { data } = await query.graph({
      entity: "payment_session",
      fields: ["id", "data", "status"],
      filters: { provider_id: providerId, status: AWAITING },
      pagination: { skip, take: pageSize, order: { id: "ASC" } },
    })
    sessions.push(...(data as typeof sessions))
    if (data.length < pageSize) break
  }
  return sessions
}

/** How long after a resent create its session is searched for twins; a late commit takes seconds. */
export const TWIN_WATCH_MS = 24 * 3_600_000

/**
 * The twin check for sessions whose invoice came from a resend (session data
 * `invoice_resent_at`): looks their number up, cancels open twins and hands a paid twin to
 * applyInvoiceState, which adopts it as the session's invoice. Needs no notification URL, unlike
 * the scan in cancelOrphanInvoices, so it covers WebSocket-only stores too.
 */
export async function cancelTwinInvoices(
  container: MedusaContainer,
  provider: InvoiceboxProviderService
): Promise<{ checked: number; canceled: string[]; adopted: string[] }> {
  const result = { checked: 0, canceled: [] as string[], adopted: [] as string[] }
  const since = Date.now() - TWIN_WATCH_MS
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  for (const session of await awaitingSessions(container, provider.providerId)) {
    if (backgroundRunStopped()) break
    const data = session.data ?? {}
    const resentAt = Date.parse(String(data.invoice_resent_at ?? ""))
    if (!(resentAt >= since) || typeof data.invoicebox_order_id !== "string") continue
    result.checked++
    const twins = await provider.client.cancelTwinOrders(session.id, data.invoicebox_order_id, provider.options.merchantId)
    result.canceled.push(...twins.canceled)
    for (const paid of twins.paid) {
      const applied = await applyInvoiceState(container, { provider, invoice: paid, source: "reconciliation", fromApi: true })
      if (applied.verdict === "success") result.adopted.push(paid.id)
      else logger.error(`Invoicebox: paid twin invoice ${paid.id} of session ${session.id}: ${applied.verdict} ${applied.message ?? ""}`)
    }
  }
  return result
}
