import { InjectManager, MedusaContext, MedusaService, generateEntityId } from "@medusajs/framework/utils"
import type { Context } from "@medusajs/framework/types"
import type { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { InvoiceboxInvoice, InvoiceboxNotification, InvoiceboxRefund, InvoiceboxShipment } from "./models"
import { checkInvoiceboxSetup } from "../../lib/boot-check"
import { invoiceboxGateHooks } from "./gate-hooks"

/** The columns applyInvoiceState reads when it decides whether a delivery is a repeat. */
const DEDUPE_COLUMNS = ["id", "verdict", "payment_session_id", "order_id"] as const

export type LedgerDedupeRow = Record<(typeof DEDUPE_COLUMNS)[number], string | null> & { id: string; verdict: string }

export interface InvoiceRecordInput {
  provider_id: string
  invoicebox_order_id: string
  payment_session_id: string
  status: string
  amount_kopecks: number
  currency: string
  paid_at?: Date | null
}

export interface InvoiceCheckRow {
  invoicebox_order_id: string
  payment_session_id: string
  last_checked_at: Date | null
}

/** A bigNumber column as the DML stores it (numeric + raw JSON). */
const raw = (n: number) => JSON.stringify({ value: String(n), precision: 20 })

/**
 * CRUD over the ledger and the bookkeeping tables (listInvoiceboxNotifications,
 * createInvoiceboxRefunds, …), plus the few statements that must be atomic or cheap: those use
 * the module's own knex connection on purpose (an upsert, a conditional claim, a bounded ordered
 * read), which the generated CRUD cannot express.
 */
class InvoiceboxModuleService extends MedusaService({ InvoiceboxNotification, InvoiceboxInvoice, InvoiceboxRefund, InvoiceboxShipment }) {
  /**
   * Medusa calls these once every module is loaded: the place to prove the plugin's assumptions
   * at boot, then to start the WebSocket gate (see gate-hooks.ts), and to stop it at shutdown.
   * Medusa swallows a hook's error ("the module should handle this and log it"), so a broken
   * assumption is logged and stops the process here, at start, not later in a payment.
   */
  readonly __hooks: ReturnType<typeof invoiceboxGateHooks>

  constructor(cradle: Record<string, unknown>, options?: unknown, moduleDeclaration?: { worker_mode?: string }) {
    super(cradle, options, moduleDeclaration)
    const gate = invoiceboxGateHooks(cradle, moduleDeclaration?.worker_mode)
    this.__hooks = {
      ...gate,
      onApplicationStart: async () => {
        try {
          await checkInvoiceboxSetup()
        } catch (e) {
          return stopAtBoot(e)
        }
        await gate.onApplicationStart()
      },
    }
  }

  /** This process's gate connections (empty unless a provider uses the WebSocket transport). */
  gateStatus() {
    return this.__hooks.status()
  }

  /**
   * The ledger row of one dedupe key, as a plain row. Every delivery asks this, and most
   * deliveries are repeats answered from it alone. One indexed SELECT on the module's own
   * connection takes about a sixth of the CPU of listInvoiceboxNotifications, which hydrates ORM
   * entities (measured: 0.19 vs 1.1 ms a call).
   */
  @InjectManager()
  async findNotificationByDedupeKey(
    dedupeKey: string,
    @MedusaContext() sharedContext: Context<SqlEntityManager> = {}
  ): Promise<LedgerDedupeRow | undefined> {
    const row = await sharedContext
      .manager!.getKnex()("invoicebox_notification")
      .select(DEDUPE_COLUMNS)
      .where({ dedupe_key: dedupeKey })
      .whereNull("deleted_at")
      .first()
    return row ?? undefined
  }

  /** Creates or refreshes the invoice's row; a known paid_at is never cleared. */
  @InjectManager()
  async recordInvoice(input: InvoiceRecordInput, @MedusaContext() sharedContext: Context<SqlEntityManager> = {}): Promise<void> {
    const knex = sharedContext.manager!.getKnex()
    await knex.raw(
      `INSERT INTO invoicebox_invoice (id, provider_id, invoicebox_order_id, payment_session_id, status, amount_kopecks,
         raw_amount_kopecks, currency, paid_at, refunded_kopecks, raw_refunded_kopecks, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, 0, ?::jsonb, now(), now())
       ON CONFLICT (invoicebox_order_id) WHERE deleted_at IS NULL DO UPDATE SET
         status = excluded.status,
         payment_session_id = excluded.payment_session_id,
         paid_at = COALESCE(invoicebox_invoice.paid_at, excluded.paid_at),
         updated_at = now()`,
      [
        generateEntityId(undefined, "ibxinv"),
        input.provider_id,
        input.invoicebox_order_id,
        input.payment_session_id,
        input.status,
        input.amount_kopecks,
        raw(input.amount_kopecks),
        input.currency,
        input.paid_at ?? null,
        raw(0),
      ]
    )
  }

  /** The check times of these invoices (absent ones were never recorded, i.e. never checked). */
  @InjectManager()
  async invoiceCheckTimes(
    invoiceIds: string[],
    @MedusaContext() sharedContext: Context<SqlEntityManager> = {}
  ): Promise<Map<string, Date | null>> {
    const out = new Map<string, Date | null>()
    const knex = sharedContext.manager!.getKnex()
    for (let i = 0; i < invoiceIds.length; i += 1000) {
      const rows: Array<{ invoicebox_order_id: string; last_checked_at: Date | null }> = await knex("invoicebox_invoice")
        .select("invoicebox_order_id", "last_checked_at")
        .whereIn("invoicebox_order_id", invoiceIds.slice(i, i + 1000))
        .whereNull("deleted_at")
      for (const r of rows) out.set(r.invoicebox_order_id, r.last_checked_at)
    }
    return out
  }

  /** Remembers that these invoices were read from Invoicebox now (rotation of the reconciliation). */
  @InjectManager()
  async markInvoicesChecked(
    invoiceIds: string[],
    column: "last_checked_at" | "refunds_checked_at",
    @MedusaContext() sharedContext: Context<SqlEntityManager> = {}
  ): Promise<void> {
    if (!invoiceIds.length) return
    await sharedContext
      .manager!.getKnex()("invoicebox_invoice")
      .whereIn("invoicebox_order_id", invoiceIds)
      .update({ [column]: new Date(), updated_at: new Date() })
  }

  /**
   * Paid invoices of a provider whose refunds may still change: paid since `since`, not fully
   * refunded, least recently looked at first.
   */
  @InjectManager()
  async invoicesForRefundSync(
    providerId: string,
    since: Date,
    limit: number,
    @MedusaContext() sharedContext: Context<SqlEntityManager> = {}
  ): Promise<Array<{ invoicebox_order_id: string; payment_session_id: string }>> {
    return sharedContext
      .manager!.getKnex()("invoicebox_invoice")
      .select("invoicebox_order_id", "payment_session_id")
      .where({ provider_id: providerId })
      .where("paid_at", ">=", since)
      .whereRaw("refunded_kopecks < amount_kopecks")
      .whereNull("deleted_at")
      .orderByRaw("refunds_checked_at ASC NULLS FIRST")
      .limit(limit)
  }

  /** Recomputes an invoice's refunded total from its refund rows. */
  @InjectManager()
  async refreshRefundedTotal(invoiceId: string, @MedusaContext() sharedContext: Context<SqlEntityManager> = {}): Promise<void> {
    const knex = sharedContext.manager!.getKnex()
    await knex.raw(
      `UPDATE invoicebox_invoice i SET refunded_kopecks = t.total, raw_refunded_kopecks = json_build_object('value', t.total::text, 'precision', 20), updated_at = now()
       FROM (SELECT COALESCE(sum(amount_kopecks), 0) AS total FROM invoicebox_refund
             WHERE invoicebox_order_id = ? AND deleted_at IS NULL AND status NOT IN ('canceled', 'failed')) t
       WHERE i.invoicebox_order_id = ? AND i.deleted_at IS NULL`,
      [invoiceId, invoiceId]
    )
  }

  /**
   * Binds an Invoicebox refund that Medusa has not booked (made in the cabinet, or sent by an
   * attempt Medusa rolled back) to the Medusa refund that books it now. Conditional on the row
   * still being unbound, so only one Medusa refund can ever book one Invoicebox refund.
   */
  @InjectManager()
  async claimCabinetRefund(
    paymentId: string,
    invoiceboxRefundId: string,
    medusaRefundId: string,
    @MedusaContext() sharedContext: Context<SqlEntityManager> = {}
  ): Promise<boolean> {
    const updated = await sharedContext
      .manager!.getKnex()("invoicebox_refund")
      .where({ payment_id: paymentId, invoicebox_refund_id: invoiceboxRefundId })
      .whereNull("medusa_refund_id")
      .whereNull("deleted_at")
      .update({ medusa_refund_id: medusaRefundId, updated_at: new Date() })
    return updated === 1
  }
}

function stopAtBoot(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e)
  console.error(`\n${message}\n`)
  process.exitCode = 1
  // Let the line reach the terminal (and the log collector) before the process goes.
  setImmediate(() => process.exit(1))
}

export default InvoiceboxModuleService
