import { randomUUID } from "node:crypto"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { ILockingModule, Logger, MedusaContainer } from "@medusajs/framework/types"
import { isFinalStatus, isKnownOrderStatus } from "../core"
import type { InvoiceboxOrder } from "../core"
import { INVOICEBOX_PROVIDER_ID, applyInvoiceState, resolveInvoiceboxProvider, sha256 } from "../lib"
import type { ApplyInvoiceStateResult } from "../lib"
import { cancelOrphanInvoices } from "../lib/orphans"
import { syncInvoiceboxRefunds, type RefundSyncResult } from "../lib/refund-sync"
import { retryFailedShipments } from "../lib/shipments"

/** Minutes between runs: env INVOICEBOX_RECONCILE_INTERVAL_MINUTES (default 5; 0 turns the job off). */
export const RECONCILE_INTERVAL_MINUTES = intervalMinutes(process.env.INVOICEBOX_RECONCILE_INTERVAL_MINUTES)

export const RECONCILE_LOCK_KEY = "invoicebox:reconcile"

export interface ReconcileOptions {
  /** Invoice ids per filter request (`id[]=…`). */
  batchSize?: number
  /** Most invoices looked at in one run; the rest waits for the next run. */
  maxInvoices?: number
  /**
   * Pause between two filter requests. Invoicebox allows 100 requests per 30 s per account, and
   * the account is shared with checkout; 1 s keeps the job at 30 per 30 s at most.
   */
  pauseMs?: number
  /** Lifetime of the run lock in seconds: a crashed run cannot block the next ones for longer. */
  lockSeconds?: number
  /** Also copy refunds made in the Invoicebox cabinet into Medusa (default true). */
  syncRefunds?: boolean
  /** Also cancel open invoices whose payment session Medusa discarded (default true). */
  cancelOrphans?: boolean
  /** Also retry Invoicebox shipments that failed when the fulfillment was shipped (default true). */
  retryShipments?: boolean
}

export interface ReconcileReport {
  skipped?: "locked" | "disabled"
  checked: number
  changed: number
  results: Array<{ invoiceId: string; status: string; verdict: string; effect: string }>
  errors: number
  refunds?: RefundSyncResult
  orphans?: { checked: number; canceled: string[] }
  shipments?: { retried: number; registered: number }
}

const AWAITING = ["pending", "pending_authorization"]

/**
 * Re-reads from Invoicebox the invoices whose Medusa payment still awaits money and applies what
 * changed, through the same code path as the notification route, so a lost notification is
 * repaired within one cycle. One run at a time across all server instances (locking module).
 */
