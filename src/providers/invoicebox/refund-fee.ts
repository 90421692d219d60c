import {
  InvoiceboxValidationError,
  allocateRefund,
  kopecksToRubles,
  refundableKopecks,
  returnedValue,
  rublesToKopecks,
  toInvoiceboxDateTime,
  vatRateOf,
  type BasketItem,
  type InvoiceboxRefund,
  type RefundableBasketItem,
} from "../../core"
import type InvoiceboxModuleService from "../../modules/invoicebox/service"
import { userError } from "./messages"
import { FEE_VAT_CODES, type FeeVatCode } from "./options"
import type { RefundContext } from "./refund-hints"
import type { InvoiceboxPaymentData } from "./session-data"
import type InvoiceboxProviderService from "./service"

/**
 * Refunds with a fee or penalty (InvoiceBox/docs docs/merchant/refund/correction.md): the refund
 * is created as a `draft` for the goods' full value, then a correction order whose `parentId` is
 * that refund holds the fee line; Invoicebox pays the buyer the refund minus the correction and
 * issues a full return receipt plus a receipt for the fee.
 */

/** Where the admin's refund with a fee leaves its key on the Medusa refund. */
export const FEE_METADATA_KEY = "invoicebox_fee_key"
export const FEE_KEY_PREFIX = "ibxfee_"
/** The correction order has a payment term like any order; it is paid from the refund at once. */
const CORRECTION_TERM_MS = 24 * 3600_000

export interface FeeLine {
  name: string
  vat_code: FeeVatCode
  type: "service" | "commodity"
}

export interface FeeRequest {
  /** The Invoicebox refund's merchantOrderId: stays the same across Medusa's rollbacks and the admin's retries. */
  key: string
  feeKopecks: number
  line: FeeLine
  /** `admin`: the widget's form; `return`: a received return refunded for less than its goods. */
  origin: "admin" | "return"
}

type RefundRow = Awaited<ReturnType<InvoiceboxModuleService["listInvoiceboxRefunds"]>>[number]

export const correctionMerchantOrderId = (key: string) => `${key}-fee`

export function isFeeLine(value: unknown): value is FeeLine {
  const v = value as FeeLine
  return (
    !!v &&
    typeof v.name === "string" &&
    v.name.trim().length > 0 &&
    v.name.length <= 500 &&
    (FEE_VAT_CODES as readonly string[]).includes(v.vat_code) &&
    (v.type === "service" || v.type === "commodity")
  )
}

/** The VAT inside a fee, rounded half-up to the kopeck like every line of the plugin. */
export function feeVatKopecks(line: Pick<FeeLine, "vat_code">, kopecks: number): number {
  const rate = vatRateOf(line.vat_code)
  return Math.round((kopecks * rate) / (100 + rate))
}

/** The fee line of the correction order: one unit, VAT included in the price, kopeck-exact. */
export function feeBasketItem(line: FeeLine, kopecks: number, measure: { measure: string; measureCode: string }): BasketItem {
  const vat = feeVatKopecks(line, kopecks)
  return {
    sku: "fee",
    name: line.name.trim(),
    measure: measure.measure,
    measureCode: measure.measureCode,
    quantity: 1,
    amount: kopecksToRubles(kopecks),
    amountWoVat: kopecksToRubles(kopecks - vat),
    totalAmount: kopecksToRubles(kopecks),
    totalVatAmount: kopecksToRubles(vat),
    vatCode: line.vat_code,
    type: line.type,
    // The fee is charged when the refund is made: a full settlement, not a prepayment.
    paymentType: "full_payment",
  }
}

/**
 * The fee of this refund, if any: the one the admin asked for (its row, written by the admin
 * route, named by the Medusa refund's metadata), or, when the merchant opted in, the difference
 * between a received return's goods and a smaller refund.
 */
