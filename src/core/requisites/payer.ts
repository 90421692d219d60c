import { isValidInn, isValidKpp, isValidOgrn, isValidOgrnip } from "./checksums"

export type PayerType = "legal" | "sole_proprietor"

/** The buyer's requisites as they go on the invoice (Invoicebox `customer`, type `legal`). */
export interface Payer {
  type: PayerType
  name: string
  inn: string
  kpp?: string
  address?: string
  email?: string
  /** Digits only, 10–15. */
  phone?: string
  /** ОГРН of a company or ОГРНИП of a sole proprietor. */
  ogrn?: string
}

export interface FieldError {
  field: string
  code: string
  message_ru: string
  message_en: string
}

export type ValidatePayerResult = { ok: true; payer: Payer } | { ok: false; errors: FieldError[] }

export const PAYER_LIMITS = { name: 500, address: 1000, email: 100, phoneMin: 10, phoneMax: 15 } as const

/** How each field is named in messages (and in the storefront kit's form). */
export const PAYER_FIELD_LABELS: Record<string, [ru: string, en: string]> = {
  payer: ["Реквизиты плательщика", "Payer details"],
  type: ["Тип плательщика", "Payer type"],
  name: ["Наименование", "Name"],
  inn: ["ИНН", "INN"],
  kpp: ["КПП", "KPP"],
  address: ["Юридический адрес", "Legal address"],
  email: ["Электронная почта", "E-mail"],
  phone: ["Телефон", "Phone"],
  ogrn: ["ОГРН / ОГРНИП", "OGRN / OGRNIP"],
}

// Deliberately loose: the mailbox is checked by delivering to it; this only catches obvious slips.
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/
const PHONE_SEPARATORS_RE = /[\s()+\-.]/g

function fieldError(field: string, code: string, ru: string, en: string): FieldError {
  const [labelRu, labelEn] = PAYER_FIELD_LABELS[field] ?? [field, field]
  return { field, code, message_ru: `${labelRu}: ${ru}`, message_en: `${labelEn}: ${en}` }
}

/**
 * Validates and normalises the payer's requisites (trimmed strings, digits-only phone, upper-case
 * КПП). Returns every problem at once with Russian and English messages, so a checkout form can
 * show them next to the fields; never throws.
 */
