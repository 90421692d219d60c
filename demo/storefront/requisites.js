// The same ФНС checksum rules as src/core/requisites/checksums.ts (the server checks again): a typo
// in the ИНН is caught in the browser, before any request leaves it.
const INN10 = [2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]

const checkDigit = (value, weights) =>
  (weights.reduce((sum, w, i) => sum + w * (value.charCodeAt(i) - 48), 0) % 11) % 10

/** @returns {"ok" | "length" | "checksum"} */
export function checkInn(raw) {
  const value = String(raw ?? "").trim()
  if (/^\d{10}$/.test(value)) return checkDigit(value, INN10) === Number(value[9]) ? "ok" : "checksum"
  if (/^\d{12}$/.test(value)) {
    const ok = checkDigit(value, INN12_1) === Number(value[10]) && checkDigit(value, INN12_2) === Number(value[11])
    return ok ? "ok" : "checksum"
  }
  return "length"
}

export const isValidKpp = (value) => /^\d{4}[\dA-Z]{2}\d{3}$/.test(String(value ?? ""))

export const isValidEmail = (value) => /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(String(value ?? ""))

/** "117312, г. Москва, ул. Вавилова, д. 19" → { postalCode, city, street } for the delivery address. */
export function splitRussianAddress(address) {
  const parts = String(address ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
  let postalCode = ""
  if (parts[0] && /^\d{6}$/.test(parts[0])) postalCode = parts.shift()
  const cityIndex = parts.findIndex((p) => /^(г\.|город\s)/i.test(p))
  const city = cityIndex >= 0 ? parts.splice(cityIndex, 1)[0].replace(/^(г\.|город)\s*/i, "") : ""
  return { postalCode, city, street: parts.join(", ") }
}
