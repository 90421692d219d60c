import fc from "fast-check"
import { InvoiceboxBasketError } from "../errors"
import { VAT_CODES, isVatCode, vatCodeForRate, vatFromTotal, vatRateOf, type VatCode } from "../vat"

describe("VAT codes", () => {
  it("lists every code Invoicebox knows, once", () => {
    expect([...VAT_CODES].sort()).toEqual(
      [
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
      ].sort()
    )
  })

  it("gives each code the rate in its name (VATNONE -> 0)", () => {
    for (const code of VAT_CODES) {
      const expected = code === "VATNONE" ? 0 : Number(/RUS_VAT(\d+)/.exec(code)![1])
      expect(vatRateOf(code)).toBe(expected)
    }
    expect(() => vatRateOf("NONE" as VatCode)).toThrow(InvoiceboxBasketError)
  })

  it.each([
    [0, false, "RUS_VAT0"],
    [0, true, "RUS_VAT0"],
    [5, false, "RUS_VAT5"],
    [7, true, "RUS_VAT7_ADDED"],
    [10, false, "RUS_VAT10"],
    [10, true, "RUS_VAT10_ADDED"],
    [20, false, "RUS_VAT20"],
    [20, true, "RUS_VAT20_ADDED"],
    [22, false, "RUS_VAT22"],
    ["22", true, "RUS_VAT22_ADDED"],
  ])("rate %p (added: %p) -> %s", (rate, added, code) => {
    expect(vatCodeForRate(rate, { added })).toBe(code)
    expect(isVatCode(code)).toBe(true)
  })

  it.each([18, 12.5, -20, 110, Number.NaN, "abc"])("refuses rate %p with a bilingual unsupported_vat_rate error", (rate) => {
    let error: unknown
    try {
      vatCodeForRate(rate as number)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvoiceboxBasketError)
    expect((error as InvoiceboxBasketError).code).toBe("unsupported_vat_rate")
    expect((error as Error).message).toMatch(/Ставка НДС/)
    expect((error as Error).message).toMatch(/VAT rate/)
  })
})

describe("vatFromTotal", () => {
  it("computes the VAT inside a VAT-inclusive total, half-up", () => {
    expect(vatFromTotal(3150, 20)).toBe(525)
    expect(vatFromTotal(3, 20)).toBe(1) // 0.5 exactly
    expect(vatFromTotal(9, 20)).toBe(2) // 1.5 exactly
    expect(vatFromTotal(100, 22)).toBe(18) // 18.03
    expect(vatFromTotal(11000, 10)).toBe(1000)
    expect(vatFromTotal(12345, 0)).toBe(0)
  })

  it("is the nearest kopeck to total·r/(100+r), halves up (BigInt reference)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 14 }), fc.constantFrom(5, 7, 10, 20, 22), (total, r) => {
        const v = BigInt(vatFromTotal(total, r))
        const twice = 2n * BigInt(total) * BigInt(r) // 2·exact·(100+r)
        const den = BigInt(100 + r)
        // v - 1/2 <= exact < v + 1/2  <=>  (2v - 1)·den <= 2·T·r < (2v + 1)·den
        expect((2n * v - 1n) * den <= twice && twice < (2n * v + 1n) * den).toBe(true)
      })
    )
  })
})
