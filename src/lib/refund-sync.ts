import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { backgroundRunStopped, rublesToKopecks, type InvoiceboxRefund } from "../core"
import { cabinetMerchantOrderId, cabinetNote } from "../providers/invoicebox/refund"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import type InvoiceboxModuleService from "../modules/invoicebox/service"
import { invoiceboxModule } from "./plugin-module"

export { CABINET_NOTE_PREFIX } from "../providers/invoicebox/refund"

/** How long a refund started from Medusa but never recorded waits for the admin's retry. */
export const ADOPTION_GRACE_MS = 15 * 60_000

export interface RefundSyncOptions {
  /** Only payments paid within this many days are looked at (default 180). */
  windowDays?: number
  /** Most invoices looked at in one run, least recently looked at first (default 200). */
  maxInvoices?: number
  /** Invoices per filter request (`parentId[]=…`; default 25). */
  batchSize?: number
  /** Pause between two requests, so the job never crowds checkout out of the account quota (default 1000). */
  pauseMs?: number
  /** Stop starting new batches after this instant (the job's lock lifetime). */
  deadline?: number
}

export interface RefundSyncResult {
  checked: number
  recorded: string[]
  statusUpdates: number
}

type Row = Awaited<ReturnType<InvoiceboxModuleService["listInvoiceboxRefunds"]>>[number]
type Candidate = { invoicebox_order_id: string; payment_session_id: string }

/**
 * Makes Medusa's books match Invoicebox's refunds of this provider's invoices:
 * - a refund made by hand in the Invoicebox cabinet is booked on the Medusa payment (through
 *   Medusa's refund workflow; the provider sees the refund row and sends nothing), once;
 * - refund statuses (created → completed) are copied into the refund rows.
 * A refund is ours when a row names it, by its Invoicebox id or by its merchantOrderId (the
 * Medusa refund id). Looks only at payments paid within the window and not fully refunded,
 * least recently looked at first, paced.
 */
export async function syncInvoiceboxRefunds(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  options: RefundSyncOptions = {}
): Promise<RefundSyncResult> {
  const store = invoiceboxModule(container)
  const windowDays = options.windowDays ?? 180
  const batchSize = options.batchSize ?? 25
  const since = new Date(Date.now() - windowDays * 86_400_000)
  const candidates = await store.invoicesForRefundSync(provider.providerId, since, options.maxInvoices ?? 200)
  const result: RefundSyncResult = { checked: 0, recorded: [], statusUpdates: 0 }
  const client = provider.client
  for (let i = 0; i < candidates.length; i += batchSize) {
    if ((options.deadline && Date.now() > options.deadline) || backgroundRunStopped()) break
    if (i > 0 && (options.pauseMs ?? 1000) > 0) await sleep(options.pauseMs ?? 1000)
    const batch = candidates.slice(i, i + batchSize)
    const ids = batch.map((c) => c.invoicebox_order_id)
    const remote: InvoiceboxRefund[] = []
    for (let page = 1; ; page++) {
      const res = await client.findRefunds({ parentId: ids }, { page, pageSize: 100 })
      remote.push(...res.items.filter((r) => ids.includes(r.parentId)))
      if (res.items.length === 0 || res.items.length < res.pageSize || remote.length >= res.totalCount) break
    }
    await applyRemoteRefunds(container, provider, batch, remote, result)
    await store.markInvoicesChecked(ids, "refunds_checked_at")
    result.checked += batch.length
  }
  return result
}

