import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import type { ILockingModule, Logger, MedusaContainer } from "@medusajs/framework/types"
import { backgroundRunStopped, isFinalStatus, isKnownOrderStatus } from "../core"
import type { InvoiceboxOrder } from "../core"
import { applyInvoiceState, listInvoiceboxProviders, sha256 } from "../lib"
import type { ApplyInvoiceStateResult } from "../lib"
import { awaitingSessions, cancelOrphanInvoices, cancelTwinInvoices } from "../lib/orphans"
import { invoiceboxModule } from "../lib/plugin-module"
import { syncInvoiceboxRefunds, type RefundSyncResult } from "../lib/refund-sync"
import { retryFailedShipments } from "../lib/shipments"
import { withRunLock } from "../lib/run-lock"
import type InvoiceboxProviderService from "../providers/invoicebox/service"

/** Minutes between runs: env INVOICEBOX_RECONCILE_INTERVAL_MINUTES (default 5; 0 turns the job off). */
export const RECONCILE_INTERVAL_MINUTES = intervalMinutes(process.env.INVOICEBOX_RECONCILE_INTERVAL_MINUTES)

export const RECONCILE_LOCK_KEY = "invoicebox:reconcile"

export interface ReconcileOptions {
  /** Invoice ids per filter request (`id[]=…`). */
  batchSize?: number
  /** Most invoices re-read in one run, least recently checked first; the rest waits for the next run. */
  maxInvoices?: number
  /**
   * Pause between two requests. Invoicebox allows 100 requests per 30 s per account, and the
   * account is shared with checkout; 1 s keeps the job at 30 per 30 s at most.
   */
  pauseMs?: number
  /** Lifetime of the run lock in seconds; renewed while the run works, and the run stops before it. */
  lockSeconds?: number
  /** Also copy refunds made in the Invoicebox cabinet into Medusa (default true). */
  syncRefunds?: boolean
  /** Options of the refund sync (window, size, pace). */
  refundSync?: { windowDays?: number; maxInvoices?: number; batchSize?: number }
  /**
   * Also cancel open invoices whose payment session Medusa discarded, and the twins a resent
   * create left (one session's number on two invoices; default true).
   */
  cancelOrphans?: boolean
  /** Also retry Invoicebox shipments that failed or waited for a payment that came (default true). */
  retryShipments?: boolean
}

export interface ProviderReport {
  awaiting: number
  checked: number
  changed: number
  results: Array<{ invoiceId: string; status: string; verdict: string; effect: string }>
  errors: number
  refunds?: RefundSyncResult
  orphans?: { checked: number; canceled: string[] }
  twins?: { checked: number; canceled: string[]; adopted: string[] }
  shipments?: { retried: number; registered: number }
}

export interface ReconcileReport extends ProviderReport {
  skipped?: "locked" | "disabled"
  /** Per provider (shop); the top-level counts are their sums. */
  providers: Record<string, ProviderReport>
}

/**
 * Re-reads from Invoicebox the invoices whose Medusa payment still awaits money and applies what
 * changed, through the same code path as the notification route, so a lost notification is
 * repaired. Each run takes the least recently checked invoices, so with many open invoices
 * (30-day terms) every one is re-read within ⌈open / maxInvoices⌉ runs. One run at a time across
 * all server instances (locking module); the lock is renewed while the run works, and the run
 * stops starting new work well before the lock could lapse.
 */
export async function reconcileInvoiceboxPayments(container: MedusaContainer, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const locking = container.resolve<ILockingModule>(Modules.LOCKING)
  const lockSeconds = options.lockSeconds ?? 10 * 60
  const report: ReconcileReport = { awaiting: 0, checked: 0, changed: 0, results: [], errors: 0, providers: {} }

  const run = await withRunLock(locking, logger, { key: RECONCILE_LOCK_KEY, lockSeconds, label: "Invoicebox reconciliation" }, async (deadline) => {
    for (const provider of listInvoiceboxProviders(container)) {
      if (backgroundRunStopped()) break
      const part = await reconcileProvider(container, provider, options, deadline, logger)
      report.providers[provider.providerId] = part
      report.awaiting += part.awaiting
      report.checked += part.checked
      report.changed += part.changed
      report.errors += part.errors
      report.results.push(...part.results)
      report.refunds = part.refunds ?? report.refunds
      report.orphans = part.orphans ?? report.orphans
      report.twins = part.twins ?? report.twins
      report.shipments = part.shipments ?? report.shipments
    }
    return report
  })
  return run.ran ? run.result : { ...report, skipped: "locked" }
}

