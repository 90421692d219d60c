import { InvoiceboxBasketError, type InvoiceboxFieldError } from "../errors"
import { newDecimalParts, readDecimal, type DecimalParts } from "../money"
import { isVatCode, unitWithoutVat, vatCodeForRate, vatRateOf, type VatCode } from "../vat"
import {
  SUPPORTED_CURRENCIES,
  type Basket,
  type BasketItemKind,
  type BasketLine,
  type BasketOptions,
  type CartLike,
  type CartLineLike,
  type ShippingMethodLike,
} from "./types"

/*
 * buildBasket runs in named phases over plain line records: read the cart → round to the cart
 * total → spread the credit → split where a unit price cannot be exact (within the line limit) →
 * VAT unit first. bench/basket.ts keeps it within 3× JSON.stringify of the same cart.
 */

const NAME_MAX = 500
const SKU_MAX = 500
const MEASURE_MAX = 10
const QUANTITY_MAX_DECIMALS = 6

const META_MEASURE = "invoicebox_measure"
const META_MEASURE_CODE = "invoicebox_measure_code"
const META_ITEM_TYPE = "invoicebox_item_type"
const META_VAT_CODE = "invoicebox_vat_code"

function basketError(code: string, ru: string, en: string, fields?: InvoiceboxFieldError[]): InvoiceboxBasketError {
  // Russian first, like every user-facing message of the plugin.
  return new InvoiceboxBasketError(`${ru} / ${en}`, { code, fields })
}

/** How messages name a source line: Russian in the genitive ("у позиции …"), English. */
function lineLabel(kind: "item" | "shipping", id: string): [string, string] {
  return kind === "item" ? [`позиции ${id}`, `line ${id}`] : [`способа доставки ${id}`, `shipping method ${id}`]
}

/** Truncates without splitting a surrogate pair (Invoicebox counts characters, not bytes). */
function clip(s: string, max: number): string {
  if (s.length <= max) return s
  const code = s.charCodeAt(max - 1)
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max)
}

function isCurrency(code: string): boolean {
  for (let i = 0; i < SUPPORTED_CURRENCIES.length; i++) if (SUPPORTED_CURRENCIES[i] === code) return true
  return false
}

/** Line metadata wins over variant metadata, which wins over product metadata. */
function metaValue(a: Record<string, unknown> | null | undefined, b: typeof a, c: typeof a, key: string): unknown {
  let v: unknown
  if (a && (v = a[key]) != null && v !== "") return v
  if (b && (v = b[key]) != null && v !== "") return v
  if (c && (v = c[key]) != null && v !== "") return v
  return undefined
}

function itemName(item: CartLineLike, fallback: string): string {
  const product = item.product_title ? item.product_title.trim() : ""
  const variant = item.variant_title ? item.variant_title.trim() : ""
  let name: string
  if (product) {
    // Medusa names the only variant of a simple product "Default variant"; it says nothing on an invoice.
    name =
      variant && variant !== product && variant.toLowerCase() !== "default variant" ? `${product} — ${variant}` : product
  } else {
    name = (item.title && item.title.trim()) || variant || fallback
  }
  return clip(name, NAME_MAX)
}

/** One cart item or shipping method as read: money in integer kopecks, quantity = qtyNum / qtyDen. */
interface SourceLine {
  kind: "item" | "shipping"
  id: string
  sku: string
  name: string
  measure: string
  measureCode: string
  type: BasketItemKind
  vatCode: VatCode
  rate: number
  qtyNum: number
  qtyDen: number
  /** The line total rounded half-up to a kopeck, then moved by the phases below. */
  total: number
  /** Exact total − rounded total, in kopecks: ranks lines when kopecks have to move. */
  excess: number
}

/** Some units of one source line at one unit price, before VAT. */
interface Part {
  source: SourceLine
  total: number
  amount: number
  qtyNum: number
  qtyDen: number
}

interface Settings {
  defaultMeasure: string
  defaultMeasureCode: string
  defaultItemType: BasketItemKind
  shippingItemType: BasketItemKind
  untaxedVatCode: VatCode
  vatAdded: boolean
  paymentType: string
  maxBasketItems: number
  codes?: Readonly<Record<string, VatCode>>
  zeroCode?: VatCode
}

