import type { RefundPaymentInput } from "@medusajs/framework/types"
import {
  kopecksToRubles,
  rublesToKopecks,
  toKopecks,
  vatRateOf,
  type BasketItem,
  type RefundableBasketItem,
  type VatCode,
} from "../../core"
import { userError } from "./messages"
import type InvoiceboxProviderService from "./service"
import type { InvoiceboxPaymentData } from "./service"

interface Available {
  item: RefundableBasketItem
  kopecks: number
  quantity: number
}

export interface RefundHints {
  /** Medusa refund id (ref_…): the idempotency key of the refund. */
  refundId?: string
  description?: string
  /** Returned goods by SKU, when the refund pays for a received return. */
  returned?: Map<string, number>
}

/** A line of `quantity` units whose total is `totalKopecks`, with VAT worked out per line. */
function refundLine(source: BasketItem, quantity: number, totalKopecks: number): BasketItem {
  // Invoicebox checks totalAmount == amount × quantity; a total that does not divide goes as 1 unit.
  const exact = quantity > 0 && totalKopecks % quantity === 0
  const qty = exact ? quantity : 1
  const unit = totalKopecks / qty
  const rate = vatRateOf(source.vatCode as VatCode)
  const vat = Math.round((totalKopecks * rate) / (100 + rate))
  const unitVat = Math.round((unit * rate) / (100 + rate))
  return {
    sku: source.sku,
    name: source.name,
    measure: source.measure,
    measureCode: source.measureCode,
    quantity: qty,
    amount: kopecksToRubles(unit),
    amountWoVat: kopecksToRubles(unit - unitVat),
    totalAmount: kopecksToRubles(totalKopecks),
    totalVatAmount: kopecksToRubles(vat),
    vatCode: source.vatCode,
    type: source.type,
    paymentType: source.paymentType,
  }
}

/**
 * Picks refund lines worth exactly `amount` kopecks from what Invoicebox still holds refundable:
 * returned goods first when they account for the whole amount, otherwise whole lines, then whole
 * units, then the rest as one unit of the next line — never more than a line still holds.
 */
export function allocateRefund(available: RefundableBasketItem[], amount: number, returned?: Map<string, number>): BasketItem[] {
  const lines: Available[] = available
    .map((item) => ({
      item,
      kopecks: rublesToKopecks(item.availableAmount ?? item.totalAmount),
      quantity: Number(item.quantity),
    }))
    .filter((l) => l.kopecks > 0)

  if (returned?.size) {
    const picked: BasketItem[] = []
    let value = 0
    for (const l of lines) {
      const qty = returned.get(l.item.sku)
      if (!qty) continue
      const unit = l.kopecks / l.quantity
      const take = Math.min(qty, l.quantity)
      const total = take === l.quantity ? l.kopecks : Math.round(unit * take)
      value += total
      picked.push(refundLine(l.item, take, total))
    }
    if (value === amount && picked.length) return picked
  }

  const out: BasketItem[] = []
  let rest = amount
  for (const l of lines) {
    if (rest === 0) break
    if (rest >= l.kopecks) {
      out.push(refundLine(l.item, l.quantity, l.kopecks))
      rest -= l.kopecks
      continue
    }
    const unit = l.kopecks / l.quantity
    const whole = Number.isInteger(unit) ? Math.floor(rest / unit) : 0
    if (whole > 0 && whole * unit === rest) out.push(refundLine(l.item, whole, rest))
    else out.push(refundLine(l.item, 1, rest))
    rest = 0
  }
  return out
}

export async function refundInvoice(
  provider: InvoiceboxProviderService,
  data: InvoiceboxPaymentData,
  input: RefundPaymentInput,
  hints: RefundHints = {}
): Promise<InvoiceboxPaymentData> {
  const amount = toKopecks(input.amount as any)
  if (amount <= 0) {
    throw userError("INVALID_DATA", "Сумма возврата должна быть больше нуля", "The refund amount must be positive")
  }
  const orderId = data.invoicebox_order_id
  const refundId = hints.refundId ?? (input.context?.idempotency_key as string | undefined)
  const merchantOrderId = (refundId ?? `${data.merchant_order_id}-r${(data.refunds?.length ?? 0) + 1}`).slice(0, 100)

  // A retried Medusa refund must not refund twice: the refund's merchantOrderId is derived from
  // the Medusa refund, so an earlier attempt is found and reused.
  const existing = (data.refunds ?? []).find((r) => r.merchant_order_id === merchantOrderId)
  if (existing) return data

  const available = await provider.call("read the refundable basket", () => provider.client.getRefundableBasket(orderId))
  const availableTotal = available.reduce((s, i) => s + rublesToKopecks(i.availableAmount ?? i.totalAmount), 0)
  if (amount > availableTotal) {
    throw userError(
      "INVALID_DATA",
      `Нельзя вернуть ${kopecksToRubles(amount)}: по счёту ${orderId} к возврату доступно ${kopecksToRubles(availableTotal)}`,
      `Cannot refund ${kopecksToRubles(amount)}: only ${kopecksToRubles(availableTotal)} of invoice ${orderId} is still refundable`
    )
  }
  const basketItems = allocateRefund(available, amount, hints.returned)
  const vatAmount = basketItems.reduce((s, l) => s + rublesToKopecks(l.totalVatAmount), 0)
  const description = (hints.description ?? `Возврат по счёту ${data.merchant_order_id}`).slice(0, 1000)

  const { refund } = await provider.call("create the refund", () =>
    provider.client.createOrRecoverRefund({
      parentId: orderId,
      merchantOrderId,
      amount: kopecksToRubles(amount),
      vatAmount: kopecksToRubles(vatAmount),
      basketItems,
      description,
    })
  )
  return {
    ...data,
    refunds: [
      ...(data.refunds ?? []),
      {
        id: refund.id,
        merchant_order_id: merchantOrderId,
        amount_kopecks: rublesToKopecks(refund.amount),
        status: refund.status,
        ...(refundId ? { medusa_refund_id: refundId } : {}),
        source: "medusa",
        created_at: refund.createdAt,
      },
    ],
  }
}
