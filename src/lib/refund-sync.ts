import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { IPaymentModuleService, Logger, MedusaContainer } from "@medusajs/framework/types"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { rublesToKopecks, type InvoiceboxRefund } from "../core"
import type { InvoiceboxPaymentData } from "../providers/invoicebox/service"
import { INVOICEBOX_PROVIDER_ID, resolveInvoiceboxProvider } from "./invoicebox-provider"

/** Invoicebox filter requests take many ids at once; keep URLs short and the rate limit in mind. */
const BATCH = 25

export const CABINET_NOTE_PREFIX = "Invoicebox cabinet"

/** How long a refund started from Medusa but never recorded waits for the admin's retry. */
export const ADOPTION_GRACE_MS = 15 * 60_000

export interface RefundSyncResult {
  checked: number
  recorded: string[]
  statusUpdates: number
}

/**
 * Makes Medusa's books match Invoicebox's refunds of our invoices:
 * - a refund made by hand in the Invoicebox cabinet is recorded on the Medusa payment (through
 *   Medusa's refund workflow, with the provider told not to refund again), once;
 * - the status of refunds made from Medusa (created → completed) is copied into the payment data.
 * Run by the reconciliation job, which holds a lock so that no two instances run it at once.
 */
export async function syncInvoiceboxRefunds(container: MedusaContainer): Promise<RefundSyncResult> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const provider = resolveInvoiceboxProvider(container)

  const { data: captured } = await query.graph({
    entity: "payment",
    fields: ["id", "data", "amount", "captured_at", "canceled_at", "refunds.id", "refunds.amount", "refunds.note"],
    filters: { provider_id: INVOICEBOX_PROVIDER_ID },
  })
  const open = captured.filter((p: any) => p.captured_at && !p.canceled_at && p.data?.invoicebox_order_id)
  const result: RefundSyncResult = { checked: open.length, recorded: [], statusUpdates: 0 }

  for (let i = 0; i < open.length; i += BATCH) {
    const batch = open.slice(i, i + BATCH)
    const byInvoice = new Map<string, any>(batch.map((p: any) => [p.data.invoicebox_order_id, p]))
    const found: InvoiceboxRefund[] = []
    for (let page = 1; ; page++) {
      const res = await provider.client.findRefunds({ parentId: [...byInvoice.keys()] }, { page, pageSize: 100 })
      found.push(...res.items)
      if (res.items.length === 0 || found.length >= res.totalCount) break
    }

    for (const [invoiceId, payment] of byInvoice) {
      const data = payment.data as InvoiceboxPaymentData
      const known = new Map((data.refunds ?? []).map((r) => [r.id, r]))
      const theirs = found.filter((r) => r.parentId === invoiceId && r.status !== "canceled" && r.status !== "draft")

      const changed = (data.refunds ?? []).map((r) => {
        const remote = theirs.find((x) => x.id === r.id)
        return remote && remote.status !== r.status ? { ...r, status: remote.status } : r
      })
      if (changed.some((r, idx) => r !== (data.refunds ?? [])[idx])) {
        await payments.updatePayment({ id: payment.id, data: { ...data, refunds: changed } } as any)
        result.statusUpdates++
      }

      for (const r of theirs) {
        const alreadyInMedusa =
          known.has(r.id) || (payment.refunds ?? []).some((mr: any) => String(mr.note ?? "").includes(r.id))
        if (alreadyInMedusa) continue
        // A refund Medusa started (merchantOrderId = its refund id) whose answer was lost: the
        // admin's retry adopts it (see providers/invoicebox/refund.ts), so give the admin time
        // before recording it here; after that, Medusa's books must show the money that went out.
        if (r.merchantOrderId?.startsWith("ref_") && Date.now() - Date.parse(r.createdAt) < ADOPTION_GRACE_MS) continue
        const fresh = (await payments.retrievePayment(payment.id, { select: ["id", "data"] })) as any
        await payments.updatePayment({
          id: payment.id,
          data: { ...fresh.data, cabinet_refund_pending: { id: r.id, amount_kopecks: rublesToKopecks(r.amount), status: r.status } },
        } as any)
        await refundPaymentWorkflow(container).run({
          input: { payment_id: payment.id, amount: r.amount, note: `${CABINET_NOTE_PREFIX}: refund ${r.id}` },
        })
        logger.info(`Invoicebox: cabinet refund ${r.id} of invoice ${invoiceId} recorded on payment ${payment.id}`)
        result.recorded.push(r.id)
      }
    }
  }
  return result
}