function settingsOf(options: BasketOptions): Settings {
  const untaxedVatCode = options.untaxedVatCode ?? "VATNONE"
  return {
    defaultMeasure: options.defaultMeasure ?? "шт",
    defaultMeasureCode: options.defaultMeasureCode ?? "796",
    defaultItemType: options.defaultItemType ?? "commodity",
    shippingItemType: options.shippingItemType ?? "service",
    untaxedVatCode,
    vatAdded: options.vatAdded === true,
    paymentType: options.paymentType ?? "full_prepayment",
    maxBasketItems: options.maxBasketItems ?? MAX_BASKET_ITEMS,
    codes: options.vatCodes,
    zeroCode: options.zeroRateIsUntaxed ? untaxedVatCode : undefined,
  }
}

/**
 * Maps a Medusa cart (or order) to an Invoicebox basket in integer kopecks that satisfies the
 * arithmetic Invoicebox checks (docs/internals.md) and sums exactly to the cart total rounded
 * half-up. Throws `InvoiceboxBasketError` when that is impossible.
 */
export function buildBasket(cart: CartLike, options: BasketOptions = {}): Basket {
  const settings = settingsOf(options)
  const { currency, lines, credit, target } = readCart(cart, settings)
  const sum = roundToCartTotal(lines, target, credit)
  if (credit > 0) {
    if (credit > sum) throw cannotReconcile(target, sum - credit)
    spreadCredit(lines, credit, sum)
  }
  const parts = splitWithinLimit(lines, settings.maxBasketItems)
  const basketLines = parts.map((part) => unitFirst(part, settings.paymentType))
  let totalAmount = 0
  let vatAmount = 0
  for (const line of basketLines) {
    totalAmount += line.totalAmount
    vatAmount += line.totalVatAmount
  }
  if (totalAmount !== target) throw cannotReconcile(target, totalAmount)
  return { lines: basketLines, totalAmount, vatAmount, currency }
}

// --- phase 1: read the cart ------------------------------------------------------------------

function readCart(cart: CartLike, settings: Settings): { currency: string; lines: SourceLine[]; credit: number; target: number } {
  const currency = typeof cart?.currency_code === "string" ? cart.currency_code.trim().toUpperCase() : ""
  if (!isCurrency(currency)) {
    const shown = JSON.stringify(String(cart?.currency_code ?? "").slice(0, 10))
    throw basketError(
      "unsupported_currency",
      `Валюта ${shown} не поддерживается Инвойсбоксом (допустимы: ${SUPPORTED_CURRENCIES.join(", ")})`,
      `Currency ${shown} is not supported by Invoicebox (supported: ${SUPPORTED_CURRENCIES.join(", ")})`
    )
  }
  const items = cart.items ?? []
  if (items.length === 0) {
    throw basketError("empty_cart", "Корзина пуста: выставлять счёт не на что", "The cart is empty: there is nothing to invoice")
  }
  const parts = newDecimalParts()
  const lines = items.map((item, i) => readItem(item, i, settings, parts))
  ;(cart.shipping_methods ?? []).forEach((method, s) => lines.push(readShipping(method, s, settings, parts)))

  // Credit lines (store credit) are paid by other means: they reduce what is invoiced.
  let credit = 0
  for (const line of cart.credit_lines ?? []) {
    if (!readDecimal(line.amount, parts, 2) || parts.negative) {
      throw basketError("invalid_amount", "Сумма кредитной линии не является неотрицательным числом", "A credit line amount is not a non-negative number")
    }
    credit += parts.units
  }
  if (!readDecimal(cart.total, parts, 2) || parts.negative) {
    throw basketError("invalid_amount", "Итог корзины не является неотрицательным числом", "The cart total is not a non-negative number")
  }
  return { currency, lines, credit, target: parts.units }
}

