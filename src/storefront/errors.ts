import { PAYER_FIELD_LABELS } from "../core/requisites/payer"
import { parsePayerErrors } from "../core/requisites/payer-message"
import type { Lang } from "./messages"
import type { BilingualText, PayerFieldErrors } from "./payer"

/**
 * An error of the store as a storefront can show it. A plain object (no class, no functions), so
 * a Next.js server action can return it: production builds replace the message of a thrown error.
 */
export interface InvoiceboxErrorInfo {
  /** HTTP status when the store answered, null for a network failure or a non-HTTP error. */
  status: number | null
  ru: string
  en: string
  /** The first field the error names, for focusing it. */
  field: string | null
  fields: PayerFieldErrors
}

const CYRILLIC = /[А-Яа-яЁё]/
// What frameworks put before the store's message: the js-sdk, Next.js dev mode, the starter's helper.
const NOISE_PREFIXES = /^(?:(?:Error setting up the request|Error|FetchError|Uncaught)\s*:\s*)+/

/** "Русский текст / English text" → both halves; the split is the first " / " with no Cyrillic after it. */
export function splitBilingual(message: string): BilingualText {
  let at = message.indexOf(" / ")
  while (at >= 0) {
    const left = message.slice(0, at)
    const right = message.slice(at + 3)
    if (CYRILLIC.test(left) && !CYRILLIC.test(right)) return { ru: left, en: right }
    at = message.indexOf(" / ", at + 3)
  }
  return { ru: message, en: message }
}

function messageOf(e: unknown): string {
  if (typeof e === "string") return e
  if (e && typeof e === "object") {
    const m = (e as { message?: unknown }).message
    if (typeof m === "string") return m
    const body = (e as { body?: { message?: unknown } }).body
    if (typeof body?.message === "string") return body.message
  }
  return String(e ?? "")
}

function statusOf(e: unknown): number | null {
  const s = e && typeof e === "object" ? (e as { status?: unknown }).status : undefined
  return typeof s === "number" && s > 0 ? s : null
}

/** A message that starts with a field's label ("ИНН (inn): …", "КПП: …") is about that field. */
function fieldNamed(ru: string): string | null {
  for (const [field, [label]] of Object.entries(PAYER_FIELD_LABELS)) {
    if (field !== "payer" && (ru.startsWith(`${label}:`) || ru.startsWith(`${label} (`))) return field
  }
  return null
}

/** Reads an error thrown by @medusajs/js-sdk (FetchError), the kit's own client, or a plain Error. */
export function readInvoiceboxError(e: unknown): InvoiceboxErrorInfo {
  if (isErrorInfo(e)) return e
  const raw = messageOf(e).replace(NOISE_PREFIXES, "").trim()
  const status = statusOf(e)
  const parsed = parsePayerErrors(raw)
  const { ru, en } = splitBilingual(parsed ? raw.slice(raw.indexOf("Проверьте")) : raw)
  const fields: PayerFieldErrors = {}
  if (parsed) {
    for (const p of parsed) fields[p.field as keyof PayerFieldErrors] ??= { ru: p.message_ru, en: p.message_en }
  } else {
    const field = fieldNamed(ru)
    if (field) fields[field as keyof PayerFieldErrors] = { ru, en }
  }
  const field = Object.keys(fields)[0] ?? null
  return { status, ru: ru || "Ошибка", en: en || "Error", field, fields }
}

function isErrorInfo(e: unknown): e is InvoiceboxErrorInfo {
  const x = e as Partial<InvoiceboxErrorInfo> | null
  return !!x && typeof x === "object" && typeof x.ru === "string" && typeof x.en === "string" && typeof x.fields === "object" && "field" in x
}

export function errorText(info: Pick<InvoiceboxErrorInfo, "ru" | "en">, lang: Lang): string {
  return lang === "en" ? info.en : info.ru
}
