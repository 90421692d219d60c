import fc from "fast-check"
import { allocateRefund, planShipment, returnedValue, type BasketItem } from "../index"
import { feeBasketItem } from "../../providers/invoicebox/refund-fee"

const k = (rubles: number) => Math.round(rubles * 100)
const rub = (kopecks: number) => kopecks / 100
const RATES: Record<string, number> = { VATNONE: 0, RUS_VAT0: 0, RUS_VAT10: 10, RUS_VAT20: 20, RUS_VAT22: 22 }

/** Invoicebox's per-line arithmetic, written independently of the code under test. */
function expectValidLine(l: BasketItem) {
  const total = k(l.totalAmount)
  const rate = RATES[l.vatCode]
  expect(total).toBe(Math.round(k(l.amount) * l.quantity))
  // Unit first (InvoiceBox/1c-bitrix handler.php:713-716; InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98)
  expect(Math.abs(k(l.amountWoVat) - (k(l.amount) * 100) / (100 + rate))).toBeLessThanOrEqual(1)
  expect(Math.abs(k(l.amountWoVat) * l.quantity + k(l.totalVatAmount) - total)).toBeLessThanOrEqual(1)
  expect(total).toBeGreaterThanOrEqual(0)
}

function line(sku: string, quantity: number, unitKopecks: number, vatCode = "RUS_VAT22"): BasketItem {
  const total = unitKopecks * quantity
  const rate = RATES[vatCode]
  return {
    sku,
    name: `Товар ${sku}`,
    measure: "шт",
    measureCode: "796",
    quantity,
    amount: rub(unitKopecks),
    amountWoVat: rub(Math.round((unitKopecks * 100) / (100 + rate))),
    totalAmount: rub(total),
    totalVatAmount: rub(total - Math.round((unitKopecks * 100) / (100 + rate)) * quantity),
    vatCode,
    type: "commodity",
    paymentType: "full_prepayment",
  }
}

const sum = (ls: BasketItem[], f: (l: BasketItem) => number) => ls.reduce((s, l) => s + f(l), 0)

const basketArb = fc
  .array(
    fc.record({
      quantity: fc.integer({ min: 1, max: 50 }),
      unit: fc.integer({ min: 1, max: 5_000_000 }),
      vat: fc.constantFrom("VATNONE", "RUS_VAT0", "RUS_VAT10", "RUS_VAT20", "RUS_VAT22"),
    }),
    { minLength: 1, maxLength: 20 }
  )
  .map((ls) => ls.map((l, i) => line(`SKU-${i}`, l.quantity, l.unit, l.vat)))

describe("allocateRefund", () => {
  it("refunds exactly the asked amount, within each line's refundable part, with valid arithmetic", () => {
    fc.assert(
      fc.property(basketArb, fc.double({ min: 0, max: 1, noNaN: true }), (basket, share) => {
        const total = sum(basket, (l) => k(l.totalAmount))
        const amount = Math.max(1, Math.floor(total * share))
        const lines = allocateRefund(basket, amount)
        expect(sum(lines, (l) => k(l.totalAmount))).toBe(amount)
        for (const l of lines) {
          expectValidLine(l)
          const source = basket.find((b) => b.sku === l.sku)!
          expect(k(l.totalAmount)).toBeLessThanOrEqual(k(source.totalAmount))
          expect(l.quantity).toBeLessThanOrEqual(source.quantity)
          // never a unit price above what one unit was paid
          expect(k(l.amount)).toBeLessThanOrEqual(k(source.amount))
        }
        // whole units at the paid price, then at most one unit of the remainder
        for (const sku of new Set(lines.map((l) => l.sku))) expect(lines.filter((l) => l.sku === sku).length).toBeLessThanOrEqual(2)
      })
    )
  })

  it("a full refund names every line with its quantity", () => {
    const basket = [line("A", 3, 1000), line("B", 1, 2550, "RUS_VAT10")]
    const lines = allocateRefund(basket, 5550)
    expect(lines.map((l) => [l.sku, l.quantity, l.totalAmount])).toEqual([
      ["A", 3, 30],
      ["B", 1, 25.5],
    ])
  })

  it("names exactly the returned goods when the amount is their value", () => {
    const basket = [line("A", 3, 1000), line("B", 2, 2550)]
    const lines = allocateRefund(basket, 2550, new Map([["B", 1]]))
    expect(lines.map((l) => [l.sku, l.quantity, l.totalAmount])).toEqual([["B", 1, 25.5]])
  })

  it("values returned goods at what they are worth on the invoice, never more than is left", () => {
    const basket = [line("A", 3, 1000), line("B", 2, 2550)]
    expect(returnedValue(basket, new Map([["B", 1]]))).toBe(2550)
    expect(returnedValue(basket, new Map([["A", 5], ["B", 2]]))).toBe(3000 + 5100)
    expect(returnedValue(basket, new Map([["C", 1]]))).toBe(0)
  })

  it("uses what is still refundable after earlier refunds (availableAmount)", () => {
    const basket = [{ ...line("A", 2, 1000), availableAmount: 5 }, line("B", 1, 700)]
    const lines = allocateRefund(basket, 1000)
    // A's remaining 5 ₽ is less than one unit (10 ₽): one unit of 5 ₽; the other 5 ₽ come from B as one unit.
    expect(lines.map((l) => [l.sku, l.quantity, l.totalAmount])).toEqual([
      ["A", 1, 5],
      ["B", 1, 5],
    ])
  })

  it("a partial refund by amount takes whole units at the paid price, then the remainder as one unit", () => {
    // 500.00 on goods at 389.90 each went out as 1 × 500.00 before; a unit may never cost more than was paid.
    const basket = [line("A", 3, 38990, "RUS_VAT20")]
    const lines = allocateRefund(basket, 50000)
    expect(lines.map((l) => [l.sku, l.quantity, l.amount, l.totalAmount])).toEqual([
      ["A", 1, 389.9, 389.9],
      ["A", 1, 110.1, 110.1],
    ])
    lines.forEach(expectValidLine)
  })
})

