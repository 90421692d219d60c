import { InvoiceboxBasketError, type InvoiceboxFieldError } from "../errors"
import { newDecimalParts, readDecimal } from "../money"
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
 * Performance notes (bench/basket.ts budgets ≤ 3× JSON.stringify of the cart at 1000 lines):
 * numbers live in typed arrays indexed by line, amounts are parsed by an allocation-free scanner,
 * and the only objects created per line are the output lines themselves. Sorting happens only
 * when kopecks actually have to be moved.
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

/** Half-up integer division of non-negative safe integers, exact (no float quotient). */
function divHalfUp(n: number, d: number): number {
  const r = n % d
  return (n - r) / d + (2 * r >= d ? 1 : 0)
}

function bigDivHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d)
}

/**
 * Picks `count` indices from `candidates` in the order of `key` (descending when `desc`), ties by
 * index so the result is deterministic. Used for every largest-remainder decision.
 */
function pick(candidates: number[], key: Float64Array, count: number, desc: boolean): number[] {
  const sign = desc ? -1 : 1
  candidates.sort((i, j) => sign * (key[i] - key[j]) || i - j)
  return candidates.length > count ? candidates.slice(0, count) : candidates
}

/**
 * Maps a Medusa cart (or order) to an Invoicebox basket in integer kopecks that satisfies the
 * arithmetic Invoicebox checks (docs/internals.md) and sums exactly to the cart total rounded
 * half-up. Throws `InvoiceboxBasketError` when that is impossible.
 */
