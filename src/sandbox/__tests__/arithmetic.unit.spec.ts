import { checkLine, checkTotals, lineTotal, parseKopecks, parseQuantity, vatOf } from "../arithmetic"
import { findCounterparty } from "../counterparty"
import { fakeRegistrationNumber, isValidInn, isValidKpp } from "../requisites"

describe("sandbox arithmetic", () => {
  it("parses wire numbers into exact kopecks and refuses a third decimal", () => {
    expect(parseKopecks(2790.67)).toEqual({ ok: true, units: 279067 })
    expect(parseKopecks(0.29)).toEqual({ ok: true, units: 29 })
    expect(parseKopecks(1.005)).toEqual({ ok: false, reason: "too_many_decimals" })
    expect(parseKopecks(1e-7)).toEqual({ ok: false, reason: "too_many_decimals" })
    expect(parseKopecks(1e21)).toEqual({ ok: false, reason: "too_large" })
    expect(parseKopecks("10.00")).toEqual({ ok: false, reason: "not_a_number" })
    expect(parseQuantity(1.5)).toEqual({ ok: true, units: 1_500_000 })
  })

  it("rounds a fractional line total half-up", () => {
    expect(lineTotal(9999, 1_500_000)).toBe(14999) // 149.985 -> 149.99
    expect(lineTotal(1000, 333_333)).toBe(333) // 3.33333 -> 3.33
    expect(vatOf(50000, 20)).toBe(8333)
    expect(vatOf(100, 0)).toBe(0)
  })

  // 7 × 10.00 at 20 %, unit first: 10.00 / 1.2 = 8.33, VAT = 70.00 − 7 × 8.33 = 11.69.
  const line = { quantityMicro: 7_000_000, amount: 1000, amountWoVat: 833, totalAmount: 7000, totalVatAmount: 1169, vatCode: "RUS_VAT20" }

  it("takes a line built unit first, a kopeck either way, and nothing more (no per-unit slack)", () => {
    expect(checkLine(line, "l")).toEqual([])
    // amountWoVat × 7 + VAT may miss the total by one kopeck (InvoiceBox/invoicebox-mcp-server src/core/money.ts:98).
    expect(checkLine({ ...line, totalVatAmount: 1168 }, "l")).toEqual([])
    expect(checkLine({ ...line, totalVatAmount: 1170 }, "l")).toEqual([])
    // The old per-unit tolerance took 11.67 (2 kopecks short over seven units); Invoicebox's client does not.
    expect(checkLine({ ...line, totalVatAmount: 1167 }, "l").map((p) => p.code)).toEqual(["wrong_basket_item_total_vat_amount"])
    // 7 × 999.99: 833.32 + VAT 1166.66 is 3 kopecks off; 833.33 + 1166.62 is exact.
    const big = { quantityMicro: 7_000_000, amount: 99999, totalAmount: 699993, vatCode: "RUS_VAT20" }
    expect(checkLine({ ...big, amountWoVat: 83332, totalVatAmount: 116666 }, "l").map((p) => p.code)).toEqual(["wrong_basket_item_total_vat_amount"])
    expect(checkLine({ ...big, amountWoVat: 83333, totalVatAmount: 116662 }, "l")).toEqual([])
  })

  it("keeps a line's VAT within the unit-first rounding of total·r/(100+r)", () => {
    // 100 × 10.00 at 20 %: Bitrix sends 8.33 and VAT 167.00 (33 kopecks off 166.67, within ⌈100/2⌉ + 1).
    const hundred = { quantityMicro: 100_000_000, amount: 1000, amountWoVat: 833, totalAmount: 100000, totalVatAmount: 16700, vatCode: "RUS_VAT20" }
    expect(checkLine(hundred, "l")).toEqual([])
    // 8.34 is within a kopeck of 10.00 / 1.2 and balances the line, but its VAT (166.00) is 67 kopecks off.
    expect(checkLine({ ...hundred, amountWoVat: 834, totalVatAmount: 16600 }, "l").map((p) => p.code)).toEqual(["wrong_basket_item_total_vat_amount"])
  })

  it("names each broken rule with its Invoicebox code", () => {
    expect(checkLine({ ...line, totalAmount: 7001 }, "l").map((p) => p.code)).toContain("wrong_basket_item_total_amount")
    expect(checkLine({ ...line, totalVatAmount: 1165 }, "l").map((p) => p.code)).toContain("wrong_basket_item_total_vat_amount")
    // amountWoVat is the unit price without VAT (InvoiceBox/1c-bitrix handler.php:713): 8.20 is not 10.00 / 1.2.
    expect(checkLine({ ...line, amountWoVat: 820, totalVatAmount: 1260 }, "l").map((p) => p.code)).toContain("wrong_basket_item_amount_wo_vat")
    expect(checkLine({ ...line, vatCode: "VATNONE", totalVatAmount: 1, amountWoVat: 1000 }, "l").map((p) => p.code)).toContain(
      "wrong_basket_item_total_vat_amount"
    )
    expect(checkLine({ ...line, amount: -1 }, "l")[0].code).toBe("wrong_basket_item_total_amount")
    expect(checkLine({ ...line, totalVatAmount: 8000 }, "l")[0].code).toBe("wrong_basket_item_total_vat_amount")
    expect(checkTotals([line], 7000, 1169)).toEqual([])
    expect(checkTotals([line], 7001, 1166).map((p) => p.code)).toEqual(["wrong_total_amount", "wrong_total_vat_amount"])
  })
})

describe("sandbox requisites", () => {
  it("checks ИНН checksums and КПП format", () => {
    expect(isValidInn("7707083893")).toBe(true)
    expect(isValidInn("7707083894")).toBe(false)
    expect(isValidInn("500100732259")).toBe(true)
    expect(isValidInn("500100732258")).toBe(false)
    expect(isValidInn("123321")).toBe(false)
    expect(isValidKpp("773601001")).toBe(true)
    expect(isValidKpp("7736AB001")).toBe(true)
    expect(isValidKpp("77360100")).toBe(false)
  })

  it("builds fake ОГРН/ОГРНИП with a valid check digit", () => {
    const ogrn = fakeRegistrationNumber("7701234567", false)
    const ogrnip = fakeRegistrationNumber("500100732259", true)
    expect(ogrn).toHaveLength(13)
    expect(ogrnip).toHaveLength(15)
    expect(Number(BigInt(ogrn.slice(0, 12)) % 11n % 10n)).toBe(Number(ogrn[12]))
    expect(Number(BigInt(ogrnip.slice(0, 14)) % 13n % 10n)).toBe(Number(ogrnip[14]))
  })

  it("knows real companies and invents deterministic ones for other valid ИНН", () => {
    expect(findCounterparty("7707083893")).toMatchObject({
      name: "ПАО Сбербанк",
      taxRegistrationReasonCode: "773601001",
      registrationAddress: "117312, г. Москва, ул. Вавилова, д. 19",
    })
    expect(findCounterparty("500100732259")).toMatchObject({ name: "ИП Тестов 500100732259", taxRegistrationReasonCode: null })
    expect(findCounterparty("7704217370")).toEqual(findCounterparty("7704217370"))
    expect(findCounterparty("7704217370")?.name).toBe("ООО «Тестовая компания 7704217370»")
    expect(findCounterparty("7707083894")).toBeNull()
  })
})