export async function feeFor(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  data: InvoiceboxPaymentData,
  payout: number,
  refundId: string,
  ctx: RefundContext
): Promise<{ fee: FeeRequest; available?: RefundableBasketItem[] } | null> {
  const key = ctx.metadata?.[FEE_METADATA_KEY]
  if (typeof key === "string" && key.startsWith(FEE_KEY_PREFIX)) {
    const [row] = await store.listInvoiceboxRefunds({ merchant_order_id: key })
    if (!row || !isFeeLine(row.fee_line) || row.invoicebox_order_id !== data.invoicebox_order_id) {
      throw userError("INVALID_DATA", `Возврат с удержанием ${key} не найден`, `The refund with a fee ${key} was not found`)
    }
    if (Number(row.amount_kopecks) !== payout) {
      throw userError(
        "INVALID_DATA",
        `Сумма возврата ${kopecksToRubles(payout)} не совпадает с оформленной (${kopecksToRubles(Number(row.amount_kopecks))})`,
        `The refund amount ${kopecksToRubles(payout)} differs from the one prepared (${kopecksToRubles(Number(row.amount_kopecks))})`
      )
    }
    return { fee: { key, feeKopecks: Number(row.fee_kopecks), line: row.fee_line, origin: "admin" } }
  }
  const options = provider.options
  if (!options.returnFee || !ctx.returnId || !ctx.returned?.size) return null
  const returnKey = `${FEE_KEY_PREFIX}${ctx.returnId}`
  const [earlier] = await store.listInvoiceboxRefunds({ merchant_order_id: returnKey })
  // One fee per return: a later refund of the same return is a plain one.
  if (earlier && earlier.medusa_refund_id && earlier.medusa_refund_id !== refundId && !(await ctx.isMedusaRefundGone(earlier.medusa_refund_id))) {
    return null
  }
  if (earlier) return { fee: { key: returnKey, feeKopecks: Number(earlier.fee_kopecks), line: earlier.fee_line as unknown as FeeLine, origin: "return" } }
  const available = await provider.call("read the refundable basket", () => provider.client.getRefundableBasket(data.invoicebox_order_id))
  const value = returnedValue(available, ctx.returned)
  if (value <= payout) return null
  const line: FeeLine = { name: options.returnFeeName, vat_code: options.returnFeeVatCode, type: options.returnFeeItemType }
  return { fee: { key: returnKey, feeKopecks: value - payout, line, origin: "return" }, available }
}

/**
 * The refund with a fee, under the invoice's refund lock. The row is written (by the admin route,
 * or here) before Invoicebox is called and keyed by the fee key, so a retry after a lost answer
 * finds the same draft and the same correction order instead of sending new ones.
 */
export async function refundWithFeeLocked(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  data: InvoiceboxPaymentData,
  payout: number,
  refundId: string,
  ctx: RefundContext,
  fee: FeeRequest,
  available?: RefundableBasketItem[]
): Promise<void> {
  let row = await bindFeeRow(provider, store, data, payout, refundId, ctx, fee)
  if (row.status === "created" || row.status === "completed") return // done by an earlier attempt; this refund books it
  const refund = await ensureDraft(provider, store, row, data, ctx, available)
  row = (await store.listInvoiceboxRefunds({ id: row.id }))[0]
  if (refund.status === "draft") await correct(provider, store, row, data, refund, ctx)
  else await store.updateInvoiceboxRefunds({ id: row.id, status: refund.status, error: null })
  await store.refreshRefundedTotal(data.invoicebox_order_id)
}

async function bindFeeRow(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  data: InvoiceboxPaymentData,
  payout: number,
  refundId: string,
  ctx: RefundContext,
  fee: FeeRequest
): Promise<RefundRow> {
  const [row] = await store.listInvoiceboxRefunds({ merchant_order_id: fee.key })
  if (!row) {
    return store.createInvoiceboxRefunds(
      feeRowFields(provider, data, { payout, fee, paymentId: ctx.paymentId ?? "", description: ctx.description, medusaRefundId: refundId })
    )
  }
  if (row.medusa_refund_id && row.medusa_refund_id !== refundId && !(await ctx.isMedusaRefundGone(row.medusa_refund_id))) {
    throw userError(
      "NOT_ALLOWED",
      `Этот возврат с удержанием уже оформлен (возврат Medusa ${row.medusa_refund_id})`,
      `This refund with a fee was made already (Medusa refund ${row.medusa_refund_id})`
    )
  }
  if (row.medusa_refund_id !== refundId) {
    // The earlier Medusa refund was rolled back (its answer was lost): this one takes the row over.
    await store.updateInvoiceboxRefunds({ id: row.id, medusa_refund_id: refundId, payment_id: row.payment_id || ctx.paymentId || "" })
  }
  return (await store.listInvoiceboxRefunds({ id: row.id }))[0]
}