export function buildBasket(cart: CartLike, options: BasketOptions = {}): Basket {
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
  const shipping = cart.shipping_methods ?? []

  const defaultMeasure = options.defaultMeasure ?? "шт"
  const defaultMeasureCode = options.defaultMeasureCode ?? "796"
  const defaultItemType: BasketItemKind = options.defaultItemType ?? "commodity"
  const shippingItemType: BasketItemKind = options.shippingItemType ?? "service"
  const untaxedVatCode: VatCode = options.untaxedVatCode ?? "VATNONE"
  const untaxedRate = vatRateOf(untaxedVatCode)
  const vatAdded = options.vatAdded === true
  const paymentType = options.paymentType ?? "full_prepayment"
  const codeOptions = { codes: options.vatCodes, zeroCode: options.zeroRateIsUntaxed ? untaxedVatCode : undefined }

  const m = items.length + shipping.length
  const parts = newDecimalParts()

  // Per source line (items first, then shipping methods).
  const total = new Float64Array(m)
  const excess = new Float64Array(m) // exact total − rounded total, in kopecks
  const rate = new Float64Array(m)
  const qtyNum = new Float64Array(m) // quantity = qtyNum / qtyDen
  const qtyDen = new Float64Array(m)
  const skus: string[] = new Array(m)
  const names: string[] = new Array(m)
  const measures: string[] = new Array(m)
  const measureCodes: string[] = new Array(m)
  const types: BasketItemKind[] = new Array(m)
  const vatCodes: VatCode[] = new Array(m)
  const ids: string[] = new Array(m)

  const readTotal = (i: number, value: unknown, kind: "item" | "shipping", id: string): void => {
    if (!readDecimal(value, parts, 2) || parts.negative) {
      const [ru, en] = lineLabel(kind, id)
      throw basketError(
        "invalid_amount",
        `Сумма у ${ru} не является неотрицательным числом`,
        `The total of ${en} is not a non-negative number`
      )
    }
    total[i] = parts.units
    excess[i] = parts.roundedUp ? parts.fraction - 1 : parts.fraction
  }

  const readRate = (
    taxLines: ArrayLike<{ rate: unknown }> | null | undefined,
    kind: "item" | "shipping",
    id: string
  ): number => {
    if (!taxLines || taxLines.length === 0) return -1
    let sum = 0
    for (let k = 0; k < taxLines.length; k++) {
      const raw = taxLines[k].rate
      if (typeof raw === "number" && raw >= 0) sum += raw
      else if (readDecimal(raw, parts, 6) && !parts.negative && !parts.inexact) sum += parts.units / 1e6
      else {
        const [ru, en] = lineLabel(kind, id)
        throw basketError("unsupported_vat_rate", `Неверная ставка налога у ${ru}`, `Invalid tax rate on ${en}`)
      }
    }
    return sum
  }

  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    const id = String(item.id ?? i)
    ids[i] = id

    // Quantity: integers are the norm; fractional ones (weight goods) are kept exact as Q / 10^d.
    const q = item.quantity
    if (typeof q === "number" && Number.isSafeInteger(q) && q > 0) {
      qtyNum[i] = q
      qtyDen[i] = 1
    } else {
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
      qtyNum[i] = num
      qtyDen[i] = den
    }

    readTotal(i, item.total, "item", id)

    const md = item.metadata
    const vmd = item.variant ? item.variant.metadata : undefined
    const pmd = item.product ? item.product.metadata : undefined
    let measure = defaultMeasure
    let measureCode = defaultMeasureCode
    let type = defaultItemType
    let vatOverride: unknown
    if (md || vmd || pmd) {
      const mv = metaValue(md, vmd, pmd, META_MEASURE)
      const mc = metaValue(md, vmd, pmd, META_MEASURE_CODE)
      const mt = metaValue(md, vmd, pmd, META_ITEM_TYPE)
      vatOverride = metaValue(md, vmd, pmd, META_VAT_CODE)
      if (mv !== undefined) {
        if (typeof mv !== "string" || mv.trim().length === 0 || mv.trim().length > MEASURE_MAX) {
          throw invalidMeta(id, META_MEASURE, `строка до ${MEASURE_MAX} символов`, `a string of at most ${MEASURE_MAX} characters`)
        }
        measure = mv.trim()
      }
      if (mc !== undefined) {
        const s = typeof mc === "number" ? String(mc) : typeof mc === "string" ? mc.trim() : ""
        if (!/^\d{1,4}$/.test(s)) throw invalidMeta(id, META_MEASURE_CODE, "код ОКЕИ, 1–4 цифры", "an OKEI code of 1–4 digits")
        measureCode = s
      }
      if (mt !== undefined) {
        if (mt !== "commodity" && mt !== "service") {
          throw invalidMeta(id, META_ITEM_TYPE, "commodity или service", "commodity or service")
        }
        type = mt
      }
    }
    measures[i] = measure
    measureCodes[i] = measureCode
    types[i] = type

    if (vatOverride !== undefined) {
      if (!isVatCode(vatOverride)) {
        throw invalidMeta(id, META_VAT_CODE, "один из кодов НДС Инвойсбокса", "one of Invoicebox's VAT codes")
      }
      vatCodes[i] = vatOverride
      rate[i] = vatRateOf(vatOverride)
    } else {
      const r = readRate(item.tax_lines, "item", id)
      if (r < 0) {
        vatCodes[i] = untaxedVatCode
        rate[i] = untaxedRate
      } else {
        vatCodes[i] = vatCodeForRate(r, { ...codeOptions, added: vatAdded && item.is_tax_inclusive !== true })
        rate[i] = r
      }
    }

    const sku = item.variant_sku || item.variant_id || id
    skus[i] = clip(String(sku), SKU_MAX)
    names[i] = itemName(item, skus[i])
  }

  for (let s = 0; s < shipping.length; s++) {
    const method: ShippingMethodLike = shipping[s]
    const i = items.length + s
    const id = String(method.id ?? s)
    ids[i] = id
    qtyNum[i] = 1
    qtyDen[i] = 1
    readTotal(i, method.total, "shipping", id)
    measures[i] = defaultMeasure
    measureCodes[i] = defaultMeasureCode
    types[i] = shippingItemType
    const r = readRate(method.tax_lines, "shipping", id)
    if (r < 0) {
      vatCodes[i] = untaxedVatCode
      rate[i] = untaxedRate
    } else {
      vatCodes[i] = vatCodeForRate(r, { ...codeOptions, added: vatAdded && method.is_tax_inclusive !== true })
      rate[i] = r
    }
    skus[i] = clip(`shipping_${id}`, SKU_MAX)
    names[i] = clip((method.name && method.name.trim()) || "Доставка", NAME_MAX)
  }

  // Credit lines (store credit) are paid by other means: they reduce what is invoiced.
  let credit = 0
  const creditLines = cart.credit_lines ?? []
  for (let k = 0; k < creditLines.length; k++) {
    if (!readDecimal(creditLines[k].amount, parts, 2) || parts.negative) {
      throw basketError("invalid_amount", "Сумма кредитной линии не является неотрицательным числом", "A credit line amount is not a non-negative number")
    }
    credit += parts.units
  }

  if (!readDecimal(cart.total, parts, 2) || parts.negative) {
    throw basketError("invalid_amount", "Итог корзины не является неотрицательным числом", "The cart total is not a non-negative number")
  }
  const target = parts.units

  // 1. Reconcile the rounded line totals with the rounded cart total, a kopeck per line at most.
  let sum = 0
  for (let i = 0; i < m; i++) sum += total[i]
  const diff = target - (sum - credit)
  if (diff !== 0) {
    const candidates: number[] = []
    for (let i = 0; i < m; i++) if (diff > 0 || total[i] > 0) candidates.push(i)
    const need = Math.abs(diff)
    if (need > candidates.length) throw cannotReconcile(target, sum - credit)
    // Give to the lines rounded down the most; take from those rounded up the most.
    for (const i of pick(candidates, excess, need, diff > 0)) total[i] += diff > 0 ? 1 : -1
    sum += diff
  }

  // 2. Spread the credit in proportion to the line totals (largest remainder); a share never
  //    exceeds its line because credit ≤ Σ totals.
  if (credit > 0) {
    if (credit > sum) throw cannotReconcile(target, sum - credit)
    spreadCredit(total, credit, sum)
  }

  // 3. Split lines whose total does not divide by the quantity (Invoicebox wants total = unit × qty).
  const cap = 2 * m
  const outSrc = new Int32Array(cap)
  const outTotal = new Float64Array(cap)
  const outAmount = new Float64Array(cap)
  const outQNum = new Float64Array(cap)
  const outQDen = new Float64Array(cap)
  const split = (): number => {
    let n = 0
    for (let i = 0; i < m; i++) {
      const t = total[i]
      const qn = qtyNum[i]
      const qd = qtyDen[i]
      if (qd === 1) {
        const rest = t % qn
        if (rest === 0) {
          outSrc[n] = i
          outTotal[n] = t
          outAmount[n] = t / qn
          outQNum[n] = qn
          outQDen[n++] = 1
        } else {
          const unit = (t - rest) / qn
          outSrc[n] = i
          outTotal[n] = unit * (qn - 1)
          outAmount[n] = unit
          outQNum[n] = qn - 1
          outQDen[n++] = 1
          outSrc[n] = i
          outTotal[n] = t - unit * (qn - 1)
          outAmount[n] = t - unit * (qn - 1)
          outQNum[n] = 1
          outQDen[n++] = 1
        }
      } else {
        n = splitFractional(i, t, qn, qd, n, outSrc, outTotal, outAmount, outQNum, outQDen)
      }
    }
    return n
  }
  // At most `maxBasketItems` lines (100: the official client's createOrder schema,
  // InvoiceBox/invoicebox-mcp-server src/tools/writes.ts:455). When splits alone push a cart over
  // it, the kopecks that keep a line from dividing by its quantity move to a one-unit line instead.
  const limit = options.maxBasketItems ?? MAX_BASKET_ITEMS
  let n = split()
  if (n > limit && absorbRemainders(total, qtyNum, qtyDen, m, n - limit)) n = split()
  if (n > limit) throw tooManyLines(limit, n, m)

  // 4. VAT unit first, the way Invoicebox's own clients compute a line (InvoiceBox/1c-bitrix
  //    .../sale_payment/invoicebox/handler.php:713-716): amountWoVat is the unit price without VAT,
  //    the line's VAT what the units leave of the total. amountWoVat × quantity + VAT then equals the
  //    total (within half a kopeck for fractional quantities), which the official client demands to
  //    a kopeck (InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98); the line VAT may differ
  //    from total·r/(100+r) by up to quantity/2 kopecks, as Bitrix's does. No line is nudged towards
  //    Medusa's tax total: a nudged kopeck would sit exactly on that limit.
  const lines: BasketLine[] = new Array(n)
  let totalAmount = 0
  let vatSum = 0
  for (let j = 0; j < n; j++) {
    const i = outSrc[j]
    const t = outTotal[j]
    const qn = outQNum[j]
    const qd = outQDen[j]
    const woVat = unitWithoutVat(outAmount[j], rate[i])
    const v = t - (qd === 1 ? woVat * qn : Number(bigDivHalfUp(BigInt(woVat) * BigInt(qn), BigInt(qd))))
    totalAmount += t
    vatSum += v
    lines[j] = {
      sku: skus[i],
      name: names[i],
      measure: measures[i],
      measureCode: measureCodes[i],
      quantity: qd === 1 ? qn : qn / qd,
      amount: outAmount[j],
      amountWoVat: woVat,
      totalAmount: t,
      totalVatAmount: v,
      vatCode: vatCodes[i],
      type: types[i],
      paymentType,
      source: { kind: i < items.length ? "item" : "shipping", id: ids[i] },
    }
  }
  if (totalAmount !== target) throw cannotReconcile(target, totalAmount)
  return { lines, totalAmount, vatAmount: vatSum, currency }
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

