import type { BasketItem } from "../client"
import { kopecksToRubles } from "../money"
import type { BasketLine } from "./types"

/** Kopecks -> the wire `BasketItem` (rubles, at most two decimals); `source` stays behind. */
export function toWireBasketItems(lines: readonly BasketLine[]): BasketItem[] {
  const out: BasketItem[] = new Array(lines.length)
  for (let j = 0; j < lines.length; j++) {
    const l = lines[j]
    out[j] = {
      sku: l.sku,
      name: l.name,
      measure: l.measure,
      measureCode: l.measureCode,
      quantity: l.quantity,
      amount: kopecksToRubles(l.amount),
      amountWoVat: kopecksToRubles(l.amountWoVat),
      totalAmount: kopecksToRubles(l.totalAmount),
      totalVatAmount: kopecksToRubles(l.totalVatAmount),
      vatCode: l.vatCode,
      type: l.type,
      paymentType: l.paymentType,
    }
  }
  return out
}
