import type { BasketItem, RefundableBasketItem } from "./client/types"
import { unitsOfLine } from "./lines"
import { kopecksToRubles, rublesToKopecks } from "./money"

interface Available {
  item: RefundableBasketItem
  kopecks: number
  vat: number
  quantity: number
  /** The price paid for one unit: no refund line may carry more (see unitsOfLine). */
  unit: number
}

/** What Invoicebox still holds refundable for the line, in kopecks. */
export function refundableKopecks(item: RefundableBasketItem): number {
  return rublesToKopecks(item.availableAmount ?? item.totalAmount)
}

/**
 * All that is left of a line: its remaining money, and its remaining VAT exactly when the last
 * part can take the difference within the kopeck that amountWoVat × quantity + VAT may miss by.
 */
function exactRest(l: Available): BasketItem[] {
  const parts = unitsOfLine(l.item, l.unit, l.kopecks, l.vat)
  const vat = parts.reduce((sum, p) => sum + rublesToKopecks(p.totalVatAmount), 0)
  const last = parts[parts.length - 1]
  const lastVat = rublesToKopecks(last.totalVatAmount) + (l.vat - vat)
  if (Math.abs(l.vat - vat) <= 1 && lastVat >= 0 && lastVat <= rublesToKopecks(last.totalAmount)) {
    parts[parts.length - 1] = { ...last, totalVatAmount: kopecksToRubles(lastVat) }
  }
  return parts
}

function availableLines(available: RefundableBasketItem[]): Available[] {
  return available
    .map((item) => ({
      item,
      kopecks: refundableKopecks(item),
      vat: rublesToKopecks(item.availableVatAmount ?? item.totalVatAmount),
      quantity: Number(item.quantity),
      unit: rublesToKopecks(item.amount),
    }))
    .filter((l) => l.kopecks > 0)
}

/** The refund lines of returned goods (by SKU) and what they are worth on the invoice. */
function pickReturned(lines: Available[], returned: Map<string, number>): { picked: BasketItem[]; value: number } {
  const picked: BasketItem[] = []
  let value = 0
  for (const l of lines) {
    const qty = returned.get(l.item.sku)
    if (!qty) continue
    const take = Math.min(qty, l.quantity)
    const whole = take === l.quantity
    // Returned units are worth what one unit was paid, never more than the line still holds.
    const total = whole ? l.kopecks : Math.min(l.unit * take, l.kopecks)
    value += total
    picked.push(...(whole ? exactRest(l) : unitsOfLine(l.item, l.unit, total, l.vat)))
  }
  return { picked, value }
}

/**
 * What returned goods are worth on the invoice, in kopecks (0 when none of them is still
 * refundable): the amount a refund of exactly those goods takes back from the invoice.
 */
export function returnedValue(available: RefundableBasketItem[], returned: Map<string, number>): number {
  return pickReturned(availableLines(available), returned).value
}

/**
 * Picks refund lines worth exactly `amount` kopecks from an order's refundable basket: the
 * returned goods when they account for the whole amount; otherwise whole lines, then whole
 * units at the paid unit price, then the rest as one unit of the remainder — never more than a
 * line still holds, never a unit price above the paid one.
 * The caller checks `amount` against the refundable total first.
 */
export function allocateRefund(available: RefundableBasketItem[], amount: number, returned?: Map<string, number>): BasketItem[] {
  const lines = availableLines(available)
  if (returned?.size) {
    const { picked, value } = pickReturned(lines, returned)
    if (value === amount && picked.length) return picked
  }

  const out: BasketItem[] = []
  let rest = amount
  for (const l of lines) {
    if (rest === 0) break
    if (rest >= l.kopecks) {
      out.push(...exactRest(l))
      rest -= l.kopecks
      continue
    }
    out.push(...unitsOfLine(l.item, l.unit, rest, l.vat))
    rest = 0
  }
  return out
}