async function applyRemoteRefunds(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  batch: Candidate[],
  remote: InvoiceboxRefund[],
  result: RefundSyncResult
): Promise<void> {
  const store = invoiceboxModule(container)
  const ids = batch.map((c) => c.invoicebox_order_id)
  const rows = await store.listInvoiceboxRefunds({ invoicebox_order_id: ids })
  const byRemoteId = new Map(rows.filter((r) => r.invoicebox_refund_id).map((r) => [r.invoicebox_refund_id!, r]))
  const byMerchantOrderId = new Map(rows.map((r) => [r.merchant_order_id, r]))
  const payments = await paymentsOf(container, batch)
  const touched = new Set<string>()

  for (const r of remote) {
    if (r.status === "canceled" || r.status === "draft") continue
    const named = r.merchantOrderId ? byMerchantOrderId.get(r.merchantOrderId) : undefined
    // A row already bound to another Invoicebox refund under the same number means a twin: a
    // resend whose first attempt committed late (Invoicebox does not refuse a reused number by
    // default). That money left too, so it is booked as a refund of its own, never merged.
    const twin = Boolean(named?.invoicebox_refund_id && named.invoicebox_refund_id !== r.id)
    let row = byRemoteId.get(r.id) ?? (twin ? undefined : named)
    if (row) {
      if (row.status !== r.status || row.invoicebox_refund_id !== r.id) {
        await store.updateInvoiceboxRefunds({ id: row.id, status: r.status, invoicebox_refund_id: r.id, error: null })
        result.statusUpdates++
        touched.add(r.parentId)
      }
      if (row.medusa_refund_id && !(await medusaRefundGone(container, row.medusa_refund_id))) continue
      // Sent by a Medusa refund that was rolled back: after the admin's grace period, book it.
      if (Date.now() - Date.parse(r.createdAt) < ADOPTION_GRACE_MS) continue
      if (row.medusa_refund_id) await store.updateInvoiceboxRefunds({ id: row.id, medusa_refund_id: null })
    } else {
      // A Medusa refund whose answer was lost: the admin's retry adopts it (providers/invoicebox/refund.ts).
      // (A twin's number belongs to a Medusa refund that exists: nobody will adopt it.)
      if (!twin && r.merchantOrderId?.startsWith("ref_") && Date.now() - Date.parse(r.createdAt) < ADOPTION_GRACE_MS) continue
      const paymentId = payments.get(r.parentId)
      if (!paymentId) continue
      if (twin) {
        const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
        logger.error(`Invoicebox: refund ${r.id} repeats ${named!.invoicebox_refund_id} (both ${r.merchantOrderId}); the money left twice and is booked twice`)
      }
      row = await store.createInvoiceboxRefunds({
        provider_id: provider.providerId,
        payment_id: paymentId,
        invoicebox_order_id: r.parentId,
        merchant_order_id: r.merchantOrderId?.startsWith("ref_") && !twin ? r.merchantOrderId : cabinetMerchantOrderId(r.id),
        invoicebox_refund_id: r.id,
        amount_kopecks: rublesToKopecks(r.amount),
        status: r.status,
        source: "cabinet",
        description: r.description ?? null,
        invoicebox_created_at: r.createdAt ? new Date(r.createdAt) : null,
      })
    }
    if (await book(container, row, r)) result.recorded.push(r.id)
    touched.add(r.parentId)
  }
  for (const id of touched) await store.refreshRefundedTotal(id)
}

/** Books an Invoicebox refund on the Medusa payment; the provider recognises the note and sends nothing. */
async function book(container: MedusaContainer, row: Row, r: InvoiceboxRefund): Promise<boolean> {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const { errors } = await refundPaymentWorkflow(container).run({
    input: { payment_id: row.payment_id, amount: r.amount, note: cabinetNote(r.id) },
    throwOnError: false,
  })
  if (errors?.length) {
    logger.error(`Invoicebox: refund ${r.id} of invoice ${r.parentId} could not be booked in Medusa: ${String((errors[0].error as Error)?.message ?? errors[0].error)}`)
    return false
  }
  logger.info(`Invoicebox: refund ${r.id} of invoice ${r.parentId} (made outside Medusa) booked on payment ${row.payment_id}`)
  return true
}

async function paymentsOf(container: MedusaContainer, batch: Candidate[]): Promise<Map<string, string>> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "payment_session_id", "captured_at", "canceled_at"],
    filters: { payment_session_id: batch.map((c) => c.payment_session_id) },
  })
  const bySession = new Map<string, string>(data.filter((p: any) => p.captured_at && !p.canceled_at).map((p: any) => [p.payment_session_id, p.id]))
  return new Map(batch.flatMap((c) => (bySession.has(c.payment_session_id) ? [[c.invoicebox_order_id, bySession.get(c.payment_session_id)!]] : [])))
}

async function medusaRefundGone(container: MedusaContainer, refundId: string): Promise<boolean> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "refund", fields: ["id"], filters: { id: refundId } })
  return data.length === 0
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
