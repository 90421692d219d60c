import { randomUUID } from "node:crypto"
import { Modules } from "@medusajs/framework/utils"
import type { ILockingModule, RefundPaymentInput } from "@medusajs/framework/types"
import {
  InvoiceboxValidationError,
  allocateRefund,
  kopecksToRubles,
  refundableKopecks,
  rublesToKopecks,
  toKopecks,
  type InvoiceboxRefund,
} from "../../core"
import { rootContainer } from "../../lib/medusa-internals"
import { invoiceboxModule } from "../../lib/plugin-module"
import type InvoiceboxModuleService from "../../modules/invoicebox/service"
import { userError } from "./messages"
import { feeFor, refundWithFeeLocked } from "./refund-fee"
import { loadRefundContext, type RefundContext } from "./refund-hints"
import type { InvoiceboxPaymentData } from "./session-data"
import type InvoiceboxProviderService from "./service"

/** The note the refund sync puts on the Medusa refund that books a cabinet refund. */
export const CABINET_NOTE_PREFIX = "Invoicebox cabinet"
export const cabinetNote = (invoiceboxRefundId: string) => `${CABINET_NOTE_PREFIX}: refund ${invoiceboxRefundId}`
export const cabinetMerchantOrderId = (invoiceboxRefundId: string) => `cabinet:${invoiceboxRefundId}`

/** Refunds of one invoice are worked out one after the other: each reads what the last one left. */
export const refundLockKey = (invoiceId: string) => `invoicebox:refund:${invoiceId}`
const REFUND_LOCK_SECONDS = 120

type RefundRow = Awaited<ReturnType<InvoiceboxModuleService["listInvoiceboxRefunds"]>>[number]

/**
 * Refunds an invoice for a Medusa refund. The refund row is written before Invoicebox is called
 * and keyed by the Medusa refund id (also the Invoicebox refund's merchantOrderId), so a retry
 * never refunds twice, the refund sync recognises the refund even if its answer was lost, and a
 * cabinet refund being booked by the sync is never sent to Invoicebox again.
 */
export async function refundInvoice(
  provider: InvoiceboxProviderService,
  data: InvoiceboxPaymentData,
  input: RefundPaymentInput
): Promise<InvoiceboxPaymentData> {
  const amount = toKopecks(input.amount as never)
  if (amount <= 0) throw userError("INVALID_DATA", "Сумма возврата должна быть больше нуля", "The refund amount must be positive")
  const refundId = (input.context?.idempotency_key as string | undefined) || `ibxref_${randomUUID()}`
  const ctx = await loadRefundContext(provider, refundId, data)
  const store = invoiceboxModule()

  // The sync books a refund Medusa does not know (made in the cabinet, or sent by an attempt Medusa
  // rolled back) through Medusa's refund workflow: the money went back already.
  const cabinet = ctx.note?.startsWith(`${CABINET_NOTE_PREFIX}: refund `) ? ctx.note.slice(`${CABINET_NOTE_PREFIX}: refund `.length) : null
  if (cabinet && ctx.paymentId && (await store.claimCabinetRefund(ctx.paymentId, cabinet, refundId))) {
    provider.logger.info(`Invoicebox: Medusa refund ${refundId} books cabinet refund ${cabinet}; nothing sent to Invoicebox`)
    return data
  }

  const locking = rootContainer().resolve<ILockingModule>(Modules.LOCKING)
  await locking.execute(refundLockKey(data.invoicebox_order_id), () => refundLocked(provider, store, data, amount, refundId, ctx), {
    timeout: REFUND_LOCK_SECONDS,
  })
  return data
}

