import { PAYER_FIELD_LABELS, type FieldError } from "./payer"

/**
 * The one text format of "the payer's requisites are wrong". Medusa's error handler and
 * @medusajs/js-sdk carry nothing but `message` to the storefront, so the storefront kit recovers
 * the fields from this text: writing and reading it live side by side, and a test round-trips them.
 */
export const PAYER_ERROR_PREFIX_RU = "Проверьте реквизиты плательщика: "
export const PAYER_ERROR_PREFIX_EN = "Check the payer's details: "
const SEPARATOR = "; "

export function formatPayerErrors(errors: readonly FieldError[]): { ru: string; en: string } {
  return {
    ru: PAYER_ERROR_PREFIX_RU + errors.map((e) => e.message_ru).join(SEPARATOR),
    en: PAYER_ERROR_PREFIX_EN + errors.map((e) => e.message_en).join(SEPARATOR),
  }
}

export interface ParsedFieldError {
  field: string
  message_ru: string
  message_en: string
}

/** Which field a message part names, by the label it starts with ("ИНН: …", "INN: …"). */
function fieldOf(part: string, lang: 0 | 1): string | undefined {
  let best: string | undefined
  let bestLength = 0
  for (const [field, labels] of Object.entries(PAYER_FIELD_LABELS)) {
    const label = labels[lang]
    if (part.startsWith(`${label}: `) && label.length > bestLength) {
      best = field
      bestLength = label.length
    }
  }
  return best
}

/** Splits "A: x; B: y; z" into parts that each start with a label (a part's own "; " stays inside it). */
function splitParts(text: string, lang: 0 | 1): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = []
  for (const piece of text.split(SEPARATOR)) {
    const field = fieldOf(piece, lang)
    if (field || out.length === 0) out.push({ field: field ?? "payer", text: piece })
    else out[out.length - 1].text += SEPARATOR + piece
  }
  return out
}

/**
 * The field errors inside a message built by formatPayerErrors, or null when the message is
 * something else. Text before the Russian prefix (Next.js dev mode adds "Error setting up the
 * request: ") is ignored.
 */
export function parsePayerErrors(message: string): ParsedFieldError[] | null {
  const start = message.indexOf(PAYER_ERROR_PREFIX_RU)
  if (start < 0) return null
  const middle = message.indexOf(` / ${PAYER_ERROR_PREFIX_EN}`, start)
  if (middle < 0) return null
  const ru = splitParts(message.slice(start + PAYER_ERROR_PREFIX_RU.length, middle), 0)
  const en = splitParts(message.slice(middle + 3 + PAYER_ERROR_PREFIX_EN.length), 1)
  return ru.map((r, i) => ({
    field: r.field,
    message_ru: r.text,
    message_en: en[i]?.field === r.field ? en[i].text : r.text,
  }))
}
