import { PAYER_FIELD_LABELS, validatePayer, type Payer, type PayerType } from "../core/requisites/payer"

/** The payer form as typed: every field a string, the КПП ignored for a 12-digit ИНН. */
export interface PayerFormValues {
  inn: string
  name: string
  kpp: string
  address: string
  email: string
  phone: string
}

export const PAYER_FORM_FIELDS = ["inn", "name", "kpp", "address", "email", "phone"] as const
export type PayerFormField = (typeof PAYER_FORM_FIELDS)[number]

export const EMPTY_PAYER_FORM: PayerFormValues = { inn: "", name: "", kpp: "", address: "", email: "", phone: "" }

/** A message for one field, in both languages ("ИНН: неверная контрольная сумма"). */
export interface BilingualText {
  ru: string
  en: string
}
export type PayerFieldErrors = Partial<Record<PayerFormField | "payer" | "type" | "ogrn", BilingualText>>

/** 10 digits: a company; 12: a sole proprietor (ИП); anything else: not known yet. */
export function payerTypeOf(inn: string): PayerType | null {
  const digits = inn.trim()
  if (/^\d{10}$/.test(digits)) return "legal"
  if (/^\d{12}$/.test(digits)) return "sole_proprietor"
  return null
}

/** The ИНН's own problem (length or checksum) with the server's wording, or null. */
export function checkInn(inn: string): BilingualText | null {
  const result = validatePayer({ inn })
  const error = result.ok ? undefined : result.errors.find((e) => e.field === "inn")
  return error ? { ru: error.message_ru, en: error.message_en } : null
}

export interface BuildPayerOptions {
  /** Fields the store wants although Invoicebox does not (default: address and email, which go on the invoice). */
  require?: readonly ("address" | "email" | "phone")[]
}

/**
 * The form's values → the payer the server accepts, with the server's own validation (the same
 * function runs in initiatePayment), so a form that passes here is never refused there.
 */
export function buildPayer(
  values: Partial<PayerFormValues>,
  { require = ["address", "email"] }: BuildPayerOptions = {}
): { ok: true; payer: Payer } | { ok: false; errors: PayerFieldErrors } {
  const v = { ...EMPTY_PAYER_FORM, ...values }
  const type = payerTypeOf(v.inn)
  const input: Record<string, string> = {}
  for (const field of PAYER_FORM_FIELDS) {
    if (field === "kpp" && type === "sole_proprietor") continue
    if (v[field].trim() !== "") input[field] = v[field]
  }
  const errors: PayerFieldErrors = {}
  const result = validatePayer(input)
  if (!result.ok) {
    for (const e of result.errors) errors[e.field as PayerFormField] ??= { ru: e.message_ru, en: e.message_en }
  }
  for (const field of require) {
    if (!errors[field] && v[field].trim() === "") {
      const [ru, en] = PAYER_FIELD_LABELS[field]
      errors[field] = { ru: `${ru}: обязательное поле`, en: `${en}: is required` }
    }
  }
  if (result.ok && Object.keys(errors).length === 0) return { ok: true, payer: result.payer }
  return { ok: false, errors }
}

/** Two payers are one invoice's payer when the server would store them identically. */
export function samePayer(a: unknown, b: unknown): boolean {
  const x = validatePayer(a)
  const y = validatePayer(b)
  if (!x.ok || !y.ok) return false
  const keys = ["type", "name", "inn", "kpp", "address", "email", "phone", "ogrn"] as const
  return keys.every((k) => (x.payer[k] ?? null) === (y.payer[k] ?? null))
}
