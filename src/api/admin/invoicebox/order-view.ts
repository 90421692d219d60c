import { loadOrderInvoices } from "../../../lib/order-invoices"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { rublesToKopecks, type InvoiceboxOrder, type InvoiceboxRefund, type InvoiceboxShipment } from "../../../core"
import { resolveInvoiceboxProvider } from "../../../lib"
import { INVOICEBOX_MODULE } from "../../../modules/invoicebox"
import type InvoiceboxModuleService from "../../../modules/invoicebox/service"
import type { InvoiceboxPaymentData } from "../../../providers/invoicebox/service"

/** What the admin order widget renders. Amounts are integer kopecks; no secret ever appears here. */
export interface AdminInvoiceView {
  /** The Invoicebox shop (payment provider) that issued the invoice. */
  provider_id: string
  session_id: string
  session_status: string
  payment_id: string | null
  captured_at: string | null
  canceled_at: string | null
  invoice: {
    id: string
    /** Read from Invoicebox just now when `live` is true, else the last status the store recorded. */
    status: string
    recorded_status: string
    live: boolean
    amount_kopecks: number
    vat_amount_kopecks: number | null
    currency: string
    payment_url: string
    expires_at: string | null
    paid_at: string | null
  }
  payer: InvoiceboxPaymentData["payer"] | null
  refunds: AdminRefundView[]
  shipments: AdminShipmentView[]
  /** Why the live read failed, bilingual; the view then shows what the store recorded. */
  live_error: string | null
}

export interface AdminRefundView {
  id: string
  /** What the buyer gets back (for a refund with a fee: the goods' value minus the fee). */
  amount_kopecks: number
  /** A refund with a fee (docs refund/correction.md): the fee line and its correction order. */
  fee: AdminRefundFeeView | null
  status: string
  source: "medusa" | "cabinet" | "invoicebox"
  medusa_refund_id: string | null
  note: string | null
  reason: string | null
  created_at: string | null
}

export interface AdminRefundFeeView {
  /** What the refund took back from the invoice: amount_kopecks + fee_kopecks. */
  gross_kopecks: number
  fee_kopecks: number
  fee_vat_kopecks: number | null
  name: string
  vat_code: string
  type: string
  /** Null until Invoicebox confirmed the correction order. */
  correction_order_id: string | null
}

export interface AdminShipmentView {
  id: string
  status: string
  document_number: string | null
  document_date: string | null
  amount_kopecks: number | null
  final: boolean
  created_at: string | null
  /** The Medusa fulfillment it was registered for, when known. */
  fulfillment_id: string | null
}

export interface AdminFulfillmentShipmentRecord {
  fulfillment_id: string
  shipped_at: string | null
  record: Record<string, unknown> | null
}

export interface AdminTimelineEntry {
  id: string
  invoicebox_order_id: string
  status: string
  verdict: string
  source: string
  message: string | null
  received_at: string
  processed_at: string | null
}

export interface AdminOrderInvoiceboxView {
  order: { id: string; display_id: number | null; currency_code: string; total: number | null }
  invoices: AdminInvoiceView[]
  fulfillments: AdminFulfillmentShipmentRecord[]
  timeline: AdminTimelineEntry[]
  read_at: string
}

const iso = (v: unknown): string | null => {
  if (v === null || v === undefined || v === "") return null
  const d = v instanceof Date ? v : new Date(String(v))
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString()
}

const kopecksOf = (rubles: unknown): number | null => {
  if (rubles === null || rubles === undefined || rubles === "") return null
  try {
    return rublesToKopecks(rubles as number)
  } catch {
    return null
  }
}

interface LoadedSession {
  providerId: string
  id: string
  status: string
  created_at?: string | Date
  data: InvoiceboxPaymentData
  payment?: {
    id: string
    data?: InvoiceboxPaymentData
    captured_at?: string | Date | null
    canceled_at?: string | Date | null
    refunds?: Array<{ id: string; amount: unknown; note?: string | null; created_at?: string | Date; refund_reason?: { label?: string } | null }>
  }
}

export async function loadOrderForView(container: MedusaContainer, orderId: string) {
  const found = await loadOrderInvoices(container, orderId, [
    "currency_code",
    "total",
    "payment_collections.payment_sessions.created_at",
    "payment_collections.payments.refunds.id",
    "payment_collections.payments.refunds.amount",
    "payment_collections.payments.refunds.note",
    "payment_collections.payments.refunds.created_at",
    "payment_collections.payments.refunds.refund_reason.label",
    "fulfillments.id",
    "fulfillments.shipped_at",
    "fulfillments.canceled_at",
  ])
  if (!found) return null
  const sessions: LoadedSession[] = found.invoices.map((i) => ({
    providerId: i.providerId,
    id: i.sessionId,
    status: i.sessionStatus,
    created_at: i.session.created_at,
    data: i.session.data,
    payment: i.payment,
  }))
  sessions.sort((a, b) => String(iso(a.created_at)).localeCompare(String(iso(b.created_at))))
  return { order: found.order, sessions }
}