export function validatePayer(input: unknown): ValidatePayerResult {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      ok: false,
      errors: [fieldError("payer", "invalid_input", "ожидается объект с реквизитами", "an object with the details is expected")],
    }
  }
  const src = input as Record<string, unknown>
  const errors: FieldError[] = []

  /** Trimmed string, `undefined` when absent or blank, `null` after reporting a wrong type. */
  const text = (field: string): string | undefined | null => {
    const raw = src[field]
    if (raw === undefined || raw === null) return undefined
    if (typeof raw !== "string") {
      errors.push(fieldError(field, "invalid_format", "должно быть строкой", "must be a string"))
      return null
    }
    // Requisites are printed on invoices and closing documents: a line break or control
    // character there is never intended (and NUL cannot even be stored by PostgreSQL).
    if (/[\u0000-\u001f\u007f]/.test(raw)) {
      errors.push(fieldError(field, "invalid_format", "содержит управляющие символы или перевод строки", "contains control characters or line breaks"))
      return null
    }
    const trimmed = raw.trim()
    return trimmed === "" ? undefined : trimmed
  }

  const declaredType = text("type")
  let type: PayerType | undefined
  if (declaredType === "legal" || declaredType === "sole_proprietor") type = declaredType
  else if (typeof declaredType === "string") {
    errors.push(
      fieldError(
        "type",
        "invalid_value",
        "допустимы значения legal (организация) и sole_proprietor (ИП)",
        "allowed values are legal (company) and sole_proprietor (sole proprietor)"
      )
    )
  }

  const inn = text("inn")
  let innKind: PayerType | undefined
  if (inn === undefined) {
    errors.push(fieldError("inn", "required", "обязательное поле", "is required"))
  } else if (inn !== null) {
    if (!/^(\d{10}|\d{12})$/.test(inn)) {
      errors.push(
        fieldError(
          "inn",
          "invalid_format",
          "должен состоять из 10 цифр (организация) или 12 цифр (ИП)",
          "must be 10 digits (company) or 12 digits (sole proprietor)"
        )
      )
    } else {
      innKind = inn.length === 10 ? "legal" : "sole_proprietor"
      if (!isValidInn(inn)) {
        errors.push(fieldError("inn", "invalid_checksum", "неверная контрольная сумма", "checksum is invalid"))
      }
      if (type === "legal" && innKind === "sole_proprietor") {
        errors.push(
          fieldError("inn", "type_mismatch", "у организации ИНН из 10 цифр", "a company's INN has 10 digits")
        )
      } else if (type === "sole_proprietor" && innKind === "legal") {
        errors.push(
          fieldError("inn", "type_mismatch", "у ИП ИНН из 12 цифр", "a sole proprietor's INN has 12 digits")
        )
      }
    }
  }
  // An explicitly wrong type is reported above; inferring one would only add follow-up noise.
  if (type === undefined && declaredType === undefined) type = innKind

  const kppRaw = text("kpp")
  const kpp = typeof kppRaw === "string" ? kppRaw.toUpperCase() : kppRaw
  if (type === "sole_proprietor") {
    if (kpp != null) {
      errors.push(fieldError("kpp", "not_allowed", "у ИП нет КПП — оставьте поле пустым", "a sole proprietor has no KPP; leave it empty"))
    }
  } else if (kpp === undefined) {
    if (type === "legal") errors.push(fieldError("kpp", "required", "обязателен для организации", "is required for a company"))
  } else if (kpp !== null && !isValidKpp(kpp)) {
    errors.push(
      fieldError("kpp", "invalid_format", "9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры", "9 characters: 4 digits, 2 digits or Latin capitals, 3 digits")
    )
  }

  const name = text("name")
  if (name === undefined) errors.push(fieldError("name", "required", "обязательное поле", "is required"))
  else if (name !== null && name.length > PAYER_LIMITS.name) {
    errors.push(fieldError("name", "too_long", `не длиннее ${PAYER_LIMITS.name} символов`, `must be at most ${PAYER_LIMITS.name} characters`))
  }

  const address = text("address")
  if (typeof address === "string" && address.length > PAYER_LIMITS.address) {
    errors.push(
      fieldError("address", "too_long", `не длиннее ${PAYER_LIMITS.address} символов`, `must be at most ${PAYER_LIMITS.address} characters`)
    )
  }

  const email = text("email")
  if (typeof email === "string") {
    if (email.length > PAYER_LIMITS.email) {
      errors.push(fieldError("email", "too_long", `не длиннее ${PAYER_LIMITS.email} символов`, `must be at most ${PAYER_LIMITS.email} characters`))
    } else if (!EMAIL_RE.test(email)) {
      errors.push(fieldError("email", "invalid_format", "неверный адрес", "is not a valid address"))
    }
  }

  // A phone typed into a number input arrives as a number; it has no leading zeros to lose.
  const phoneRaw = typeof src.phone === "number" && Number.isSafeInteger(src.phone) ? String(src.phone) : text("phone")
  let phone: string | undefined
  if (typeof phoneRaw === "string") {
    const digits = phoneRaw.replace(PHONE_SEPARATORS_RE, "")
    if (!/^\d*$/.test(digits)) {
      errors.push(fieldError("phone", "invalid_format", "допустимы только цифры, пробелы, +, -, скобки", "only digits, spaces, +, - and brackets are allowed"))
    } else if (digits.length < PAYER_LIMITS.phoneMin || digits.length > PAYER_LIMITS.phoneMax) {
      errors.push(
        fieldError("phone", "invalid_length", `от ${PAYER_LIMITS.phoneMin} до ${PAYER_LIMITS.phoneMax} цифр`, `must have ${PAYER_LIMITS.phoneMin} to ${PAYER_LIMITS.phoneMax} digits`)
      )
    } else phone = digits
  }

  const ogrn = text("ogrn")
  if (typeof ogrn === "string") {
    const ok =
      type === "legal" ? isValidOgrn(ogrn) : type === "sole_proprietor" ? isValidOgrnip(ogrn) : isValidOgrn(ogrn) || isValidOgrnip(ogrn)
    if (!ok) {
      const [ru, en] =
        type === "legal"
          ? ["ОГРН организации — 13 цифр с верной контрольной цифрой", "a company's OGRN is 13 digits with a valid check digit"]
          : type === "sole_proprietor"
            ? ["ОГРНИП — 15 цифр с верной контрольной цифрой", "an OGRNIP is 15 digits with a valid check digit"]
            : ["13 (ОГРН) или 15 (ОГРНИП) цифр с верной контрольной цифрой", "13 (OGRN) or 15 (OGRNIP) digits with a valid check digit"]
      errors.push(fieldError("ogrn", "invalid", ru, en))
    }
  }

  if (errors.length > 0 || type === undefined || typeof inn !== "string" || typeof name !== "string") {
    return { ok: false, errors }
  }
  const payer: Payer = { type, name, inn }
  if (typeof kpp === "string") payer.kpp = kpp
  if (typeof address === "string") payer.address = address
  if (typeof email === "string") payer.email = email
  if (phone !== undefined) payer.phone = phone
  if (typeof ogrn === "string") payer.ogrn = ogrn
  return { ok: true, payer }
}