/** The columns of a refund row with a fee; the admin route writes the same row before Medusa's refund exists. */
export function feeRowFields(
  provider: Pick<InvoiceboxProviderService, "providerId">,
  data: Pick<InvoiceboxPaymentData, "invoicebox_order_id">,
  input: { payout: number; fee: FeeRequest; paymentId: string; description: string; medusaRefundId?: string | null }
) {
  return {
    provider_id: provider.providerId,
    payment_id: input.paymentId,
    invoicebox_order_id: data.invoicebox_order_id,
    merchant_order_id: input.fee.key,
    medusa_refund_id: input.medusaRefundId ?? null,
    amount_kopecks: input.payout,
    gross_kopecks: input.payout + input.fee.feeKopecks,
    fee_kopecks: input.fee.feeKopecks,
    fee_vat_kopecks: feeVatKopecks(input.fee.line, input.fee.feeKopecks),
    fee_line: { ...input.fee.line },
    correction_merchant_order_id: correctionMerchantOrderId(input.fee.key),
    status: "sending",
    source: "medusa" as const,
    description: input.description.slice(0, 1000),
  }
}

/** The draft refund for the goods' full value: found again after a lost answer, else created. */
async function ensureDraft(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  row: RefundRow,
  data: InvoiceboxPaymentData,
  ctx: RefundContext,
  known?: RefundableBasketItem[]
): Promise<InvoiceboxRefund> {
  const invoiceId = data.invoicebox_order_id
  // A draft already holds its lines, so after a lost answer the refundable basket no longer shows
  // them: look the refund up by its merchantOrderId before reading what is left.
  const found = await provider.call("read the refunds", () =>
    provider.client.findRefunds({ parentId: invoiceId, merchantOrderId: row.merchant_order_id }, { pageSize: 100 })
  )
  const existing = found.items.find((r) => r.merchantOrderId === row.merchant_order_id && r.parentId === invoiceId && r.status !== "canceled")
  if (existing) {
    await store.updateInvoiceboxRefunds({ id: row.id, invoicebox_refund_id: existing.id, status: existing.status === "draft" ? "draft" : existing.status, error: null })
    return existing
  }
  const gross = Number(row.gross_kopecks)
  const available = known ?? (await provider.call("read the refundable basket", () => provider.client.getRefundableBasket(invoiceId)))
  const availableTotal = available.reduce((s, i) => s + refundableKopecks(i), 0)
  if (gross > availableTotal) {
    await store.updateInvoiceboxRefunds({ id: row.id, status: "failed", error: "refund_amount_exceeded" })
    throw userError(
      "INVALID_DATA",
      `Нельзя вернуть ${kopecksToRubles(gross)} (возврат с удержанием): по счёту ${invoiceId} к возврату доступно ${kopecksToRubles(availableTotal)}`,
      `Cannot refund ${kopecksToRubles(gross)} (a refund with a fee): only ${kopecksToRubles(availableTotal)} of invoice ${invoiceId} is still refundable`
    )
  }
  const basketItems = allocateRefund(available, gross, ctx.returned)
  const vatAmount = basketItems.reduce((s, l) => s + rublesToKopecks(l.totalVatAmount), 0)
  try {
    const { refund } = await provider.client.createOrRecoverRefund({
      parentId: invoiceId,
      merchantOrderId: row.merchant_order_id,
      amount: kopecksToRubles(gross),
      vatAmount: kopecksToRubles(vatAmount),
      basketItems,
      description: (row.description ?? ctx.description).slice(0, 1000),
      status: "draft",
    })
    await store.updateInvoiceboxRefunds({
      id: row.id,
      invoicebox_refund_id: refund.id,
      status: refund.status === "draft" ? "draft" : refund.status,
      vat_amount_kopecks: vatAmount,
      error: null,
      invoicebox_created_at: refund.createdAt ? new Date(refund.createdAt) : new Date(),
    })
    return refund
  } catch (e) {
    const refused = e instanceof InvoiceboxValidationError
    await store.updateInvoiceboxRefunds({ id: row.id, status: refused ? "failed" : "sending", error: (e as Error).message.slice(0, 1000) })
    throw provider.toMedusaError("create the refund", e)
  }
}

