/**
 * ИНН / КПП checks for the sandbox. Written independently of src/core/requisites on purpose: the
 * sandbox judges the plugin, so it must not inherit the plugin's mistakes.
 */

const INN10_WEIGHTS = [2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_WEIGHTS_11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
const INN12_WEIGHTS_12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]

function checkDigit(digits: number[], weights: number[]): number {
  return (weights.reduce((sum, weight, i) => sum + weight * digits[i], 0) % 11) % 10
}

export function isValidInn(value: unknown): boolean {
  if (typeof value !== "string" || !/^(\d{10}|\d{12})$/.test(value)) return false
  const digits = [...value].map(Number)
  if (digits.length === 10) return checkDigit(digits, INN10_WEIGHTS) === digits[9]
  return checkDigit(digits, INN12_WEIGHTS_11) === digits[10] && checkDigit(digits, INN12_WEIGHTS_12) === digits[11]
}

export const KPP_PATTERN = /^\d{4}[\dA-Z]{2}\d{3}$/

export function isValidKpp(value: unknown): boolean {
  return typeof value === "string" && KPP_PATTERN.test(value)
}

/** ОГРН (13 digits, mod 11) or ОГРНИП (15 digits, mod 13) whose check digit is right, built from a seed. */
export function fakeRegistrationNumber(seed: string, soleProprietor: boolean): string {
  const length = soleProprietor ? 14 : 12
  const prefix = soleProprietor ? "3" : "1"
  const body = (prefix + "17" + seed.replace(/\D/g, "") + "0".repeat(length)).slice(0, length)
  const check = (BigInt(body) % (soleProprietor ? 13n : 11n)) % 10n
  return body + check.toString()
}