function readItem(item: CartLineLike, i: number, settings: Settings, parts: DecimalParts): SourceLine {
  const id = String(item.id ?? i)
  const [qtyNum, qtyDen] = readQuantity(item.quantity, id, parts)
  const [total, excess] = readTotal(item.total, "item", id, parts)
  const md = item.metadata
  const vmd = item.variant ? item.variant.metadata : undefined
  const pmd = item.product ? item.product.metadata : undefined
  const meta = (key: string) => (md || vmd || pmd ? metaValue(md, vmd, pmd, key) : undefined)

  let measure = settings.defaultMeasure
  let measureCode = settings.defaultMeasureCode
  let type = settings.defaultItemType
  const mv = meta(META_MEASURE)
  if (mv !== undefined) {
    if (typeof mv !== "string" || mv.trim().length === 0 || mv.trim().length > MEASURE_MAX) {
      throw invalidMeta(id, META_MEASURE, `строка до ${MEASURE_MAX} символов`, `a string of at most ${MEASURE_MAX} characters`)
    }
    measure = mv.trim()
  }
  const mc = meta(META_MEASURE_CODE)
  if (mc !== undefined) {
    const code = typeof mc === "number" ? String(mc) : typeof mc === "string" ? mc.trim() : ""
    if (!/^\d{1,4}$/.test(code)) throw invalidMeta(id, META_MEASURE_CODE, "код ОКЕИ, 1–4 цифры", "an OKEI code of 1–4 digits")
    measureCode = code
  }
  const mt = meta(META_ITEM_TYPE)
  if (mt !== undefined) {
    if (mt !== "commodity" && mt !== "service") throw invalidMeta(id, META_ITEM_TYPE, "commodity или service", "commodity or service")
    type = mt
  }
  const override = meta(META_VAT_CODE)
  if (override !== undefined && !isVatCode(override)) {
    throw invalidMeta(id, META_VAT_CODE, "один из кодов НДС Инвойсбокса", "one of Invoicebox's VAT codes")
  }
  const vat = override !== undefined ? { vatCode: override as VatCode, rate: vatRateOf(override as VatCode) } : vatOf(item, "item", id, settings, parts)
  const sku = clip(String(item.variant_sku || item.variant_id || id), SKU_MAX)
  return { kind: "item", id, sku, name: itemName(item, sku), measure, measureCode, type, ...vat, qtyNum, qtyDen, total, excess }
}

function readShipping(method: ShippingMethodLike, s: number, settings: Settings, parts: DecimalParts): SourceLine {
  const id = String(method.id ?? s)
  const [total, excess] = readTotal(method.total, "shipping", id, parts)
  return {
    kind: "shipping",
    id,
    sku: clip(`shipping_${id}`, SKU_MAX),
    name: clip((method.name && method.name.trim()) || "Доставка", NAME_MAX),
    measure: settings.defaultMeasure,
    measureCode: settings.defaultMeasureCode,
    type: settings.shippingItemType,
    ...vatOf(method, "shipping", id, settings, parts),
    qtyNum: 1,
    qtyDen: 1,
    total,
    excess,
  }
}

/** Integers are the norm; fractional quantities (weight goods) are kept exact as num / 10^d. */
function readQuantity(q: unknown, id: string, parts: DecimalParts): [number, number] {
  if (typeof q === "number" && Number.isSafeInteger(q) && q > 0) return [q, 1]
  let ok = readDecimal(q, parts, 0) && !parts.negative
  let num = parts.units
  let den = 1
  if (ok && parts.inexact) {
    ok = readDecimal(q, parts, QUANTITY_MAX_DECIMALS) && !parts.inexact
    num = parts.units
    den = 10 ** QUANTITY_MAX_DECIMALS
    while (ok && den > 1 && num % 10 === 0) {
      num /= 10
      den /= 10
    }
  }
  if (!ok || num <= 0) {
    const [ru, en] = lineLabel("item", id)
    throw basketError(
      "invalid_quantity",
      `Количество у ${ru} должно быть положительным числом (не более ${QUANTITY_MAX_DECIMALS} знаков после запятой)`,
      `The quantity of ${en} must be a positive number (at most ${QUANTITY_MAX_DECIMALS} decimals)`
    )
  }
  return [num, den]
}

function readTotal(value: unknown, kind: "item" | "shipping", id: string, parts: DecimalParts): [number, number] {
  if (!readDecimal(value, parts, 2) || parts.negative) {
    const [ru, en] = lineLabel(kind, id)
    throw basketError("invalid_amount", `Сумма у ${ru} не является неотрицательным числом`, `The total of ${en} is not a non-negative number`)
  }
  return [parts.units, parts.roundedUp ? parts.fraction - 1 : parts.fraction]
}

/** The line's Invoicebox VAT code and rate from its Medusa tax lines (none: the untaxed code). */
function vatOf(
  line: { tax_lines?: ArrayLike<{ rate: unknown }> | null; is_tax_inclusive?: boolean | null },
  kind: "item" | "shipping",
  id: string,
  settings: Settings,
  parts: DecimalParts
): { vatCode: VatCode; rate: number } {
  const taxLines = line.tax_lines
  if (!taxLines || taxLines.length === 0) return { vatCode: settings.untaxedVatCode, rate: vatRateOf(settings.untaxedVatCode) }
  let rate = 0
  for (let k = 0; k < taxLines.length; k++) {
    const raw = taxLines[k].rate
    if (typeof raw === "number" && raw >= 0) rate += raw
    else if (readDecimal(raw, parts, 6) && !parts.negative && !parts.inexact) rate += parts.units / 1e6
    else {
      const [ru, en] = lineLabel(kind, id)
      throw basketError("unsupported_vat_rate", `Неверная ставка налога у ${ru}`, `Invalid tax rate on ${en}`)
    }
  }
  const added = settings.vatAdded && line.is_tax_inclusive !== true
  return { vatCode: vatCodeForRate(rate, { codes: settings.codes, zeroCode: settings.zeroCode, added }), rate }
}

