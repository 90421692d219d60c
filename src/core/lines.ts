import type { BasketItem } from "./client/types"
import { kopecksToRubles } from "./money"
import { vatRateOf, type VatCode } from "./vat"

/**
 * A wire line for `quantity` units of an invoice line, worth `totalKopecks` in all: used for
 * refunds and shipments, which name parts of the invoice's lines. Invoicebox checks
 * totalAmount == amount × quantity, so a total that does not divide by the quantity goes as one
 * unit carrying the whole amount (the form Invoicebox documents for partial refunds).
 */
export function partOfLine(source: BasketItem, quantity: number, totalKopecks: number): BasketItem {
  const qty = quantity > 0 && totalKopecks % quantity === 0 ? quantity : 1
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