async function refundLocked(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  data: InvoiceboxPaymentData,
  amount: number,
  refundId: string,
  ctx: RefundContext
): Promise<void> {
  const invoiceId = data.invoicebox_order_id
  const withFee = await feeFor(provider, store, data, amount, refundId, ctx)
  if (withFee) return refundWithFeeLocked(provider, store, data, amount, refundId, ctx, withFee.fee, withFee.available)
  const [mine] = await store.listInvoiceboxRefunds({ merchant_order_id: refundId })
  if (mine && mine.status !== "failed" && mine.status !== "sending") return // the same Medusa refund, retried

  if (!mine && (await adoptLostRefund(provider, store, data, amount, refundId, ctx))) return

  const row =
    mine ??
    (await store.createInvoiceboxRefunds({
      provider_id: provider.providerId,
      payment_id: ctx.paymentId ?? "",
      invoicebox_order_id: invoiceId,
      merchant_order_id: refundId,
      medusa_refund_id: refundId,
      amount_kopecks: amount,
      status: "sending",
      source: "medusa",
      description: ctx.description.slice(0, 1000),
    }))

  const available = await provider.call("read the refundable basket", () => provider.client.getRefundableBasket(invoiceId))
  const availableTotal = available.reduce((s, i) => s + refundableKopecks(i), 0)
  if (amount > availableTotal) {
    await store.updateInvoiceboxRefunds({ id: row.id, status: "failed", error: "refund_amount_exceeded" })
    throw userError(
      "INVALID_DATA",
      `Нельзя вернуть ${kopecksToRubles(amount)}: по счёту ${invoiceId} к возврату доступно ${kopecksToRubles(availableTotal)}`,
      `Cannot refund ${kopecksToRubles(amount)}: only ${kopecksToRubles(availableTotal)} of invoice ${invoiceId} is still refundable`
    )
  }
  const basketItems = allocateRefund(available, amount, ctx.returned)
  const vatAmount = basketItems.reduce((s, l) => s + rublesToKopecks(l.totalVatAmount), 0)
  let refund: InvoiceboxRefund
  try {
    ;({ refund } = await provider.client.createOrRecoverRefund({
      parentId: invoiceId,
      merchantOrderId: refundId,
      amount: kopecksToRubles(amount),
      vatAmount: kopecksToRubles(vatAmount),
      basketItems,
      description: ctx.description.slice(0, 1000),
    }))
  } catch (e) {
    // A refusal is final; an unknown outcome keeps `sending`, so the admin's retry (or the sync) finds it.
    const refused = e instanceof InvoiceboxValidationError
    await store.updateInvoiceboxRefunds({ id: row.id, status: refused ? "failed" : "sending", error: (e as Error).message.slice(0, 1000) })
    throw provider.toMedusaError("create the refund", e)
  }
  await store.updateInvoiceboxRefunds({
    id: row.id,
    invoicebox_refund_id: refund.id,
    status: refund.status,
    amount_kopecks: rublesToKopecks(refund.amount),
    vat_amount_kopecks: vatAmount,
    error: null,
    invoicebox_created_at: refund.createdAt ? new Date(refund.createdAt) : new Date(),
  })
  await store.refreshRefundedTotal(invoiceId)
}

/**
 * An earlier attempt whose answer was lost may already have refunded this money under the id of
 * a Medusa refund that no longer exists (Medusa deletes its refund when the provider throws); the
 * admin's retry has a new id. Adopt that refund instead of paying the money out twice.
 */
async function adoptLostRefund(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  data: InvoiceboxPaymentData,
  amount: number,
  refundId: string,
  ctx: RefundContext
): Promise<boolean> {
  const rows = await store.listInvoiceboxRefunds({ invoicebox_order_id: data.invoicebox_order_id })
  const byMerchantOrderId = new Map<string, RefundRow>(rows.map((r) => [r.merchant_order_id, r]))
  const remote = await provider.call("read the refunds", () =>
    provider.client.findRefunds({ parentId: data.invoicebox_order_id }, { pageSize: 100 })
  )
  for (const r of remote.items) {
    if (r.status === "canceled" || !r.merchantOrderId?.startsWith("ref_") || r.merchantOrderId === refundId) continue
    if (rublesToKopecks(r.amount) !== amount) continue
    const row = byMerchantOrderId.get(r.merchantOrderId)
    if (row && row.status !== "sending") continue // booked already
    if (!(await ctx.isMedusaRefundGone(r.merchantOrderId))) continue
    const fields = {
      invoicebox_refund_id: r.id,
      medusa_refund_id: refundId,
      status: r.status,
      error: null,
      invoicebox_created_at: r.createdAt ? new Date(r.createdAt) : null,
    }
    if (row) await store.updateInvoiceboxRefunds({ id: row.id, ...fields })
    else {
      await store.createInvoiceboxRefunds({
        provider_id: provider.providerId,
        payment_id: ctx.paymentId ?? "",
        invoicebox_order_id: data.invoicebox_order_id,
        merchant_order_id: r.merchantOrderId,
        amount_kopecks: amount,
        source: "medusa",
        description: r.description ?? null,
        ...fields,
      })
    }
    await store.refreshRefundedTotal(data.invoicebox_order_id)
    provider.logger.warn(`Invoicebox: refund ${r.id} (of lost attempt ${r.merchantOrderId}) adopted by Medusa refund ${refundId}`)
    return true
  }
  return false
}