describe("planShipment", () => {
  it("partial shipments add up to the order and never go beyond it", () => {
    fc.assert(
      fc.property(basketArb, fc.integer({ min: 1, max: 4 }), (basket, parts) => {
        const lines = [...basket, line("shipping_1", 1, 50000, "RUS_VAT22")]
        const shipments: BasketItem[][] = []
        const remaining = new Map(basket.map((l) => [l.sku, l.quantity]))
        for (let p = 0; p < parts; p++) {
          const last = p === parts - 1
          const qty = new Map([...remaining].map(([sku, q]) => [sku, last ? q : Math.floor(q / 2)]))
          const shipment = planShipment({
            invoiceLines: lines,
            shippedLines: shipments.flat(),
            quantities: qty,
            shipWithFirst: (sku) => sku.startsWith("shipping_"),
          })
          shipment.forEach(expectValidLine)
          for (const l of shipment) if (!l.sku.startsWith("shipping_")) remaining.set(l.sku, remaining.get(l.sku)! - l.quantity)
          shipments.push(shipment)
        }
        const all = shipments.flat()
        expect(sum(all, (l) => k(l.totalAmount))).toBe(sum(lines, (l) => k(l.totalAmount)))
        for (const l of lines) {
          expect(sum(all.filter((x) => x.sku === l.sku), (x) => x.quantity)).toBe(l.quantity)
        }
      })
    )
  })

  it("takes units from split lines of one SKU at their own prices", () => {
    const invoice = [line("A", 2, 333), line("A", 1, 334)]
    const first = planShipment({ invoiceLines: invoice, shippedLines: [], quantities: new Map([["A", 2]]) })
    expect(first.map((l) => [l.quantity, l.totalAmount])).toEqual([[2, 6.66]])
    const second = planShipment({ invoiceLines: invoice, shippedLines: first, quantities: new Map([["A", 5]]) })
    expect(second.map((l) => [l.quantity, l.totalAmount])).toEqual([[1, 3.34]])
  })
})

describe("feeBasketItem (the correction order's fee line)", () => {
  it("is one unit worth exactly the fee, with the VAT inside it, for any fee and rate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.constantFrom("VATNONE", "RUS_VAT0", "RUS_VAT10", "RUS_VAT20", "RUS_VAT22"), (fee, vat) => {
        const l = feeBasketItem({ name: "Штраф", vat_code: vat as never, type: "service" }, fee, { measure: "шт", measureCode: "796" })
        expect([l.quantity, k(l.totalAmount), k(l.amount)]).toEqual([1, fee, fee])
        expect(k(l.amountWoVat) + k(l.totalVatAmount)).toBe(fee)
        expectValidLine(l)
      })
    )
  })

  it("rounds the VAT of 123.45 at 20 % half-up to 20.58", () => {
    const l = feeBasketItem({ name: " Сбор ", vat_code: "RUS_VAT20", type: "commodity" }, 12345, { measure: "шт", measureCode: "796" })
    expect(l).toMatchObject({ name: "Сбор", totalVatAmount: 20.58, amountWoVat: 102.87, type: "commodity", paymentType: "full_payment" })
  })
})