// --- phase 2: round to the cart total, spread the credit ------------------------------------

/** Moves a kopeck per line at most so the rounded line totals make the rounded cart total; returns Σ totals. */
function roundToCartTotal(lines: SourceLine[], target: number, credit: number): number {
  let sum = 0
  for (const line of lines) sum += line.total
  const diff = target - (sum - credit)
  if (diff === 0) return sum
  const candidates = lines.filter((line) => diff > 0 || line.total > 0)
  const need = Math.abs(diff)
  if (need > candidates.length) throw cannotReconcile(target, sum - credit)
  // Give to the lines rounded down the most; take from those rounded up the most.
  for (const line of pick(candidates, (l) => l.excess, need, diff > 0)) line.total += diff > 0 ? 1 : -1
  return sum + diff
}

/** Credit in proportion to the line totals (largest remainder); a share never exceeds its line. */
function spreadCredit(lines: SourceLine[], credit: number, sum: number): void {
  const remainder = new Map<SourceLine, number>()
  let given = 0
  for (const line of lines) {
    let share: number
    const product = credit * line.total
    if (Number.isSafeInteger(product)) {
      const rem = product % sum
      share = (product - rem) / sum
      remainder.set(line, rem / sum)
    } else {
      const p = BigInt(credit) * BigInt(line.total)
      share = Number(p / BigInt(sum))
      remainder.set(line, Number(p % BigInt(sum)) / sum)
    }
    line.total -= share
    given += share
  }
  const left = credit - given
  if (left <= 0) return
  // Σ remainders = left exactly, so there are at least `left` lines with a remainder.
  const candidates = lines.filter((line) => remainder.get(line)! > 0)
  for (const line of pick(candidates, (l) => remainder.get(l)!, left, true)) line.total -= 1
}

// --- phase 3: split where a unit price cannot be exact ---------------------------------------

/**
 * Lines whose total does not divide by the quantity split in two (Invoicebox wants total = unit ×
 * quantity). At most `limit` lines (100: the official client's createOrder schema,
 * InvoiceBox/invoicebox-mcp-server src/tools/writes.ts:455): when splits alone push a cart over
 * it, the kopecks that keep a line from dividing move to a one-unit line instead.
 */
function splitWithinLimit(lines: SourceLine[], limit: number): Part[] {
  let parts = lines.flatMap(splitLine)
  if (parts.length > limit && absorbRemainders(lines, parts.length - limit)) parts = lines.flatMap(splitLine)
  if (parts.length > limit) throw tooManyLines(limit, parts.length, lines.length)
  return parts
}

function splitLine(source: SourceLine): Part[] {
  const { total, qtyNum, qtyDen } = source
  if (qtyDen !== 1) return splitFractional(source)
  const rest = total % qtyNum
  if (rest === 0) return [{ source, total, amount: total / qtyNum, qtyNum, qtyDen: 1 }]
  const unit = (total - rest) / qtyNum
  const many = unit * (qtyNum - 1)
  return [
    { source, total: many, amount: unit, qtyNum: qtyNum - 1, qtyDen: 1 },
    { source, total: total - many, amount: total - many, qtyNum: 1, qtyDen: 1 },
  ]
}

/**
 * A fractional quantity q = qn / qd (weight goods). Prefers one line whose unit price gives the
 * total after Invoicebox's half-up rounding, away from an exact .5 tie; otherwise q − 1 units and
 * one unit, like the integer split. Rare, so exact BigInt arithmetic is affordable here.
 */
function splitFractional(source: SourceLine): Part[] {
  const { total, qtyNum, qtyDen } = source
  const T = BigInt(total)
  const Q = BigInt(qtyNum)
  const D = BigInt(qtyDen)
  const a = bigDivHalfUp(T * D, Q)
  const gap = a * Q - T * D
  if (2n * (gap < 0n ? -gap : gap) < D) return [{ source, total, amount: Number(a), qtyNum, qtyDen }]
  // Only reachable for q > 1: for q < 1 the nearest unit price is always within half a kopeck.
  const QA = Q - D
  let unit = (T * D) / Q
  if (unit > 0n && 2n * ((unit * QA) % D) === D) unit -= 1n
  const many = Number(bigDivHalfUp(unit * QA, D))
  return [
    { source, total: many, amount: Number(unit), qtyNum: qtyNum - qtyDen, qtyDen },
    { source, total: total - many, amount: total - many, qtyNum: 1, qtyDen: 1 },
  ]
}