export async function reconcileInvoiceboxPayments(
  container: MedusaContainer,
  options: ReconcileOptions = {}
): Promise<ReconcileReport> {
  const batchSize = options.batchSize ?? 50
  const maxInvoices = options.maxInvoices ?? 1000
  const pauseMs = options.pauseMs ?? 1000
  const lockSeconds = options.lockSeconds ?? 15 * 60
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const locking = container.resolve<ILockingModule>(Modules.LOCKING)
  const report: ReconcileReport = { checked: 0, changed: 0, results: [], errors: 0 }

  const ownerId = `invoicebox-reconcile:${randomUUID()}`
  try {
    await locking.acquire(RECONCILE_LOCK_KEY, { ownerId, expire: lockSeconds })
  } catch {
    logger.info("Invoicebox reconciliation: another run holds the lock; skipped")
    return { ...report, skipped: "locked" }
  }

  try {
    const provider = resolveInvoiceboxProvider(container)
    const awaiting = await awaitingInvoices(container, maxInvoices)
    for (let i = 0; i < awaiting.length; i += batchSize) {
      if (i > 0 && pauseMs > 0) await sleep(pauseMs)
      const ids = awaiting.slice(i, i + batchSize)
      let invoices: InvoiceboxOrder[]
      try {
        const page = await provider.client.findOrders({ id: ids }, { page: 1, pageSize: ids.length })
        invoices = page.items.filter((o) => ids.includes(o.id))
      } catch (e) {
        report.errors++
        logger.warn(`Invoicebox reconciliation: could not read ${ids.length} invoices: ${(e as Error).message}`)
        continue
      }
      for (const invoice of invoices) {
        report.checked++
        // Still waiting for the money: nothing to apply, and no ledger row per run.
        if (isKnownOrderStatus(invoice.status) && !isFinalStatus(invoice.status) && invoice.status !== "hold") continue
        let result: ApplyInvoiceStateResult
        try {
          result = await applyInvoiceState(container, {
            invoice,
            source: "reconciliation",
            fromApi: true,
            bodySha256: sha256(JSON.stringify(invoice)),
          })
        } catch (e) {
          report.errors++
          logger.error(`Invoicebox reconciliation: invoice ${invoice.id}: ${(e as Error).message}`)
          continue
        }
        report.results.push({ invoiceId: invoice.id, status: invoice.status, verdict: result.verdict, effect: result.effect })
        if (result.verdict === "out_of_service") report.errors++
        else if (result.effect !== "none" && result.effect !== "duplicate") report.changed++
      }
    }
    // The other repairs share the run and its lock: none of them may run twice at once either
    // (a cabinet refund recorded twice, a shipment registered twice). Each one failing alone.
    const phase = async <T>(enabled: boolean | undefined, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      if (enabled === false) return undefined
      try {
        return await fn()
      } catch (e) {
        report.errors++
        logger.warn(`Invoicebox reconciliation: ${what} failed: ${(e as Error).message}`)
        return undefined
      }
    }
    report.refunds = await phase(options.syncRefunds, "refund sync", () => syncInvoiceboxRefunds(container))
    report.orphans = await phase(options.cancelOrphans, "orphan invoice cleanup", () => cancelOrphanInvoices(container))
    report.shipments = await phase(options.retryShipments, "shipment retry", () => retryFailedShipments(container))
    logger.info(
      `Invoicebox reconciliation: ${awaiting.length} awaiting, ${report.checked} read, ${report.changed} changed, ` +
        `${report.refunds?.recorded.length ?? 0} cabinet refunds recorded, ${report.orphans?.canceled.length ?? 0} orphan invoices ` +
        `cancelled, ${report.shipments?.registered ?? 0} shipments registered, ${report.errors} errors`
    )
    return report
  } finally {
    await locking.release(RECONCILE_LOCK_KEY, { ownerId }).catch(() => undefined)
  }
}

/** Invoice ids of Invoicebox payment sessions still awaiting payment, oldest first. */
async function awaitingInvoices(container: MedusaContainer, max: number): Promise<string[]> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const ids: string[] = []
  const pageSize = 200
  for (let skip = 0; ids.length < max; skip += pageSize) {
    const { data } = await query.graph({
      entity: "payment_session",
      fields: ["id", "data", "status", "created_at"],
      filters: { provider_id: INVOICEBOX_PROVIDER_ID, status: AWAITING },
      pagination: { skip, take: pageSize, order: { created_at: "ASC" } },
    })
    for (const session of data as Array<{ data?: Record<string, unknown> | null }>) {
      const invoiceId = session.data?.invoicebox_order_id
      const known = session.data?.invoice_status
      // A session whose data already records a final invoice was settled elsewhere.
      if (typeof invoiceId !== "string" || !invoiceId) continue
      if (typeof known === "string" && isKnownOrderStatus(known) && isFinalStatus(known)) continue
      if (!ids.includes(invoiceId)) ids.push(invoiceId)
      if (ids.length >= max) break
    }
    if (data.length < pageSize) break
  }
  return ids
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function intervalMinutes(value: string | undefined): number {
  if (value === undefined || value === "") return 5
  const n = Number(value)
  return Number.isFinite(n) && n >= 0 ? n : 5
}

export default async function invoiceboxReconcileJob(container: MedusaContainer): Promise<void> {
  if (RECONCILE_INTERVAL_MINUTES === 0) return
  await reconcileInvoiceboxPayments(container)
}

export const config = {
  name: "invoicebox-reconcile",
  // Off (0) still needs a valid schedule; the handler then returns at once.
  schedule: { interval: Math.max(RECONCILE_INTERVAL_MINUTES, 1) * 60_000 },
}