async function reconcileProvider(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  options: ReconcileOptions,
  deadline: number,
  logger: Logger
): Promise<ProviderReport> {
  const batchSize = options.batchSize ?? 50
  const pauseMs = options.pauseMs ?? 1000
  const report: ProviderReport = { awaiting: 0, checked: 0, changed: 0, results: [], errors: 0 }
  const { due, awaiting } = await dueInvoices(container, provider, options.maxInvoices ?? 1000)
  report.awaiting = awaiting
  const store = invoiceboxModule(container)
  for (let i = 0; i < due.length && Date.now() < deadline && !backgroundRunStopped(); i += batchSize) {
    if (i > 0 && pauseMs > 0) await sleep(pauseMs)
    const ids = due.slice(i, i + batchSize)
    let invoices: InvoiceboxOrder[]
    try {
      const page = await provider.client.findOrders({ id: ids }, { page: 1, pageSize: ids.length })
      invoices = page.items.filter((o) => ids.includes(o.id))
    } catch (e) {
      report.errors++
      logger.warn(`Invoicebox reconciliation (${provider.providerId}): could not read ${ids.length} invoices: ${(e as Error).message}`)
      continue
    }
    await store.markInvoicesChecked(invoices.map((o) => o.id), "last_checked_at")
    for (const invoice of invoices) await applyOne(container, provider, invoice, report, logger)
  }
  // The other repairs share the run and its lock: none of them may run twice at once either (a
  // cabinet refund booked twice, a shipment registered twice). Each one fails alone.
  const phase = async <T>(enabled: boolean | undefined, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (enabled === false || Date.now() > deadline || backgroundRunStopped()) return undefined
    try {
      return await fn()
    } catch (e) {
      report.errors++
      logger.warn(`Invoicebox reconciliation (${provider.providerId}): ${what} failed: ${(e as Error).message}`)
      return undefined
    }
  }
  report.refunds = await phase(options.syncRefunds, "refund sync", () =>
    syncInvoiceboxRefunds(container, provider, { ...options.refundSync, pauseMs, deadline })
  )
  report.orphans = await phase(options.cancelOrphans, "orphan invoice cleanup", () => cancelOrphanInvoices(container, provider))
  report.twins = await phase(options.cancelOrphans, "twin invoice cleanup", () => cancelTwinInvoices(container, provider))
  report.shipments = await phase(options.retryShipments, "shipment retry", () => retryFailedShipments(container, provider))
  logger.info(
    `Invoicebox reconciliation (${provider.providerId}): ${report.awaiting} awaiting, ${report.checked} read, ${report.changed} changed, ` +
      `${report.refunds?.recorded.length ?? 0} outside refunds booked, ${report.orphans?.canceled.length ?? 0} orphan invoices ` +
      `cancelled, ${report.twins?.canceled.length ?? 0} twin invoices cancelled, ${report.shipments?.registered ?? 0} shipments registered, ${report.errors} errors`
  )
  return report
}

async function applyOne(container: MedusaContainer, provider: InvoiceboxProviderService, invoice: InvoiceboxOrder, report: ProviderReport, logger: Logger) {
  report.checked++
  // Still waiting for the money: nothing to apply, and no ledger row per run.
  if (isKnownOrderStatus(invoice.status) && !isFinalStatus(invoice.status) && invoice.status !== "hold") return
  let result: ApplyInvoiceStateResult
  try {
    result = await applyInvoiceState(container, { provider, invoice, source: "reconciliation", fromApi: true, bodySha256: sha256(JSON.stringify(invoice)) })
  } catch (e) {
    report.errors++
    logger.error(`Invoicebox reconciliation: invoice ${invoice.id}: ${(e as Error).message}`)
    return
  }
  report.results.push({ invoiceId: invoice.id, status: invoice.status, verdict: result.verdict, effect: result.effect })
  if (result.verdict === "out_of_service") report.errors++
  else if (result.effect !== "none" && result.effect !== "duplicate") report.changed++
}

/**
 * The provider's invoices whose session still awaits payment, least recently checked first (never
 * checked ones before all others), at most `max`. Sessions from before the invoice table get
 * their row here.
 */
async function dueInvoices(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  max: number
): Promise<{ due: string[]; awaiting: number }> {
  const sessions: Array<{ id: string; invoiceId: string; data: Record<string, any> }> = []
  for (const s of await awaitingSessions(container, provider.providerId)) {
    const invoiceId = s.data?.invoicebox_order_id
    const known = s.data?.invoice_status
    // A session whose data already records a final invoice was settled elsewhere.
    if (typeof invoiceId !== "string" || !invoiceId) continue
    if (typeof known === "string" && isKnownOrderStatus(known) && isFinalStatus(known)) continue
    sessions.push({ id: s.id, invoiceId, data: s.data! })
  }
  const store = invoiceboxModule(container)
  const checked = await store.invoiceCheckTimes(sessions.map((s) => s.invoiceId))
  for (const s of sessions) {
    if (checked.has(s.invoiceId)) continue
    await store.recordInvoice({
      provider_id: provider.providerId,
      invoicebox_order_id: s.invoiceId,
      payment_session_id: s.id,
      status: String(s.data.invoice_status ?? "created"),
      amount_kopecks: Number(s.data.amount_kopecks ?? 0),
      currency: String(s.data.currency ?? "RUB"),
    })
  }
  const time = (id: string) => checked.get(id)?.getTime() ?? -Infinity
  const ids = [...new Set(sessions.map((s) => s.invoiceId))].sort((a, b) => time(a) - time(b))
  return { due: ids.slice(0, max), awaiting: ids.length }
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
