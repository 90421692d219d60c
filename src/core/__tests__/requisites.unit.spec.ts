import fc from "fast-check"
import { isValidInn, isValidKpp, isValidOgrn, isValidOgrnip, validatePayer, type FieldError } from "../requisites"

// Independent implementations of the ФНС check digits, to generate valid numbers.
const W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8]
const W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
const W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
const check = (digits: number[], weights: number[]) => (weights.reduce((s, w, i) => s + w * digits[i], 0) % 11) % 10
const inn10 = (nine: number[]) => [...nine, check(nine, W10)].join("")
const inn12 = (ten: number[]) => {
  const eleven = [...ten, check(ten, W11)]
  return [...eleven, check(eleven, W12)].join("")
}
const ogrn = (twelve: string) => twelve + String((BigInt(twelve) % 11n) % 10n)
const ogrnip = (fourteen: string) => fourteen + String((BigInt(fourteen) % 13n) % 10n)

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n })
const digitString = (n: number) => digits(n).map((d) => d.join(""))
const replaceAt = (s: string, i: number, d: number) => s.slice(0, i) + d + s.slice(i + 1)

describe("ИНН / КПП / ОГРН checksums", () => {
  it.each([
    ["7707083893", "ПАО Сбербанк"],
    ["7736207543", "ООО «Яндекс»"],
    ["7736050003", "ПАО «Газпром»"],
    ["7804445210", "payer of the Invoicebox SDK example"],
    ["500100732259", "an individual (12 digits)"],
  ])("accepts the real ИНН %s (%s)", (inn) => {
    expect(isValidInn(inn)).toBe(true)
  })

  it.each([
    ["7707083894", "wrong check digit"],
    ["7707083839", "two digits swapped"],
    ["500100732258", "wrong second check digit"],
    ["500100732249", "wrong first check digit"],
    ["770708389", "9 digits"],
    ["77070838933", "11 digits"],
    ["7707O83893", "a letter O"],
    [" 7707083893", "a space"],
    ["", "empty"],
  ])("rejects %p (%s)", (inn) => {
    expect(isValidInn(inn)).toBe(false)
  })

  it("rejects non-strings without throwing", () => {
    expect(isValidInn(7707083893 as never)).toBe(false)
    expect(isValidKpp(null as never)).toBe(false)
    expect(isValidOgrn(undefined as never)).toBe(false)
  })

  it("accepts every generated 10- and 12-digit ИНН", () => {
    fc.assert(fc.property(digits(9), (nine) => expect(isValidInn(inn10(nine))).toBe(true)))
    fc.assert(fc.property(digits(10), (ten) => expect(isValidInn(inn12(ten))).toBe(true)))
  })

  it("rejects a 10-digit ИНН after any change of its check digit", () => {
    fc.assert(
      fc.property(digits(9), fc.integer({ min: 1, max: 9 }), (nine, delta) => {
        const inn = inn10(nine)
        expect(isValidInn(replaceAt(inn, 9, (Number(inn[9]) + delta) % 10))).toBe(false)
      })
    )
  })

  it("rejects a 10-digit ИНН after changing any one digit, whenever its check digit is not 0", () => {
    fc.assert(
      fc.property(digits(9), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (nine, pos, delta) => {
        const inn = inn10(nine)
        fc.pre(inn[9] !== "0")
        expect(isValidInn(replaceAt(inn, pos, (Number(inn[pos]) + delta) % 10))).toBe(false)
      })
    )
  })

  it("documents why check digit 0 is excluded above: residues 0 and 10 both give 0", () => {
    // Search instead of hard-coding: some valid ИНН stays valid after one digit changes.
    let found: [string, string] | undefined
    for (let n = 0; n < 100000 && !found; n++) {
      const inn = inn10(String(n).padStart(9, "0").split("").map(Number))
      for (let pos = 0; pos < 9 && !found; pos++) {
        for (let d = 0; d <= 9; d++) {
          const other = replaceAt(inn, pos, d)
          if (other !== inn && isValidInn(other)) {
            found = [inn, other]
            break
          }
        }
      }
    }
    expect(found).toBeDefined()
    expect(found![0][9]).toBe("0")
    expect(isValidInn(found![0]) && isValidInn(found![1])).toBe(true)
  })

  it("rejects a 12-digit ИНН after any change of either check digit", () => {
    fc.assert(
      fc.property(digits(10), fc.constantFrom(10, 11), fc.integer({ min: 1, max: 9 }), (ten, pos, delta) => {
        const inn = inn12(ten)
        expect(isValidInn(replaceAt(inn, pos, (Number(inn[pos]) + delta) % 10))).toBe(false)
      })
    )
  })

  it.each(["773601001", "770401001", "7701AB001", "0000ZZ999"])("accepts КПП %s", (kpp) => {
    expect(isValidKpp(kpp)).toBe(true)
  })
  it.each(["77360100", "7736010011", "7736ab001", "77A601001", "773601A01", "773 60100", "773601001\n"])("rejects КПП %p", (kpp) => {
    expect(isValidKpp(kpp)).toBe(false)
  })

  it.each(["1027700132195", "1027700229193", "1027700070518"])("accepts the real ОГРН %s", (v) => {
    expect(isValidOgrn(v)).toBe(true)
    expect(isValidOgrnip(v)).toBe(false)
  })
  it("accepts a real ОГРНИП and rejects broken ones", () => {
    expect(isValidOgrnip("304500116000157")).toBe(true)
    expect(isValidOgrnip("304500116000158")).toBe(false)
    expect(isValidOgrn("1027700132196")).toBe(false)
    expect(isValidOgrn("102770013219")).toBe(false)
  })
  it("accepts generated ОГРН / ОГРНИП and rejects them with another last digit", () => {
    fc.assert(
      fc.property(digitString(12), fc.integer({ min: 1, max: 9 }), (twelve, delta) => {
        const v = ogrn(twelve)
        expect(isValidOgrn(v)).toBe(true)
        expect(isValidOgrn(replaceAt(v, 12, (Number(v[12]) + delta) % 10))).toBe(false)
      })
    )
    fc.assert(
      fc.property(digitString(14), fc.integer({ min: 1, max: 9 }), (fourteen, delta) => {
        const v = ogrnip(fourteen)
        expect(isValidOgrnip(v)).toBe(true)
        expect(isValidOgrnip(replaceAt(v, 14, (Number(v[14]) + delta) % 10))).toBe(false)
      })
    )
  })
})

