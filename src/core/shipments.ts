import type { BasketItem } from "./client/types"
import { partOfLine } from "./lines"
import { rublesToKopecks } from "./money"

export interface ShipmentPlanInput {
  /** The invoice's lines (the order as Invoicebox knows it). */
  invoiceLines: BasketItem[]
  /** Lines of the shipments registered before. */
  shippedLines: BasketItem[]
  /** Units to ship now, by SKU. */
  quantities: Map<string, number>
  /** SKUs shipped whole with the first shipment (delivery lines). */
  shipWithFirst?: (sku: string) => boolean
}

/**
 * Lines of the next Invoicebox shipment: the units shipped now taken from the invoice lines in
 * order, after what earlier shipments took, so partial shipments add up to the order and never
 * go beyond it. Invoice lines of one SKU may differ in unit price (a split discounted line); each
 * part keeps the price of the line it comes from.
 */
export function planShipment({ invoiceLines, shippedLines, quantities, shipWithFirst }: ShipmentPlanInput): BasketItem[] {
  const shippedBySku = new Map<string, number>()
  for (const l of shippedLines) shippedBySku.set(l.sku, (shippedBySku.get(l.sku) ?? 0) + Number(l.quantity))
  const firstShipment = shippedLines.length === 0

  const out: BasketItem[] = []
  const wanted = new Map(quantities)
  for (const line of invoiceLines) {
    const qty = Number(line.quantity)
    const before = shippedBySku.get(line.sku) ?? 0
    const consumedHere = Math.min(before, qty)
    shippedBySku.set(line.sku, before - consumedHere)
    const left = qty - consumedHere

    if (shipWithFirst?.(line.sku)) {
      if (firstShipment && left > 0) out.push(partOfLine(line, left, Math.round((rublesToKopecks(line.totalAmount) / qty) * left)))
      continue
    }
    const want = wanted.get(line.sku) ?? 0
    const take = Math.min(want, left)
    if (take <= 0) continue
    const whole = take === qty
    const total = whole ? rublesToKopecks(line.totalAmount) : rublesToKopecks(line.amount) * take
    const part = partOfLine(line, take, total, rublesToKopecks(line.totalVatAmount))
    out.push(whole ? { ...part, totalVatAmount: line.totalVatAmount } : part)
    wanted.set(line.sku, want - take)
  }
  return out
}
