import fc from "fast-check"
import { InvoiceboxError } from "../errors"
import { kopecksToRubles, newDecimalParts, readDecimal, rublesToKopecks, toKopecks } from "../money"

/** Independent reference: half-up (away from zero) of a plain decimal string, via BigInt. */
function refKopecks(decimal: string): bigint {
  const negative = decimal.startsWith("-")
  const [int, frac = ""] = decimal.replace(/^[-+]/, "").split(".")
  const padded = (frac + "000").slice(0, 3)
  const thousandths = BigInt(int || "0") * 1000n + BigInt(padded)
  // Half-up of an exact decimal depends only on the third decimal digit.
  const k = (thousandths + 5n) / 10n
  return negative ? -k : k
}

/** A BigNumber-like object with getters only, as Medusa's class exposes them. */
class FakeBigNumber {
  constructor(private readonly rawValue: string, private readonly numericValue: number) {}
  get raw() {
    return { value: this.rawValue, precision: 20 }
  }
  get numeric() {
    return this.numericValue
  }
}

describe("toKopecks", () => {
  it.each([
    [2.675, 268],
    [37.485, 3749],
    ["37.485", 3749],
    [1.005, 101],
    [8.345, 835],
    [0.1 + 0.2, 30],
    [1e-7, 0],
    ["1e-7", 0],
    ["0.005", 1],
    ["0.00499999999", 0],
    ["1e3", 100000],
    ["12.3456e2", 123456],
    [".5", 50],
    ["+7.", 700],
    ["  5.5 ", 550],
    [1500, 150000],
    [0, 0],
    ["-0", 0],
    [2790.67, 279067],
  ])("%p -> %p kopecks", (input, expected) => {
    expect(toKopecks(input)).toBe(expected)
  })

  it("reads Medusa BigNumber raw values and instances exactly, preferring the raw string", () => {
    expect(toKopecks({ value: "37.485", precision: 20 })).toBe(3749)
    expect(toKopecks({ value: 37.485 })).toBe(3749)
    expect(toKopecks({ numeric: 37.485 })).toBe(3749)
    // numeric is a lossy float; the raw string is the truth.
    expect(toKopecks(new FakeBigNumber("0.125", 0.12) as never)).toBe(13)
  })

  it("drops binary artefacts of float arithmetic instead of rounding them", () => {
    expect(toKopecks(37.48499999999999)).toBe(3749)
    expect(toKopecks(1.1 * 3)).toBe(330)
  })

  it("rejects negatives unless allowed, and rounds them away from zero", () => {
    expect(() => toKopecks(-1)).toThrow(InvoiceboxError)
    expect(() => toKopecks("-0.001")).toThrow(/negative/)
    expect(toKopecks("-0.005", { allowNegative: true })).toBe(-1)
    expect(toKopecks(-2.675, { allowNegative: true })).toBe(-268)
  })

  it.each([["" as never], ["abc"], ["1e"], ["1..2"], ["1,5"], ["1e400"], [NaN], [Infinity], [null as never], [undefined as never], [{} as never], ["0x10"]])(
    "throws invalid_amount for %p",
    (input) => {
      let error: unknown
      try {
        toKopecks(input)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvoiceboxError)
      expect((error as InvoiceboxError).code).toBe("invalid_amount")
    }
  )

  it("refuses amounts beyond safe integer kopecks", () => {
    expect(() => toKopecks("90071992547409.92")).toThrow(InvoiceboxError)
    expect(toKopecks("90071992547409.91")).toBe(Number.MAX_SAFE_INTEGER)
  })

  it("matches an exact BigInt reference for arbitrary decimal strings", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 8 }), (int, frac) => {
        const s = frac ? `${int}.${frac}` : `${int}`
        expect(BigInt(toKopecks(s))).toBe(refKopecks(s))
      })
    )
  })

  it("treats a JS number like the decimal it was written as (≤ 15 significant digits)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 0, max: 5 }), (digits, decimals) => {
        const s = (digits / 10 ** decimals).toFixed(decimals)
        expect(toKopecks(Number(s))).toBe(toKopecks(s))
      })
    )
  })

  it("reports the cut-off part for largest-remainder decisions", () => {
    const parts = newDecimalParts()
    expect(readDecimal("37.485", parts)).toBe(true)
    expect(parts).toMatchObject({ units: 3749, inexact: true, roundedUp: true })
    expect(parts.fraction).toBeCloseTo(0.5, 12)
    expect(readDecimal("0.0012", parts)).toBe(true)
    expect(parts).toMatchObject({ units: 0, inexact: true, roundedUp: false })
    expect(parts.fraction).toBeCloseTo(0.12, 12)
    expect(readDecimal("2.5", parts, 0)).toBe(true)
    expect(parts).toMatchObject({ units: 3, roundedUp: true })
    expect(readDecimal("garbage", parts)).toBe(false)
  })
})

describe("kopecksToRubles / rublesToKopecks", () => {
  it("converts wire values exactly", () => {
    expect(kopecksToRubles(279067)).toBe(2790.67)
    expect(kopecksToRubles(5)).toBe(0.05)
    expect(rublesToKopecks(2790.67)).toBe(279067)
    expect(rublesToKopecks("10.50")).toBe(1050)
    expect(rublesToKopecks(0.1)).toBe(10)
    expect(rublesToKopecks(-3.2)).toBe(-320)
  })

  it("refuses a third decimal on the wire instead of rounding it away", () => {
    expect(() => rublesToKopecks(10.505)).toThrow(/two decimals/)
    expect(() => rublesToKopecks("0.001")).toThrow(InvoiceboxError)
    expect(rublesToKopecks("1.500")).toBe(150)
  })

  it("refuses non-integer kopecks", () => {
    expect(() => kopecksToRubles(1.5)).toThrow(InvoiceboxError)
    expect(() => kopecksToRubles(Number.NaN)).toThrow(InvoiceboxError)
  })

  it("round-trips every kopeck amount and serialises with at most two decimals", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 13), max: 10 ** 13 }), (k) => {
        const rubles = kopecksToRubles(k)
        expect(rublesToKopecks(rubles)).toBe(k)
        expect(JSON.stringify(rubles)).toMatch(/^-?\d+(\.\d{1,2})?$/)
      })
    )
  })
})
