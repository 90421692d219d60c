import type { BasketItem } from "./client/types"
import { kopecksToRubles } from "./money"
import { vatRateOf, type VatCode } from "./vat"

/**
 * A wire line for `quantity` units of an invoice line, worth `totalKopecks` in all: used for
 * refunds and shipments, which name parts of the invoice's lines. Invoicebox checks
 * totalAmount == amount × quantity, so a total that does not divide by the quantity goes as one
 * unit carrying the whole amount (the form Invoicebox documents for partial refunds).
 */
export function partOfLine(source: BasketItem, quantity: number, totalKopecks: number, vatLimitKopecks?: number): BasketItem {
  const qty = quantity > 0 && totalKopecks % quantity === 0 ? quantity : 1
  const unit = totalKopecks / qty
  const rate = vatRateOf(source.vatCode as VatCode)
  // The invoice's line VAT may sit a kopeck off the formula (it was reconciled to the order's
  // VAT): a part never claims more VAT than the line has left, and the whole rest takes it all.
  const exactVat = Math.round((totalKopecks * rate) / (100 + rate))
  const vat = vatLimitKopecks === undefined ? exactVat : Math.min(exactVat, vatLimitKopecks)
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
