import { InvoiceboxError } from "./errors"

/**
 * A decimal amount as Medusa hands it over: a JS number, a numeric string, the raw form of a
 * Medusa BigNumber (`{ value, precision }`), or a BigNumber instance (`numeric` / `raw` getters).
 */
export type Decimal =
  | number
  | string
  | { value: string | number; precision?: number }
  | { numeric: number; raw?: { value: string | number } | null }

export interface ToKopecksOptions {
  /** Credit notes and corrections may be negative; cart amounts never are. */
  allowNegative?: boolean
}

// Why hand-written parsing: toKopecks runs several times per basket line and the basket has a
// performance budget (bench/basket.ts: ≤ 3× JSON.stringify of the cart). bignumber.js would
// allocate an object per value; this scanner allocates nothing and is exact because it only
// moves the decimal point and looks at one rounding digit.

/** Result slots of `readDecimal`; callers reuse one object to keep hot loops allocation-free. */
export interface DecimalParts {
  /** |value| × 10^scale rounded half-up to an integer. */
  units: number
  /** The cut-off part below one unit, in [0, 1); ranks lines for largest-remainder spreading. */
  fraction: number
  /** A non-zero digit existed below one unit (the value was not whole units). */
  inexact: boolean
  /** Half-up added one unit (the cut-off part was at least one half). */
  roundedUp: boolean
  negative: boolean
}

export function newDecimalParts(): DecimalParts {
  return { units: 0, fraction: 0, inexact: false, roundedUp: false, negative: false }
}

const MAX_KOPECKS = Number.MAX_SAFE_INTEGER

function invalid(value: unknown, why: string): InvoiceboxError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value).slice(0, 40)
  return new InvoiceboxError(`Invalid amount ${shown}: ${why}`, { code: "invalid_amount" })
}

/**
 * Scans a plain or exponent decimal string: |value| × 10^`shift` rounded half-up (away from
 * zero) into `out`. Returns false when `s` is not a decimal or the result is not a safe integer.
 */
function scanDecimal(s: string, shift: number, out: DecimalParts): boolean {
  const n = s.length
  let i = 0
  while (i < n && s.charCodeAt(i) <= 32) i++
  let end = n
  while (end > i && s.charCodeAt(end - 1) <= 32) end--
  let negative = false
  let c = s.charCodeAt(i)
  if (c === 45 /* - */ || c === 43 /* + */) {
    negative = c === 45
    i++
  }
  const mantissaStart = i
  let pointAt = -1
  let digitCount = 0
  for (; i < end; i++) {
    c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) digitCount++
    else if (c === 46 /* . */ && pointAt < 0) pointAt = i
    else break
  }
  if (digitCount === 0) return false
  const mantissaEnd = i
  let exponent = 0
  if (i < end) {
    c = s.charCodeAt(i)
    if (c !== 101 && c !== 69 /* e E */) return false
    i++
    let expNegative = false
    c = s.charCodeAt(i)
    if (c === 45 || c === 43) {
      expNegative = c === 45
      i++
    }
    if (i >= end) return false
    for (; i < end; i++) {
      c = s.charCodeAt(i)
      if (c < 48 || c > 57) return false
      if (exponent < 1e6) exponent = exponent * 10 + (c - 48)
    }
    if (expNegative) exponent = -exponent
  }
  const intDigits = (pointAt < 0 ? mantissaEnd : pointAt) - mantissaStart
  // Power of ten of the first mantissa digit once the value is multiplied by 10^shift.
  let power = intDigits - 1 + exponent + shift
  let whole = 0
  let fraction = 0
  let fractionScale = 0.1
  let inexact = false
  let roundUp = false
  for (let j = mantissaStart; j < mantissaEnd; j++) {
    c = s.charCodeAt(j)
    if (c === 46) continue
    const d = c - 48
    if (power >= 0) {
      whole = whole * 10 + d
      if (whole > MAX_KOPECKS) return false
    } else {
      if (power === -1) roundUp = d >= 5
      if (d !== 0) inexact = true
      // Digits far below a kopeck cannot change the ranking; stop accumulating them.
      if (power > -18) {
        fraction += d * fractionScale
        fractionScale /= 10
      }
    }
    power--
  }
  // Trailing integer zeros implied by a positive exponent ("1e3").
  if (power >= 0 && whole !== 0) {
    for (let k = 0; k <= power; k++) {
      whole *= 10
      if (whole > MAX_KOPECKS) return false
    }
  }
  // A value too small to have a digit at the rounding position rounds to zero (roundUp stays false).
  out.units = roundUp ? whole + 1 : whole
  out.fraction = fraction
  out.inexact = inexact
  out.roundedUp = roundUp
  out.negative = negative && (whole !== 0 || inexact)
  return out.units <= MAX_KOPECKS
}