/**
 * The correction order holding the fee, `parentId` = the draft refund. Its merchantOrderId was
 * fixed when the row was written, so after a lost answer the client finds the order it already
 * made (createOrRecoverCorrectionOrder) and the fee is never charged twice.
 */
async function correct(
  provider: InvoiceboxProviderService,
  store: InvoiceboxModuleService,
  row: RefundRow,
  data: InvoiceboxPaymentData,
  refund: InvoiceboxRefund,
  ctx: RefundContext
): Promise<void> {
  const invoiceId = data.invoicebox_order_id
  const invoice = await provider.call("read the invoice", () => provider.client.getOrder(invoiceId))
  if (!invoice) throw userError("NOT_FOUND", `Счёт ${invoiceId} не найден в Инвойсбокс`, `Invoice ${invoiceId} was not found in Invoicebox`)
  const fee = Number(row.fee_kopecks)
  const line = row.fee_line as unknown as FeeLine
  const options = provider.options
  const item = feeBasketItem(line, fee, { measure: options.defaultMeasure, measureCode: options.defaultMeasureCode })
  const merchantOrderId = row.correction_merchant_order_id ?? correctionMerchantOrderId(row.merchant_order_id)
  let orderId: string
  try {
    const { order } = await provider.client.createOrRecoverCorrectionOrder({
      parentId: refund.id,
      description: `${line.name.trim()} — возврат по заказу №${ctx.orderNumber ?? data.merchant_order_id}`.slice(0, 1000),
      merchantId: invoice.merchantId || options.merchantId,
      merchantOrderId,
      amount: item.totalAmount,
      vatAmount: item.totalVatAmount,
      currencyId: invoice.currencyId,
      languageId: invoice.languageId ?? options.languageId,
      expirationDate: toInvoiceboxDateTime(new Date(Date.now() + CORRECTION_TERM_MS)),
      basketItems: [item],
      // The fee is the same buyer's: the fiscal receipt for it goes to them (correction.md:48-49).
      customer: invoice.customer ?? { type: "legal" },
    })
    orderId = order.id
  } catch (e) {
    // The draft stays; the retry sends the same correction (or finds it, if this one went through).
    await store.updateInvoiceboxRefunds({ id: row.id, status: "draft", error: (e as Error).message.slice(0, 1000) })
    throw provider.toMedusaError("create the correction order (the fee)", e)
  }
  const after = await provider
    .call("read the refund", () => provider.client.findRefunds({ id: refund.id }, { pageSize: 1 }))
    .then((p) => p.items.find((r) => r.id === refund.id))
    .catch(() => undefined)
  const reported = after ? rublesToKopecks(after.amount) : null
  // Invoicebox recalculates the refund to gross − fee (correction.md:17); a refund still showing its
  // gross is accepted too, but anything else is worth a look.
  if (reported !== null && reported !== Number(row.amount_kopecks) && reported !== Number(row.gross_kopecks)) {
    provider.logger.warn(
      `Invoicebox: refund ${refund.id} reads ${kopecksToRubles(reported)} after its correction; expected ${kopecksToRubles(Number(row.amount_kopecks))}`
    )
  }
  await store.updateInvoiceboxRefunds({
    id: row.id,
    correction_order_id: orderId,
    status: after && after.status !== "draft" ? after.status : "created",
    error: null,
  })
}