/**
 * Moves the remainders that would split lines (total mod quantity) onto one one-unit line, which
 * can carry any kopeck, until `over` splits are gone. False when there is no such line.
 */
function absorbRemainders(total: Float64Array, qtyNum: Float64Array, qtyDen: Float64Array, m: number, over: number): boolean {
  let absorber = -1
  for (let i = 0; i < m; i++) if (qtyDen[i] === 1 && qtyNum[i] === 1 && (absorber < 0 || total[i] > total[absorber])) absorber = i
  if (absorber < 0) return false
  for (let i = 0; i < m && over > 0; i++) {
    if (i === absorber || qtyDen[i] !== 1) continue
    const rest = total[i] % qtyNum[i]
    if (rest === 0) continue
    total[i] -= rest
    total[absorber] += rest
    over--
  }
  return true
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

function spreadCredit(total: Float64Array, credit: number, sum: number): void {
  const m = total.length
  const remainder = new Float64Array(m)
  let given = 0
  for (let i = 0; i < m; i++) {
    let share: number
    const product = credit * total[i]
    if (Number.isSafeInteger(product)) {
      const rem = product % sum
      share = (product - rem) / sum
      remainder[i] = rem / sum
    } else {
      const p = BigInt(credit) * BigInt(total[i])
      const s = BigInt(sum)
      share = Number(p / s)
      remainder[i] = Number(p % s) / sum
    }
    total[i] -= share
    given += share
  }
  const left = credit - given
  if (left > 0) {
    const candidates: number[] = []
    for (let i = 0; i < m; i++) if (remainder[i] > 0) candidates.push(i)
    // Σ remainders = left exactly, so there are at least `left` lines with a remainder.
    for (const i of pick(candidates, remainder, left, true)) total[i] -= 1
  }
}

/**
 * A fractional quantity q = qn / qd (weight goods). Prefers one line whose unit price gives the
 * total after Invoicebox's half-up rounding, away from an exact .5 tie; otherwise q − 1 units and
 * one unit, like the integer split. Rare, so exact BigInt arithmetic is affordable here.
 */
function splitFractional(
  i: number,
  t: number,
  qn: number,
  qd: number,
  n: number,
  outSrc: Int32Array,
  outTotal: Float64Array,
  outAmount: Float64Array,
  outQNum: Float64Array,
  outQDen: Float64Array
): number {
  const T = BigInt(t)
  const Q = BigInt(qn)
  const D = BigInt(qd)
  const a = bigDivHalfUp(T * D, Q)
  const gap = a * Q - T * D
  if (2n * (gap < 0n ? -gap : gap) < D) {
    outSrc[n] = i
    outTotal[n] = t
    outAmount[n] = Number(a)
    outQNum[n] = qn
    outQDen[n++] = qd
    return n
  }
  // Only reachable for q > 1: for q < 1 the nearest unit price is always within half a kopeck.
  const QA = Q - D
  let unit = (T * D) / Q
  if (unit > 0n && 2n * ((unit * QA) % D) === D) unit -= 1n
  const ta = bigDivHalfUp(unit * QA, D)
  outSrc[n] = i
  outTotal[n] = Number(ta)
  outAmount[n] = Number(unit)
  outQNum[n] = qn - qd
  outQDen[n++] = qd
  outSrc[n] = i
  outTotal[n] = t - Number(ta)
  outAmount[n] = t - Number(ta)
  outQNum[n] = 1
  outQDen[n++] = 1
  return n
}
