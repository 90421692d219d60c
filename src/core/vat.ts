import { InvoiceboxBasketError } from "./errors"

export const VAT_CODES = [
  "VATNONE",
  "RUS_VAT0",
  "RUS_VAT5",
  "RUS_VAT7",
  "RUS_VAT10",
  "RUS_VAT20",
  "RUS_VAT22",
  "RUS_VAT5_ADDED",
  "RUS_VAT7_ADDED",
  "RUS_VAT10_ADDED",
  "RUS_VAT20_ADDED",
  "RUS_VAT22_ADDED",
] as const

export type VatCode = (typeof VAT_CODES)[number]

const RATE_OF = {
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
} as const satisfies Record<VatCode, number>

/** Rates (percent) Invoicebox has a code for, with the inclusive and "on top" variants. */
const CODE_FOR_RATE: Record<number, readonly [VatCode, VatCode]> = {
  0: ["RUS_VAT0", "RUS_VAT0"],
  5: ["RUS_VAT5", "RUS_VAT5_ADDED"],
  7: ["RUS_VAT7", "RUS_VAT7_ADDED"],
  10: ["RUS_VAT10", "RUS_VAT10_ADDED"],
  20: ["RUS_VAT20", "RUS_VAT20_ADDED"],
  22: ["RUS_VAT22", "RUS_VAT22_ADDED"],
}

export const SUPPORTED_VAT_RATES: readonly number[] = Object.keys(CODE_FOR_RATE).map(Number)

export function isVatCode(value: unknown): value is VatCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(RATE_OF, value)
}

/** Percent; VATNONE is 0 (no VAT is charged at all, unlike RUS_VAT0 which is a 0 % rate). */
export function vatRateOf(code: VatCode): number {
  if (!isVatCode(code)) {
    throw new InvoiceboxBasketError(
      `Неизвестный код НДС ${JSON.stringify(String(code).slice(0, 30))} / Unknown VAT code ${JSON.stringify(String(code).slice(0, 30))}`,
      { code: "unsupported_vat_rate" }
    )
  }
  return RATE_OF[code]
}

/**
 * The Invoicebox code for a Medusa tax rate (percent). `added` picks the "VAT on top of the price"
 * variant; 0 % has only one code. Throws `InvoiceboxBasketError` (`unsupported_vat_rate`) for a
 * rate Invoicebox cannot express, because guessing a code would put a wrong VAT on the invoice.
 */
export function vatCodeForRate(
  rate: number | string,
  options: { added?: boolean; codes?: Readonly<Record<string, VatCode>>; zeroCode?: VatCode } = {}
): VatCode {
  const r = typeof rate === "string" ? Number(rate.trim()) : rate
  if (r === 0 && options.zeroCode) return options.zeroCode
  const mapped = options.codes?.[String(r)]
  if (mapped) return mapped
  const pair = typeof r === "number" && Number.isInteger(r) ? CODE_FOR_RATE[r] : undefined
  if (!pair) {
    const shown = String(rate).slice(0, 20)
    throw new InvoiceboxBasketError(
      `Ставка НДС ${shown}% не поддерживается Инвойсбоксом (допустимы: ${SUPPORTED_VAT_RATES.join(", ")}%) / ` +
        `VAT rate ${shown}% is not supported by Invoicebox (supported: ${SUPPORTED_VAT_RATES.join(", ")}%)`,
      { code: "unsupported_vat_rate", fields: [{ name: "tax_lines.rate", code: "unsupported_vat_rate", message: shown }] }
    )
  }
  return pair[options.added ? 1 : 0]
}

/**
 * VAT contained in a VAT-inclusive total: round half-up of total·r/(100+r), in integer kopecks.
 * Integer arithmetic on purpose: the float quotient can land a hair below x.5 and round wrongly.
 */
export function vatFromTotal(totalKopecks: number, rate: number): number {
  if (rate === 0 || totalKopecks === 0) return 0
  const den = 100 + rate
  const num = 2 * totalKopecks * rate + den
  const twoDen = 2 * den
  let q = Math.floor(num / twoDen)
  // The quotient of two safe integers can be off by one after float division; settle it exactly.
  if (q * twoDen > num) q--
  else if ((q + 1) * twoDen <= num) q++
  return q
}

/**
 * A VAT-inclusive unit price without its VAT: round half-up of unit·100/(100+r), in integer kopecks
 * (unit first, as InvoiceBox/1c-bitrix computes amountWoVat = price / (1 + r)).
 */
export function unitWithoutVat(unitKopecks: number, rate: number): number {
  if (rate === 0) return unitKopecks
  return Number((BigInt(unitKopecks) * 200n + BigInt(100 + rate)) / BigInt(2 * (100 + rate)))
}

/** The VAT of `quantity` units of a line priced unit first: what the units without VAT leave of the total. */
export function unitFirstVat(totalKopecks: number, amountWoVatKopecks: number, quantity: number): number {
  return totalKopecks - Math.round(amountWoVatKopecks * quantity)
}