/** The one place that reads an invoice, its refunds and its shipments from Invoicebox for the admin. */
async function readLive(container: MedusaContainer, providerId: string, invoiceId: string) {
  const client = resolveInvoiceboxProvider(container, providerId).client
  const [order, refunds, shipments] = await Promise.allSettled([
    client.getOrder(invoiceId),
    client.findRefunds({ parentId: invoiceId }, { pageSize: 100 }),
    client.findShipments({ orderId: invoiceId }, { pageSize: 100 }),
  ])
  const failure = [order, refunds, shipments].find((r) => r.status === "rejected") as PromiseRejectedResult | undefined
  return {
    order: order.status === "fulfilled" ? order.value : undefined,
    refunds: refunds.status === "fulfilled" ? refunds.value.items : undefined,
    shipments: shipments.status === "fulfilled" ? shipments.value.items : undefined,
    error: failure ? (failure.reason as Error)?.message ?? String(failure.reason) : null,
  }
}

type RefundRow = Awaited<ReturnType<InvoiceboxModuleService["listInvoiceboxRefunds"]>>[number]

/** The store's refund rows (never the session data a storefront could have written), merged with Invoicebox's live list. */
function mergeRefunds(session: LoadedSession, rows: RefundRow[], live: InvoiceboxRefund[] | undefined): AdminRefundView[] {
  const medusaRefunds = new Map((session.payment?.refunds ?? []).map((r) => [r.id, r]))
  const out = new Map<string, AdminRefundView>()
  for (const r of rows) {
    const m = r.medusa_refund_id ? medusaRefunds.get(r.medusa_refund_id) : undefined
    out.set(r.invoicebox_refund_id ?? r.merchant_order_id, {
      id: r.invoicebox_refund_id ?? r.merchant_order_id,
      amount_kopecks: Number(r.amount_kopecks),
      fee: feeView(r),
      status: r.status,
      source: r.source,
      medusa_refund_id: r.medusa_refund_id ?? null,
      note: m?.note ?? null,
      reason: m?.refund_reason?.label ?? null,
      created_at: iso(r.invoicebox_created_at ?? r.created_at ?? m?.created_at),
    })
  }
  for (const r of live ?? []) {
    const known = out.get(r.id)
    const amount = kopecksOf(r.amount)
    out.set(r.id, {
      id: r.id,
      // A refund with a fee may read as its gross or as the payout: the row knows the payout.
      amount_kopecks: known?.fee ? known.amount_kopecks : (amount ?? known?.amount_kopecks ?? 0),
      fee: known?.fee ?? null,
      // Invoicebox is the authority on a refund's progress (created → completed).
      status: r.status,
      source: known?.source ?? "invoicebox",
      medusa_refund_id: known?.medusa_refund_id ?? null,
      note: known?.note ?? (r.description || null),
      reason: known?.reason ?? null,
      created_at: iso(r.createdAt) ?? known?.created_at ?? null,
    })
  }
  return [...out.values()].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)))
}

function feeView(r: RefundRow): AdminRefundFeeView | null {
  if (r.fee_kopecks === null || r.fee_kopecks === undefined) return null
  const line = (r.fee_line ?? {}) as { name?: string; vat_code?: string; type?: string }
  return {
    gross_kopecks: Number(r.gross_kopecks ?? Number(r.amount_kopecks) + Number(r.fee_kopecks)),
    fee_kopecks: Number(r.fee_kopecks),
    fee_vat_kopecks: r.fee_vat_kopecks === null || r.fee_vat_kopecks === undefined ? null : Number(r.fee_vat_kopecks),
    name: line.name ?? "",
    vat_code: line.vat_code ?? "",
    type: line.type ?? "",
    correction_order_id: r.correction_order_id ?? null,
  }
}

function shipmentView(s: InvoiceboxShipment, fulfillments: AdminFulfillmentShipmentRecord[]): AdminShipmentView {
  const owner = fulfillments.find((f) => {
    const rec = f.record as { id?: unknown; shipment_id?: unknown; document_number?: unknown } | null
    if (!rec) return false
    const recorded = String(rec.shipment_id ?? rec.id ?? "")
    return recorded === String(s.id) || (!!s.documentNumber && rec.document_number === s.documentNumber)
  })
  return {
    id: String(s.id),
    status: s.status ?? "pending",
    document_number: s.documentNumber ?? null,
    document_date: s.documentDate ?? null,
    amount_kopecks: kopecksOf(s.amount),
    final: !!s.final,
    created_at: iso(s.createdAt),
    fulfillment_id: owner?.fulfillment_id ?? null,
  }
}