const SBER = { type: "legal", name: "ПАО Сбербанк", inn: "7707083893", kpp: "773601001" }
const IP = { type: "sole_proprietor", name: "ИП Иванов Иван Иванович", inn: "500100732259" }

function errorsOf(input: unknown): FieldError[] {
  const result = validatePayer(input)
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.payer)}`)
  return result.errors
}
const codes = (input: unknown) => errorsOf(input).map((e) => `${e.field}:${e.code}`)

describe("validatePayer", () => {
  it("accepts a company and normalises its fields", () => {
    const result = validatePayer({
      ...SBER,
      name: "  ПАО Сбербанк ",
      kpp: " 773601001 ",
      address: " 117312, г. Москва, ул. Вавилова, д. 19 ",
      email: " buh@example.ru ",
      phone: "+7 (495) 500-55-50",
      ogrn: "1027700132195",
      unrelated: "ignored",
    })
    expect(result).toEqual({
      ok: true,
      payer: {
        type: "legal",
        name: "ПАО Сбербанк",
        inn: "7707083893",
        kpp: "773601001",
        address: "117312, г. Москва, ул. Вавилова, д. 19",
        email: "buh@example.ru",
        phone: "74955005550",
        ogrn: "1027700132195",
      },
    })
  })

  it("accepts a sole proprietor without КПП, with ОГРНИП", () => {
    expect(validatePayer({ ...IP, ogrn: "304500116000157", kpp: "  " })).toEqual({
      ok: true,
      payer: { ...IP, ogrn: "304500116000157" },
    })
  })

  it("infers the type from the ИНН length when it is absent", () => {
    const company = validatePayer({ name: "ООО «Яндекс»", inn: "7736207543", kpp: "770401001" })
    const ip = validatePayer({ name: "ИП Петров", inn: "500100732259" })
    expect(company.ok && company.payer.type).toBe("legal")
    expect(ip.ok && ip.payer.type).toBe("sole_proprietor")
    expect(codes({ name: "ПАО «Газпром»", inn: "7736050003" })).toEqual(["kpp:required"])
  })

  it("explains a broken checksum in Russian and English", () => {
    expect(errorsOf({ ...SBER, inn: "7707083894" })).toEqual([
      { field: "inn", code: "invalid_checksum", message_ru: "ИНН: неверная контрольная сумма", message_en: "INN: checksum is invalid" },
    ])
  })

  it("reports every problem at once", () => {
    expect(
      codes({ type: "legal", name: "", inn: "12345", kpp: "77360100", address: "x".repeat(1001), email: "not-an-email", phone: "12-34" })
    ).toEqual(["inn:invalid_format", "kpp:invalid_format", "name:required", "address:too_long", "email:invalid_format", "phone:invalid_length"])
  })

  it("requires a КПП of a company and forbids one for a sole proprietor", () => {
    expect(codes({ ...SBER, kpp: undefined })).toEqual(["kpp:required"])
    expect(codes({ ...IP, kpp: "773601001" })).toEqual(["kpp:not_allowed"])
  })

  it("rejects an ИНН length that contradicts the declared type", () => {
    expect(codes({ ...SBER, inn: "500100732259", kpp: "773601001" })).toEqual(["inn:type_mismatch"])
    expect(codes({ ...IP, inn: "7707083893" })).toEqual(["inn:type_mismatch"])
  })

  it("rejects an unknown type without guessing one", () => {
    expect(codes({ ...SBER, type: "private" })).toEqual(["type:invalid_value"])
    expect(codes({ ...SBER, type: 1 })).toEqual(["type:invalid_format"])
  })

  it.each([null, undefined, "ПАО Сбербанк", 7707083893, [SBER], true])("rejects the non-object input %p", (input) => {
    expect(codes(input)).toEqual(["payer:invalid_input"])
  })

  it("rejects oversized fields at their limits", () => {
    expect(validatePayer({ ...SBER, name: "Я".repeat(500) }).ok).toBe(true)
    expect(codes({ ...SBER, name: "Я".repeat(501) })).toEqual(["name:too_long"])
    expect(validatePayer({ ...SBER, address: "a".repeat(1000) }).ok).toBe(true)
    const local = "a".repeat(100 - "@x.ru".length)
    expect(validatePayer({ ...SBER, email: `${local}@x.ru` }).ok).toBe(true)
    expect(codes({ ...SBER, email: `${local}a@x.ru` })).toEqual(["email:too_long"])
  })

  it("normalises phones to 10–15 digits", () => {
    const phone = (p: unknown) => {
      const r = validatePayer({ ...SBER, phone: p })
      return r.ok ? r.payer.phone : r.errors.map((e) => e.code).join()
    }
    expect(phone("8 (900) 111-22-33")).toBe("89001112233")
    expect(phone(79001112233)).toBe("79001112233")
    expect(phone("900 111 22 3")).toBe("invalid_length")
    expect(phone("+1234567890123456")).toBe("invalid_length")
    expect(phone("+7 900 CALL-ME")).toBe("invalid_format")
  })

  it("checks ОГРН against the payer type", () => {
    expect(codes({ ...SBER, ogrn: "304500116000157" })).toEqual(["ogrn:invalid"])
    expect(codes({ ...IP, ogrn: "1027700132195" })).toEqual(["ogrn:invalid"])
    expect(codes({ ...SBER, ogrn: "1027700132196" })).toEqual(["ogrn:invalid"])
  })

  it("rejects non-string fields instead of coercing them", () => {
    expect(codes({ ...SBER, inn: 7707083893 })).toEqual(["inn:invalid_format"])
    expect(codes({ ...SBER, name: { ru: "x" } })).toEqual(["name:invalid_format"])
  })

  it("gives every error a field, a code and both messages", () => {
    const all = errorsOf({ type: "legal", inn: "1", kpp: "x", email: "@", phone: "x", ogrn: "1", address: "a".repeat(2000) })
    expect(all.length).toBeGreaterThanOrEqual(6)
    for (const e of all) {
      expect(e.field).toBeTruthy()
      expect(e.code).toMatch(/^[a-z_]+$/)
      expect(e.message_ru).toMatch(/[а-яё]/i)
      expect(e.message_en).toMatch(/^[\x20-\x7e–]+$/)
    }
  })

  it("accepts any generated valid company and ИП (and never throws on junk)", () => {
    fc.assert(
      fc.property(digits(9), digits(10), (nine, ten) => {
        expect(validatePayer({ name: "ООО Тест", inn: inn10(nine), kpp: "773601001" }).ok).toBe(true)
        expect(validatePayer({ name: "ИП Тест", inn: inn12(ten) }).ok).toBe(true)
      })
    )
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(typeof validatePayer(junk).ok).toBe("boolean")
      })
    )
  })
})

describe("validatePayer and control characters", () => {
  it.each(["ООО «Ромашка»\nг. Москва", "ООО\u0000Ромашка", "ООО\tРомашка"])("refuses %j in the name", (name) => {
    const r = validatePayer({ type: "legal", name, inn: "7707083893", kpp: "773601001" })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.find((e) => e.field === "name")?.code).toBe("invalid_format")
  })
})
