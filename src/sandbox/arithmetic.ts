/**
 * Invoicebox basket arithmetic as the sandbox enforces it (docs/internals.md, "Invoicebox arithmetic").
 *
 * The sandbox deliberately does not import the plugin's own money/basket code: it is the referee the
 * plugin is tested against, so a shared bug must not be able to hide on both sides.
 */

/** Quantities may be fractional (weights, lengths); six decimals is the fiscal receipt precision. */
export const QUANTITY_DECIMALS = 6
export const QUANTITY_SCALE = 10 ** QUANTITY_DECIMALS

export const VAT_RATES: Readonly<Record<string, number>> = {
  VATNONE: 0,
  RUS_VAT0: 0,
  RUS_VAT5: 5,
  RUS_VAT7: 7,
  RUS_VAT10: 10,
  RUS_VAT20: 20,
  RUS_VAT22: 22,
  RUS_VAT5_ADDED: 5,
  RUS_VAT7_ADDED: 7,
  RUS_VAT10_ADDED: 10,
  RUS_VAT20_ADDED: 20,
  RUS_VAT22_ADDED: 22,
}

export type DecimalParse =
  | { ok: true; units: number }
  | { ok: false; reason: "not_a_number" | "too_many_decimals" | "too_large" }

/**
 * Parses a JSON number into an integer count of 10^-decimals units without float multiplication:
 * the shortest round-trip decimal string of a double is exactly what the sender wrote on the wire.
 */
export function parseScaled(value: unknown, decimals: number): DecimalParse {
  if (typeof value !== "number" || !Number.isFinite(value)) return { ok: false, reason: "not_a_number" }
  const text = String(value)
  if (/e/i.test(text)) {
    return Math.abs(value) < 1 ? { ok: false, reason: "too_many_decimals" } : { ok: false, reason: "too_large" }
  }
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match) return { ok: false, reason: "not_a_number" }
  const [, sign, whole, fraction = ""] = match
  if (fraction.length > decimals) return { ok: false, reason: "too_many_decimals" }
  const units = Number(whole) * 10 ** decimals + Number(fraction.padEnd(decimals, "0") || "0")
  if (!Number.isSafeInteger(units)) return { ok: false, reason: "too_large" }
  return { ok: true, units: sign === "-" && units !== 0 ? -units : units }
}

export const parseKopecks = (value: unknown): DecimalParse => parseScaled(value, 2)
export const parseQuantity = (value: unknown): DecimalParse => parseScaled(value, QUANTITY_DECIMALS)

/** Back to the wire: at most two decimals, as Invoicebox expects. */
export function kopecksToWire(kopecks: number): number {
  return Number((kopecks / 100).toFixed(2))
}

export function quantityToWire(micro: number): number {
  return Number((micro / QUANTITY_SCALE).toFixed(QUANTITY_DECIMALS))
}

/** round(amount * quantity) half-up, in BigInt so that large lines never lose a kopeck. */
export function lineTotal(unitKopecks: number, quantityMicro: number): number {
  const product = BigInt(unitKopecks) * BigInt(quantityMicro)
  const scale = BigInt(QUANTITY_SCALE)
  return Number((product * 2n + scale) / (2n * scale))
}

/** round(unit * 100 / (100 + r)) half-up: a VAT-inclusive unit price without its VAT. */
export function unitWithoutVat(unitKopecks: number, rate: number): number {
  const r = BigInt(rate)
  return Number((BigInt(unitKopecks) * 200n + (100n + r)) / (2n * (100n + r)))
}

/** round(total * r / (100 + r)) half-up: the VAT contained in a VAT-inclusive total. */
export function vatOf(totalKopecks: number, rate: number): number {
  if (rate === 0) return 0
  const r = BigInt(rate)
  return Number((BigInt(totalKopecks) * r * 2n + (100n + r)) / (2n * (100n + r)))
}

export interface LineNumbers {
  quantityMicro: number
  amount: number
  amountWoVat: number
  totalAmount: number
  totalVatAmount: number
  vatCode: string
}

export type LineArithmeticCode =
  | "wrong_basket_item_total_amount"
  | "wrong_basket_item_total_vat_amount"
  | "wrong_basket_item_amount_wo_vat"

export interface ArithmeticProblem {
  field: string
  code: string
  message: string
}

/**
 * Rules 1–4 of one line; an empty list means the line is consistent. The 422 codes are the ones
 * Invoicebox answers (InvoiceBox/1c-bitrix .../lang/en/handler.php:33-35).
 */