export async function buildOrderView(
  container: MedusaContainer,
  orderId: string,
  { live = true }: { live?: boolean } = {}
): Promise<AdminOrderInvoiceboxView | null> {
  const loaded = await loadOrderForView(container, orderId)
  if (!loaded) return null
  const { order, sessions } = loaded
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)

  const store = container.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
  const shipmentRows = new Map((await store.listInvoiceboxShipments({ order_id: order.id })).map((r) => [r.fulfillment_id, r]))
  const fulfillments: AdminFulfillmentShipmentRecord[] = (order.fulfillments ?? [])
    .filter((f: any) => f && !f.canceled_at)
    .map((f: any) => {
      const row = shipmentRows.get(f.id)
      return {
        fulfillment_id: f.id,
        shipped_at: iso(f.shipped_at),
        record: row
          ? { id: row.invoicebox_shipment_id, status: row.status, document_number: row.document_number, error: row.error, attempts: row.attempts }
          : null,
      }
    })
  const refundRows = await store.listInvoiceboxRefunds({ invoicebox_order_id: sessions.map((s) => s.data.invoicebox_order_id) })

  const invoices = await Promise.all(
    sessions.map(async (s): Promise<AdminInvoiceView> => {
      // The payment's data is newer than the session's once a payment exists (it carries refunds).
      const data = (s.payment?.data?.invoicebox_order_id ? s.payment.data : s.data) as InvoiceboxPaymentData
      let fresh: Awaited<ReturnType<typeof readLive>> | null = null
      if (live) {
        try {
          fresh = await readLive(container, s.providerId, data.invoicebox_order_id)
        } catch (e) {
          fresh = { order: undefined, refunds: undefined, shipments: undefined, error: (e as Error).message }
        }
        if (fresh.error) logger.warn(`Invoicebox admin view: live read of invoice ${data.invoicebox_order_id} failed: ${fresh.error}`)
      }
      const remote: InvoiceboxOrder | null | undefined = fresh?.order
      return {
        provider_id: s.providerId,
        session_id: s.id,
        session_status: s.status,
        payment_id: s.payment?.id ?? null,
        captured_at: iso(s.payment?.captured_at),
        canceled_at: iso(s.payment?.canceled_at),
        invoice: {
          id: data.invoicebox_order_id,
          status: remote?.status ?? data.invoice_status,
          recorded_status: data.invoice_status,
          live: !!remote,
          amount_kopecks: data.amount_kopecks,
          vat_amount_kopecks: data.vat_amount_kopecks ?? null,
          currency: data.currency,
          payment_url: data.payment_url,
          expires_at: iso(remote?.expirationDate ?? data.expires_at),
          paid_at: iso(remote?.paidAt ?? data.paid_at),
        },
        payer: data.payer ?? null,
        refunds: mergeRefunds(s, refundRows.filter((r) => r.invoicebox_order_id === data.invoicebox_order_id), fresh?.refunds),
        shipments: (fresh?.shipments ?? []).map((x) => shipmentView(x, fulfillments)),
        live_error: fresh?.error
          ? `Не удалось прочитать счёт в Инвойсбокс, показаны сохранённые данные (${fresh.error}) / ` +
            `Could not read the invoice from Invoicebox, showing the stored data (${fresh.error})`
          : remote === null
            ? "Счёт не найден в Инвойсбокс / The invoice was not found in Invoicebox"
            : null,
      }
    })
  )

  let timeline: AdminTimelineEntry[] = []
  const invoiceIds = invoices.map((i) => i.invoice.id)
  if (invoiceIds.length) {
    const ledger = container.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
    const rows = await ledger.listInvoiceboxNotifications(
      { invoicebox_order_id: invoiceIds },
      { order: { received_at: "ASC" }, take: 500 }
    )
    timeline = rows.map((r: any) => ({
      id: r.id,
      invoicebox_order_id: r.invoicebox_order_id,
      status: r.status,
      verdict: r.verdict,
      source: r.source,
      message: r.message ?? null,
      received_at: iso(r.received_at) ?? "",
      processed_at: iso(r.processed_at),
    }))
  }

  return {
    order: {
      id: order.id,
      display_id: order.display_id ?? null,
      currency_code: order.currency_code,
      total: order.total === undefined || order.total === null ? null : Number(order.total),
    },
    invoices,
    fulfillments,
    timeline,
    read_at: new Date().toISOString(),
  }
}
