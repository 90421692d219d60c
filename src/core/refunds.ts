import type { BasketItem, RefundableBasketItem } from "./client/types"
import { partOfLine } from "./lines"
import { kopecksToRubles, rublesToKopecks } from "./money"

interface Available {
  item: RefundableBasketItem
  kopecks: number
  vat: number
  quantity: number
}

/** What Invoicebox still holds refundable for the line, in kopecks. */
export function refundableKopecks(item: RefundableBasketItem): number {
  return rublesToKopecks(item.availableAmount ?? item.totalAmount)
}

/** All that is left of a line: its remaining money and VAT exactly. */
function exactRest(l: Available): BasketItem {
  const line = partOfLine(l.item, l.quantity, l.kopecks, l.vat)
  return { ...line, totalVatAmount: kopecksToRubles(l.vat) }
}

function availableLines(available: RefundableBasketItem[]): Available[] {
  return available
    .map((item) => ({
      item,
      kopecks: refundableKopecks(item),
      vat: rublesToKopecks(item.availableVatAmount ?? item.totalVatAmount),
      quantity: Number(item.quantity),
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
    const total = whole ? l.kopecks : Math.round((l.kopecks / l.quantity) * take)
    value += total
    picked.push(whole ? exactRest(l) : partOfLine(l.item, take, total, l.vat))
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
 * units, then the rest as one unit of the next line — never more than a line still holds.
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
      out.push(exactRest(l))
      rest -= l.kopecks
      continue
    }
    const unit = l.kopecks / l.quantity
    const whole = Number.isInteger(unit) && rest % unit === 0 ? rest / unit : 1
    out.push(partOfLine(l.item, whole, rest, l.vat))
    rest = 0
  }
  return out
}