/** Moves split-causing remainders (total mod quantity) onto the largest one-unit line; false without one. */
function absorbRemainders(lines: SourceLine[], over: number): boolean {
  let absorber: SourceLine | undefined
  for (const line of lines) if (line.qtyDen === 1 && line.qtyNum === 1 && (!absorber || line.total > absorber.total)) absorber = line
  if (!absorber) return false
  for (const line of lines) {
    if (over === 0) break
    if (line === absorber || line.qtyDen !== 1) continue
    const rest = line.total % line.qtyNum
    if (rest === 0) continue
    line.total -= rest
    absorber.total += rest
    over--
  }
  return true
}

// --- phase 4: VAT unit first -----------------------------------------------------------------

/**
 * VAT unit first, the way Invoicebox's own clients compute a line (InvoiceBox/1c-bitrix
 * .../sale_payment/invoicebox/handler.php:713-716): amountWoVat is the unit price without VAT, the
 * line's VAT what the units leave of the total. amountWoVat × quantity + VAT then equals the total
 * (within half a kopeck for fractional quantities), which the official client demands to a kopeck
 * (InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98); the line VAT may differ from
 * total·r/(100+r) by up to quantity/2 kopecks, as Bitrix's does. No line is nudged towards
 * Medusa's tax total: a nudged kopeck would sit exactly on that limit.
 */
function unitFirst(part: Part, paymentType: string): BasketLine {
  const { source, total, amount, qtyNum, qtyDen } = part
  const woVat = unitWithoutVat(amount, source.rate)
  const units = qtyDen === 1 ? woVat * qtyNum : Number(bigDivHalfUp(BigInt(woVat) * BigInt(qtyNum), BigInt(qtyDen)))
  return {
    sku: source.sku,
    name: source.name,
    measure: source.measure,
    measureCode: source.measureCode,
    quantity: qtyDen === 1 ? qtyNum : qtyNum / qtyDen,
    amount,
    amountWoVat: woVat,
    totalAmount: total,
    totalVatAmount: total - units,
    vatCode: source.vatCode,
    type: source.type,
    paymentType,
    source: { kind: source.kind, id: source.id },
  }
}

// --- helpers -----------------------------------------------------------------------------------

function bigDivHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d)
}

/**
 * Picks `count` of `candidates` in the order of `key` (descending when `desc`), ties by position so
 * the result is deterministic. Used for every largest-remainder decision.
 */
function pick<T>(candidates: T[], key: (c: T) => number, count: number, desc: boolean): T[] {
  const sign = desc ? -1 : 1
  const ranked = candidates.map((c, i) => ({ c, i, k: key(c) }))
  ranked.sort((x, y) => sign * (x.k - y.k) || x.i - y.i)
  return ranked.slice(0, count).map((r) => r.c)
}

/** Invoicebox takes at most 100 basket items (InvoiceBox/invoicebox-mcp-server src/tools/writes.ts:455). */
export const MAX_BASKET_ITEMS = 100

function tooManyLines(limit: number, lines: number, sources: number): InvoiceboxBasketError {
  return basketError(
    "too_many_basket_items",
    `В счёте Инвойсбокс может быть не более ${limit} позиций, а этой корзине нужно ${lines} (товаров и доставок: ${sources}). Разделите заказ на несколько.`,
    `An Invoicebox invoice holds at most ${limit} lines, and this cart needs ${lines} (goods and shipping: ${sources}). Split the order.`
  )
}

function invalidMeta(id: string, key: string, ru: string, en: string): InvoiceboxBasketError {
  return basketError(
    "invalid_line_metadata",
    `Метаданные ${key} у позиции ${id}: ожидается ${ru}`,
    `Metadata ${key} of line ${id}: expected ${en}`,
    [{ name: key, code: "invalid_line_metadata", message: en }]
  )
}

function cannotReconcile(target: number, lines: number): InvoiceboxBasketError {
  const rub = (k: number) => (k / 100).toFixed(2)
  return basketError(
    "cannot_reconcile",
    `Итог корзины ${rub(target)} не сходится с суммой позиций ${rub(lines)}; обновите корзину`,
    `The cart total ${rub(target)} does not match the sum of its lines ${rub(lines)}; refresh the cart`
  )
}
