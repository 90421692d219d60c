/**
 * Checksums of Russian registration numbers (ФНС algorithms). They catch typos at checkout, before
 * Invoicebox or the buyer's accountant does; they do not prove that the organisation exists.
 */

const INN10_WEIGHTS = [2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_WEIGHTS_1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_WEIGHTS_2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]

function isDigits(value: unknown, length: number): value is string {
  if (typeof value !== "string" || value.length !== length) return false
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function checkDigit(value: string, weights: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < weights.length; i++) sum += weights[i] * (value.charCodeAt(i) - 48)
  return (sum % 11) % 10
}

function digitAt(value: string, i: number): number {
  return value.charCodeAt(i) - 48
}

/** ИНН: 10 digits (organisation) or 12 digits (individual / ИП), with their check digits. */
export function isValidInn(value: string): boolean {
  if (isDigits(value, 10)) return checkDigit(value, INN10_WEIGHTS) === digitAt(value, 9)
  if (isDigits(value, 12)) {
    return (
      checkDigit(value, INN12_WEIGHTS_1) === digitAt(value, 10) &&
      checkDigit(value, INN12_WEIGHTS_2) === digitAt(value, 11)
    )
  }
  return false
}

/** КПП: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits. */
export function isValidKpp(value: string): boolean {
  return typeof value === "string" && /^\d{4}[\dA-Z]{2}\d{3}$/.test(value)
}

/** ОГРН (13 digits): the last digit is (first 12 mod 11) mod 10. */
export function isValidOgrn(value: string): boolean {
  return isDigits(value, 13) && (Number(value.slice(0, 12)) % 11) % 10 === digitAt(value, 12)
}

/** ОГРНИП (15 digits): the last digit is (first 14 mod 13) mod 10. */
export function isValidOgrnip(value: string): boolean {
  return isDigits(value, 15) && (Number(value.slice(0, 14)) % 13) % 10 === digitAt(value, 14)
}
