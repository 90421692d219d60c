import type { BasketItem } from "./client/types"
import { kopecksToRubles, rublesToKopecks } from "./money"
import { unitFirstVat, unitWithoutVat, vatRateOf, type VatCode } from "./vat"

/**
 * A wire line for `quantity` units of an invoice line, worth `totalKopecks` in all: used for
 * refunds and shipments, which name parts of the invoice's lines. Invoicebox checks
 * totalAmount == amount × quantity, so a total that does not divide by the quantity goes as one
 * unit carrying the whole amount; callers keep such a unit at or below the line's own price.
 * VAT unit first, like the invoice's lines (see buildBasket): the part's VAT is what its units
 * without VAT leave of its total, never more than the line has left (`vatLimitKopecks`).
 */
export function partOfLine(source: BasketItem, quantity: number, totalKopecks: number, vatLimitKopecks?: number): BasketItem {
  const qty = quantity > 0 && totalKopecks % quantity === 0 ? quantity : 1
  const unit = totalKopecks / qty
  const rate = vatRateOf(source.vatCode as VatCode)
  // A part at the line's own price keeps the line's amountWoVat, so parts add up to the line.
  const woVat = rublesToKopecks(source.amount) === unit ? rublesToKopecks(source.amountWoVat) : unitWithoutVat(unit, rate)
  const vat = unitFirstVat(totalKopecks, woVat, qty)
  return {
    sku: source.sku,
    name: source.name,
    measure: source.measure,
    measureCode: source.measureCode,
    quantity: qty,
    amount: kopecksToRubles(unit),
    amountWoVat: kopecksToRubles(woVat),
    totalAmount: kopecksToRubles(totalKopecks),
    totalVatAmount: kopecksToRubles(vatLimitKopecks === undefined ? vat : Math.min(vat, vatLimitKopecks)),
    vatCode: source.vatCode,
    type: source.type,
    paymentType: source.paymentType,
  }
}

/**
 * Lines worth `totalKopecks` of an invoice line whose unit price is `unitKopecks`: whole units at
 * that price first, then what is left as one unit of the remainder, so that no line ever carries a
 * unit price above what was paid for one unit (a refund of 500.00 on goods at 389.90 each is
 * 1 × 389.90 + 1 × 110.10, not 1 × 500.00).
 */
export function unitsOfLine(source: BasketItem, unitKopecks: number, totalKopecks: number, vatLimitKopecks?: number): BasketItem[] {
  const whole = unitKopecks > 0 ? Math.floor(totalKopecks / unitKopecks) : 0
  const rest = totalKopecks - whole * unitKopecks
  const out: BasketItem[] = []
  let vatLeft = vatLimitKopecks
  if (whole > 0) {
    const part = partOfLine(source, whole, whole * unitKopecks, vatLeft)
    out.push(part)
    if (vatLeft !== undefined) vatLeft -= rublesToKopecks(part.totalVatAmount)
  }
  if (rest > 0) out.push(partOfLine(source, 1, rest, vatLeft))
  return out
}