function scanNumber(x: number, shift: number, out: DecimalParts): boolean {
  if (!Number.isFinite(x)) return false
  if (Number.isInteger(x)) {
    const scaled = Math.abs(x) * 10 ** shift
    if (scaled > MAX_KOPECKS) return false
    out.units = scaled
    out.fraction = 0
    out.inexact = false
    out.roundedUp = false
    out.negative = x < 0
    return true
  }
  // 15 significant digits recover exactly what was written (DBL_DIG) and drop binary artefacts
  // of earlier float arithmetic (37.48499999999999 -> 37.485), so 2.675 means 2.675, not 2.67499….
  return scanDecimal(x.toPrecision(15), shift, out)
}

/**
 * Low-level exact reader behind `toKopecks`: |value| × 10^`scale` rounded half-up into `out`.
 * Returns false (never throws) for anything that is not a finite decimal in the safe range.
 */
export function readDecimal(value: unknown, out: DecimalParts, scale = 2): boolean {
  if (typeof value === "number") return scanNumber(value, scale, out)
  if (typeof value === "string") return scanDecimal(value, scale, out)
  if (typeof value === "bigint") return scanDecimal(value.toString(), scale, out)
  if (value !== null && typeof value === "object") {
    const o = value as { value?: unknown; raw?: { value?: unknown } | null; numeric?: unknown }
    if (o.value !== undefined) return readDecimal(o.value, out, scale)
    // A Medusa BigNumber instance: its raw string is exact, `numeric` may already be a rounded float.
    if (o.raw && o.raw.value !== undefined) return readDecimal(o.raw.value, out, scale)
    if (typeof o.numeric === "number") return scanNumber(o.numeric, scale, out)
  }
  return false
}

const parts = newDecimalParts()

/**
 * Exact decimal -> integer kopecks, half-up (37.485 -> 3749, 2.675 -> 268).
 * Throws `InvoiceboxError` (`invalid_amount`) for non-decimals and, unless allowed, negatives.
 */
export function toKopecks(value: Decimal, options?: ToKopecksOptions): number {
  if (!readDecimal(value, parts, 2)) throw invalid(value, "not a finite decimal within the safe range")
  if (parts.negative) {
    if (!options?.allowNegative) throw invalid(value, "negative amounts are not accepted here")
    return -parts.units
  }
  return parts.units
}

/** Integer kopecks -> rubles for the wire; `k / 100` is the double nearest to the 2-decimal value. */
export function kopecksToRubles(k: number): number {
  if (!Number.isSafeInteger(k)) throw invalid(k, "kopecks must be a safe integer")
  return k / 100
}

/**
 * Wire rubles -> kopecks. Wire amounts have at most two decimals; a third significant decimal
 * means the counterpart computed something else, so it is rejected rather than rounded away.
 * Negative values are returned as such (the caller decides whether they are allowed).
 */
export function rublesToKopecks(r: number | string): number {
  if (!readDecimal(r, parts, 2)) throw invalid(r, "not a finite decimal within the safe range")
  if (parts.inexact) throw invalid(r, "more than two decimals")
  return parts.negative ? -parts.units : parts.units
}