export function checkLine(line: LineNumbers, prefix: string, options: { skipVatRule?: boolean } = {}): ArithmeticProblem[] {
  const problems: ArithmeticProblem[] = []
  const rate = VAT_RATES[line.vatCode] ?? 0

  // Rule 4 first: the other formulas are meaningless for negative numbers.
  if (line.amount < 0 || line.totalAmount < 0) {
    problems.push({
      field: `${prefix}.${line.amount < 0 ? "amount" : "totalAmount"}`,
      code: "wrong_basket_item_total_amount",
      message: "Amounts must not be negative",
    })
  }
  if (line.totalVatAmount < 0 || line.totalVatAmount > Math.max(line.totalAmount, 0)) {
    problems.push({
      field: `${prefix}.totalVatAmount`,
      code: "wrong_basket_item_total_vat_amount",
      message: "VAT must be between zero and the line total",
    })
  }
  if (line.amountWoVat < 0) {
    problems.push({
      field: `${prefix}.amountWoVat`,
      code: "wrong_basket_item_amount_wo_vat",
      message: "Amounts must not be negative",
    })
  }
  if (problems.length > 0) return problems

  const expectedTotal = lineTotal(line.amount, line.quantityMicro)
  if (line.totalAmount !== expectedTotal) {
    problems.push({
      field: `${prefix}.totalAmount`,
      code: "wrong_basket_item_total_amount",
      message: `totalAmount must equal amount * quantity = ${kopecksToWire(expectedTotal)}`,
    })
  }

  // Unit first, as Invoicebox's own clients compute a line (InvoiceBox/1c-bitrix
  // invoicebox.payment/install/sale_payment/invoicebox/handler.php:713-716: amountWoVat =
  // round(price / (1 + r)), totalVatAmount = (price − amountWoVat) × quantity).
  // Rule 2: the unit price without VAT is the unit price's own, within a kopeck:
  // |amountWoVat − amount·100/(100+r)| ≤ 1, kept in integers: |amountWoVat·(100+r) − amount·100| ≤ 100+r.
  if (!options.skipVatRule) {
    const r = BigInt(rate)
    const difference = BigInt(line.amountWoVat) * (100n + r) - BigInt(line.amount) * 100n
    if ((difference < 0n ? -difference : difference) > 100n + r) {
      problems.push({
        field: `${prefix}.amountWoVat`,
        code: "wrong_basket_item_amount_wo_vat",
        message: `amountWoVat must be the unit price without VAT, ${kopecksToWire(unitWithoutVat(line.amount, rate))} (±0.01) for ${line.vatCode}`,
      })
    }
    // The line's VAT stays as close to total·r/(100+r) as unit-first rounding lets it: Bitrix rounds
    // amountWoVat to half a kopeck and then multiplies (handler.php:713-716), so its line VAT is off by
    // at most q/2 + ½ kopecks. Kept as |VAT·(100+r) − total·r| ≤ (⌈q/2⌉ + 1)·(100+r): the old ±1 bound,
    // widened only by what the unit-first rounding of Invoicebox's own client produces.
    const scale = BigInt(QUANTITY_SCALE)
    const halfUnits = (BigInt(line.quantityMicro) + 2n * scale - 1n) / (2n * scale)
    const vatGap = BigInt(line.totalVatAmount) * (100n + r) - BigInt(line.totalAmount) * r
    if ((vatGap < 0n ? -vatGap : vatGap) > (halfUnits + 1n) * (100n + r)) {
      problems.push({
        field: `${prefix}.totalVatAmount`,
        code: "wrong_basket_item_total_vat_amount",
        message: `totalVatAmount must be within ${halfUnits + 1n} kopecks of ${kopecksToWire(vatOf(line.totalAmount, rate))} for ${line.vatCode}`,
      })
    }
  }

  // A line without a rate carries no VAT at all.
  if (rate === 0 && line.totalVatAmount !== 0) {
    problems.push({ field: `${prefix}.totalVatAmount`, code: "wrong_basket_item_total_vat_amount", message: `totalVatAmount must be 0 for ${line.vatCode}` })
  }

  // Rule 3: |amountWoVat·q + totalVatAmount − totalAmount| ≤ 1 kopeck, with no per-unit slack
  // (InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98, reconcileBasket refuses more than 1).
  // Scaled by the quantity denominator so that fractional quantities stay exact.
  const scale = BigInt(QUANTITY_SCALE)
  const q = BigInt(line.quantityMicro)
  const lhs = BigInt(line.amountWoVat) * q + BigInt(line.totalVatAmount - line.totalAmount) * scale
  if ((lhs < 0n ? -lhs : lhs) > scale) {
    problems.push({
      field: `${prefix}.totalVatAmount`,
      code: "wrong_basket_item_total_vat_amount",
      message: "amountWoVat * quantity + totalVatAmount must equal totalAmount (±0.01)",
    })
  }
  return problems
}

/** Order rules: Σ totalAmount == amount, Σ totalVatAmount == vatAmount. */
export function checkTotals(
  lines: ReadonlyArray<{ totalAmount: number; totalVatAmount: number }>,
  amount: number,
  vatAmount: number
): ArithmeticProblem[] {
  const problems: ArithmeticProblem[] = []
  const total = lines.reduce((sum, line) => sum + line.totalAmount, 0)
  const vat = lines.reduce((sum, line) => sum + line.totalVatAmount, 0)
  if (total !== amount) {
    problems.push({
      field: "amount",
      code: "wrong_total_amount",
      message: `amount must equal the sum of basketItems[].totalAmount = ${kopecksToWire(total)}`,
    })
  }
  if (vat !== vatAmount) {
    problems.push({
      field: "vatAmount",
      code: "wrong_total_vat_amount",
      message: `vatAmount must equal the sum of basketItems[].totalVatAmount = ${kopecksToWire(vat)}`,
    })
  }
  return problems
}
