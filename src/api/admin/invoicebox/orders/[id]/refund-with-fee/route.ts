import { randomUUID } from "node:crypto"
import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { z } from "@medusajs/framework/zod"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { kopecksToRubles, toKopecks } from "../../../../../../core"
import { loadOrderInvoices } from "../../../../../../lib/order-invoices"
import { resolveInvoiceboxProvider } from "../../../../../../lib"
import { invoiceboxModule } from "../../../../../../lib/plugin-module"
import { FEE_VAT_CODES } from "../../../../../../providers/invoicebox/options"
import { FEE_KEY_PREFIX, FEE_METADATA_KEY, feeRowFields } from "../../../../../../providers/invoicebox/refund-fee"
import { buildOrderView } from "../../../order-view"

const rubles = z.number().positive().refine((v) => Math.round(v * 100) === Number((v * 100).toFixed(6)), {
  message: "at most 2 decimals / не больше 2 знаков после запятой",
})

export const RefundWithFeeBody = z.object({
  /** What the refund takes back from the invoice (the goods' value), in rubles. */
  amount: rubles,
  fee: z.object({
    amount: rubles,
    name: z.string().trim().min(1).max(500),
    vat_code: z.enum(FEE_VAT_CODES),
    type: z.enum(["service", "commodity"]).default("service"),
  }),
  note: z.string().max(1000).optional(),
  refund_reason_id: z.string().optional(),
  /** The form's own key: a resubmit after a lost answer is the same refund, never a second one. */
  idempotency_key: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  payment_id: z.string().optional(),
})

const bad = (res: MedusaResponse, status: number, type: string, ru: string, en: string) => res.status(status).json({ type, message: `${ru} / ${en}` })

/**
 * POST /admin/invoicebox/orders/:id/refund-with-fee — a refund with a fee or penalty (docs
 * refund/correction.md): the buyer gets `amount − fee.amount`, Invoicebox gets a draft refund of
 * `amount` and a correction order holding the fee line. The refund row is written first, keyed by
 * the form's idempotency key, then Medusa's refund workflow books the payout and calls the provider,
 * which finds the row through the refund's metadata.
 */
export async function POST(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const parsed = RefundWithFeeBody.safeParse(req.body)
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")
    return void bad(res, 400, "invalid_data", `Неверные данные возврата (${detail})`, `Invalid refund data (${detail})`)
  }
  const body = parsed.data
  const amount = toKopecks(body.amount)
  const feeKopecks = toKopecks(body.fee.amount)
  if (feeKopecks >= amount) {
    return void bad(res, 400, "invalid_data", "Удержание должно быть меньше суммы возврата", "The fee must be less than the refund amount")
  }
  const found = await loadOrderInvoices(req.scope, req.params.id)
  if (!found) return void bad(res, 404, "not_found", `Заказ ${req.params.id} не найден`, `Order ${req.params.id} was not found`)
  const invoice = found.invoices.find((i) => i.paymentId && i.capturedAt && !i.canceledAt && (!body.payment_id || i.paymentId === body.payment_id))
  if (!invoice) {
    return void bad(res, 400, "not_allowed", "У заказа нет оплаченного счёта Инвойсбокс", "The order has no paid Invoicebox invoice")
  }
  const provider = resolveInvoiceboxProvider(req.scope, invoice.providerId)
  const store = invoiceboxModule(req.scope)
  const key = `${FEE_KEY_PREFIX}${body.idempotency_key ?? randomUUID()}`
  const payout = amount - feeKopecks
  const fee = { key, feeKopecks, line: { name: body.fee.name, vat_code: body.fee.vat_code, type: body.fee.type }, origin: "admin" as const }

  let [row] = await store.listInvoiceboxRefunds({ merchant_order_id: key })
  if (row && (Number(row.amount_kopecks) !== payout || Number(row.fee_kopecks) !== feeKopecks || row.payment_id !== invoice.paymentId)) {
    return void bad(res, 409, "conflict", "Этот ключ уже использован для другого возврата", "This key was already used for another refund")
  }
  if (row?.medusa_refund_id && (await medusaRefundExists(req, row.medusa_refund_id))) {
    // The same form sent again after its answer was lost: the refund is made, nothing more to do.
    return void res.json({ refund_key: key, medusa_refund_id: row.medusa_refund_id, view: await buildOrderView(req.scope, req.params.id) })
  }
  if (!row) {
    row = await store.createInvoiceboxRefunds(
      feeRowFields(provider, invoice.data, {
        payout,
        fee,
        paymentId: invoice.paymentId!,
        description: `Возврат по заказу №${found.display_id ?? invoice.data.merchant_order_id}${body.note ? `: ${body.note}` : ""}`,
      })
    )
  }
  const { result, errors } = await refundPaymentWorkflow(req.scope).run({
    input: {
      payment_id: invoice.paymentId!,
      amount: kopecksToRubles(payout),
      note: body.note ?? `${body.fee.name}: ${kopecksToRubles(feeKopecks)}`,
      refund_reason_id: body.refund_reason_id,
      created_by: req.auth_context?.actor_id,
      // Medusa's refund step hands its whole input to the payment module, which keeps metadata on the refund.
      metadata: { [FEE_METADATA_KEY]: key },
    } as never,
    throwOnError: false,
  })
  if (errors?.length) {
    const [after] = await store.listInvoiceboxRefunds({ id: row.id })
    // Refused before Invoicebox was ever asked (e.g. more than was captured): the row must not count.
    if (after && !after.medusa_refund_id && !after.invoicebox_refund_id) await store.updateInvoiceboxRefunds({ id: row.id, status: "failed" })
    const error = errors[0].error as Error
    throw error instanceof MedusaError ? error : new MedusaError(MedusaError.Types.UNEXPECTED_STATE, error?.message ?? String(error))
  }
  const [booked] = await store.listInvoiceboxRefunds({ id: row.id })
  res.json({
    refund_key: key,
    medusa_refund_id: booked?.medusa_refund_id ?? null,
    payment: result,
    view: await buildOrderView(req.scope, req.params.id),
  })
}

async function medusaRefundExists(req: AuthenticatedMedusaRequest, id: string): Promise<boolean> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "refund", fields: ["id"], filters: { id } })
  return data.length > 0
}
