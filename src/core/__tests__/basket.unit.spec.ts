import fc from "fast-check"
import { checkLine, checkTotals, QUANTITY_SCALE } from "../../sandbox/arithmetic"
import { buildBasket, toWireBasketItems, type Basket, type BasketOptions, type CartLike, type CartLineLike } from "../basket"
import { InvoiceboxBasketError } from "../errors"

/* ------------------------------------------------------------------------------------------ *
 * An independent checker of the Invoicebox arithmetic (docs/internals.md). It shares no code   *
 * with the basket: its own rate table, exact BigInt arithmetic, its own decimal reading.       *
 * ------------------------------------------------------------------------------------------ */

const RATE: Record<string, number> = {
  VATNONE: 0,
  RUS_VAT0: 0,
  RUS_VAT5: 5,
  RUS_VAT7: 7,
  RUS_VAT10: 10,
  RUS_VAT20: 20,
  RUS_VAT22: 22,
  RUS_VAT5_ADDED: 5,
  RUS_VAT7_ADDED: 7,
  RUS_VAT10_ADDED: 10,
  RUS_VAT20_ADDED: 20,
  RUS_VAT22_ADDED: 22,
}

/** A decimal (string | number | { value }) as an exact fraction num / 10^scale. */
function exact(value: unknown): { num: bigint; scale: bigint } {
  const raw = typeof value === "object" && value !== null ? (value as { value: unknown }).value : value
  const s = typeof raw === "number" ? raw.toPrecision(15) : String(raw)
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(s.trim())
  if (!m) throw new Error(`checker cannot read ${s}`)
  const frac = m[3] ?? ""
  let num = BigInt((m[2] || "0") + frac)
  let dec = frac.length - Number(m[4] ?? 0)
  while (dec < 0) {
    num *= 10n
    dec++
  }
  return { num: m[1] ? -num : num, scale: 10n ** BigInt(dec) }
}

/** Half-up to whole kopecks (non-negative inputs). */
function kopecksOf(value: unknown): bigint {
  const { num, scale } = exact(value)
  return (2n * num * 100n + scale) / (2n * scale)
}

const abs = (x: bigint) => (x < 0n ? -x : x)

/** Every violated rule, as text (empty when the basket is valid). */
function violations(basket: Basket, cart: CartLike): string[] {
  const out: string[] = []
  let sumTotal = 0n
  let sumVat = 0n
  basket.lines.forEach((line, n) => {
    const where = `line ${n} (${line.source.kind} ${line.source.id})`
    for (const key of ["amount", "amountWoVat", "totalAmount", "totalVatAmount"] as const) {
      if (!Number.isSafeInteger(line[key]) || line[key] < 0) out.push(`${where}: ${key} ${line[key]} is not a non-negative integer`)
    }
    if (!(line.quantity > 0)) out.push(`${where}: quantity ${line.quantity}`)
    if (!(line.vatCode in RATE)) out.push(`${where}: unknown VAT code ${line.vatCode}`)
    if (!line.sku || line.sku.length > 500) out.push(`${where}: sku`)
    if (!line.name || line.name.length > 500) out.push(`${where}: name`)
    if (!line.measure || line.measure.length > 10 || !/^\d{1,4}$/.test(line.measureCode)) out.push(`${where}: measure`)

    const q = exact(line.quantity) // quantity = q.num / q.scale
    const T = BigInt(line.totalAmount)
    const V = BigInt(line.totalVatAmount)
    const A = BigInt(line.amount)
    const W = BigInt(line.amountWoVat)
    const r = BigInt(RATE[line.vatCode] ?? 0)
    // 1. totalAmount == round_half_up(amount × quantity)
    if ((2n * A * q.num + q.scale) / (2n * q.scale) !== T) out.push(`${where}: rule 1, ${A} × ${line.quantity} ≠ ${T}`)
    // 2. unit first: |W − A·100/(100+r)| ≤ 1, i.e. |W·(100+r) − A·100| ≤ 100+r; no VAT without a rate
    if (abs(W * (100n + r) - A * 100n) > 100n + r) out.push(`${where}: rule 2, amountWoVat ${W} of unit ${A} at ${r}%`)
    if (r === 0n && V !== 0n) out.push(`${where}: rule 2, VAT ${V} without a rate`)
    // 3. |W·q + V − T| ≤ 1 kopeck, no per-unit slack
    if (abs(W * q.num + (V - T) * q.scale) > q.scale) out.push(`${where}: rule 3, ${W} × ${line.quantity} + ${V} vs ${T}`)
    // The line VAT stays within q/2 + 1 kopecks of T·r/(100+r) (as Bitrix's does)
    const halfQ = (q.num + 2n * q.scale - 1n) / (2n * q.scale)
    if (abs(V * (100n + r) - T * r) > (halfQ + 1n) * (100n + r)) out.push(`${where}: line VAT ${V} too far from ${T}·${r}/(100+${r})`)
    // 4. VAT never above the total
    if (V > T) out.push(`${where}: rule 4, VAT above total`)
    sumTotal += T
    sumVat += V
  })
  if (sumTotal !== BigInt(basket.totalAmount)) out.push(`Σ totalAmount ${sumTotal} ≠ amount ${basket.totalAmount}`)
  if (sumVat !== BigInt(basket.vatAmount)) out.push(`Σ totalVatAmount ${sumVat} ≠ vatAmount ${basket.vatAmount}`)
  if (BigInt(basket.totalAmount) !== kopecksOf(cart.total)) out.push(`amount ${basket.totalAmount} ≠ cart total ${String(cart.total)}`)

  // Every source line is fully present: the quantities of its split lines add up.
  const sources = [
    ...(cart.items ?? []).map((i) => ({ kind: "item", id: i.id, quantity: i.quantity })),
    ...(cart.shipping_methods ?? []).map((s) => ({ kind: "shipping", id: s.id, quantity: 1 })),
  ]
  for (const src of sources) {
    const lines = basket.lines.filter((l) => l.source.kind === src.kind && l.source.id === src.id)
    const want = exact(src.quantity)
    const got = lines.reduce((s, l) => {
      const q = exact(l.quantity)
      return s + (q.num * want.scale) / q.scale
    }, 0n)
    if (lines.length === 0 || lines.length > 2 || got !== want.num) out.push(`${src.kind} ${src.id}: quantities ${got} ≠ ${want.num}`)
  }
  return out
}

/* ------------------------------------------------------------------------------------------ *
 * Carts computed the way Medusa computes them, in exact micro-rubles (1e-6), so amounts carry  *
 * sub-kopeck decimals (37.485) and arrive as numbers, strings or BigNumber raw values.         *
 * ------------------------------------------------------------------------------------------ */

const MICRO = 1_000_000n
const microToDecimal = (micro: bigint) => {
  const s = (micro < 0n ? -micro : micro).toString().padStart(7, "0")
  return `${micro < 0n ? "-" : ""}${s.slice(0, -6)}.${s.slice(-6)}`.replace(/\.?0+$/, "") || "0"
}
type Shape = "number" | "string" | "raw"
const present = (micro: bigint, shape: Shape) => {
  const s = microToDecimal(micro)
  return shape === "number" ? Number(s) : shape === "string" ? s : { value: s, precision: 20 }
}
const divRound = (n: bigint, d: bigint) => (2n * n + d) / (2n * d)

const rateArb = fc.constantFrom(0, 10, 20, 22, -1) // -1: no tax lines
const shapeArb = fc.constantFrom<Shape>("number", "string", "raw")

const lineArb = fc.record({
  rate: rateArb,
  inclusive: fc.boolean(),
  // Mostly small quantities, sometimes up to 1000, sometimes fractional (weight goods).
  quantityMilli: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }).map((q) => q * 1000) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 1000 }).map((q) => q * 1000) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20000 }) }
  ),
  unitMilli: fc.oneof(fc.integer({ min: 0, max: 5_000_000 }), fc.constantFrom(0, 1, 5, 10_500, 37_485, 99_999)),
  discountPermille: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })),
  shape: shapeArb,
  sku: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }),
})

/** The properties below test the arithmetic of carts up to 200 lines, not the 100-line limit (tested on its own). */
const WIDE: BasketOptions = { maxBasketItems: 10_000 }

const cartArb = fc.record({
  // size "max": without it fast-check keeps arrays at about ten elements.
  lines: fc.oneof(fc.array(lineArb, { minLength: 1, maxLength: 5 }), fc.array(lineArb, { minLength: 1, maxLength: 200, size: "max" })),
  shipping: fc.array(fc.record({ totalMilli: fc.integer({ min: 0, max: 2_000_000 }), rate: rateArb, shape: shapeArb }), { maxLength: 3 }),
  creditPermille: fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 2 }),
  totalShape: shapeArb,
  // Medusa rounds tax per line its own way; a few kopecks off must never push a line past rule 2.
  taxSkewKopecks: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
})

type CartSpec = typeof cartArb extends fc.Arbitrary<infer T> ? T : never

function medusaCart(spec: CartSpec): CartLike {
  let total = 0n
  let taxTotal = 0n
  const items: CartLineLike[] = spec.lines.map((l, i) => {
    const r = BigInt(Math.max(l.rate, 0))
    const quantity = microToDecimal(BigInt(l.quantityMilli) * 1000n)
    const subtotal = BigInt(l.unitMilli) * BigInt(l.quantityMilli) // micro-rubles (milli × milli)
    const discount = (subtotal * BigInt(l.discountPermille)) / 1000n
    const taxable = subtotal - discount
    const tax = l.inclusive ? divRound(taxable * r, 100n + r) : divRound(taxable * r, 100n)
    const lineTotal = l.inclusive ? taxable : taxable + tax
    total += lineTotal
    taxTotal += tax
    return {
      id: `cali_${i}`,
      product_title: `Товар ${i}`,
      variant_title: i % 3 === 0 ? "Default variant" : `Вариант ${i % 7}`,
      variant_sku: l.sku,
      variant_id: i % 2 ? `variant_${i}` : null,
      quantity: l.quantityMilli % 1000 === 0 ? l.quantityMilli / 1000 : quantity,
      unit_price: present(BigInt(l.unitMilli) * 1000n, l.shape),
      is_tax_inclusive: l.inclusive,
      total: present(lineTotal, l.shape),
      tax_total: present(tax, l.shape),
      tax_lines: l.rate < 0 ? [] : [{ rate: l.rate, code: `vat${l.rate}` }],
      metadata: {},
    }
  })
  const shipping_methods = spec.shipping.map((s, k) => {
    const micro = BigInt(s.totalMilli) * 1000n
    const r = BigInt(Math.max(s.rate, 0))
    total += micro
    taxTotal += divRound(micro * r, 100n + r)
    return { id: `sm_${k}`, name: `Доставка ${k}`, total: present(micro, s.shape), tax_lines: s.rate < 0 ? [] : [{ rate: s.rate }] }
  })
  const gross = total
  const credit_lines = spec.creditPermille.map((p) => {
    const amount = (gross * BigInt(p)) / 2000n // two lines at most 50 % each: never above the total
    total -= amount
    return { amount: present(amount, "string") }
  })
  return {
    currency_code: "rub",
    total: present(total, spec.totalShape),
    tax_total: present(taxTotal + BigInt(spec.taxSkewKopecks) * 10_000n > 0n ? taxTotal + BigInt(spec.taxSkewKopecks) * 10_000n : 0n, "number"),
    items,
    shipping_methods,
    credit_lines,
  }
}

function expectValid(basket: Basket, cart: CartLike): void {
  expect(violations(basket, cart)).toEqual([])
}

function thrown(fn: () => unknown): InvoiceboxBasketError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InvoiceboxBasketError)
    return e as InvoiceboxBasketError
  }
  throw new Error("expected InvoiceboxBasketError")
}

const item = (over: Partial<CartLineLike> & Pick<CartLineLike, "total">): CartLineLike => ({
  id: "li_1",
  product_title: "Ручка",
  quantity: 1,
  unit_price: over.total,
  is_tax_inclusive: true,
  tax_lines: [{ rate: 20 }],
  ...over,
})

/* ------------------------------------------------------------------------------------------ */

describe("the checker itself", () => {
  it("catches a broken line (so the property tests can fail)", () => {
    const cart: CartLike = { currency_code: "rub", total: 31.5, items: [item({ quantity: 3, total: 31.5 })] }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    const broken = (patch: Partial<Basket["lines"][number]>) => violations({ ...basket, lines: [{ ...basket.lines[0], ...patch }] }, cart)
    expect(broken({ amount: 1051 })).toEqual([expect.stringMatching(/rule 1/)])
    expect(broken({ totalVatAmount: 527 })).toEqual([expect.stringMatching(/rule 3/), expect.stringMatching(/Σ totalVat/)])
    // Rule 3 has no per-unit slack: 874 is within rule 2's kopeck of 875, but 3 × 874 + 525 misses 3150 by 3.
    expect(broken({ amountWoVat: 874 })).toEqual([expect.stringMatching(/rule 3/)])
    expect(broken({ amountWoVat: 873 })).toEqual([expect.stringMatching(/rule 2/), expect.stringMatching(/rule 3/)])
    expect(broken({ quantity: 2 })).toEqual([expect.stringMatching(/rule 1/), expect.stringMatching(/rule 3/), expect.stringMatching(/quantities/)])
  })
})

describe("buildBasket: known carts", () => {
  it("3 × 10.50 at 20 % inclusive", () => {
    const cart: CartLike = { currency_code: "rub", total: 31.5, tax_total: 5.25, items: [item({ quantity: 3, unit_price: 10.5, total: 31.5, variant_title: "Синяя" })] }
    const basket = buildBasket(cart)
    expect(basket).toEqual({
      currency: "RUB",
      totalAmount: 3150,
      vatAmount: 525,
      lines: [
        {
          sku: "li_1",
          name: "Ручка — Синяя",
          measure: "шт",
          measureCode: "796",
          quantity: 3,
          amount: 1050,
          amountWoVat: 875,
          totalAmount: 3150,
          totalVatAmount: 525,
          vatCode: "RUS_VAT20",
          type: "commodity",
          paymentType: "full_prepayment",
          source: { kind: "item", id: "li_1" },
        },
      ],
    })
  })

  it("rounds a three-decimal total half-up and reconciles two of them with the cart total", () => {
    const single: CartLike = { currency_code: "RUB", total: "37.485", items: [item({ total: "37.485" })] }
    expect(buildBasket(single).totalAmount).toBe(3749)
    // 37.485 + 37.485 = 74.97: the rounded lines give 74.98, so one line gives back a kopeck.
    const pair: CartLike = {
      currency_code: "rub",
      total: "74.97",
      items: [item({ id: "a", total: "37.485" }), item({ id: "b", total: { value: "37.485", precision: 20 } })],
    }
    const basket = buildBasket(pair)
    expectValid(basket, pair)
    expect(basket.lines.map((l) => l.totalAmount).sort()).toEqual([3748, 3749])
  })

  it("splits a discounted line whose total does not divide by its quantity", () => {
    // 3 × 10.00 with a 1.00 discount: 29.00 cannot be 3 equal kopeck prices.
    const cart: CartLike = { currency_code: "rub", total: 29, items: [item({ quantity: 3, unit_price: 10, total: 29, variant_sku: "PEN-1" })] }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.map((l) => [l.sku, l.quantity, l.amount, l.totalAmount])).toEqual([
      ["PEN-1", 2, 966, 1932],
      ["PEN-1", 1, 968, 968],
    ])
    expect(new Set(basket.lines.map((l) => l.source.id))).toEqual(new Set(["li_1"]))
  })

  it("keeps 10 % and 22 % lines apart with their own codes and VAT", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 1342,
      tax_total: 133.36,
      items: [
        item({ id: "book", quantity: 2, total: 220, tax_lines: [{ rate: 10 }] }),
        item({ id: "lamp", total: 1122, tax_lines: [{ rate: "22" }] }),
      ],
    }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.map((l) => [l.vatCode, l.totalAmount, l.totalVatAmount])).toEqual([
      ["RUS_VAT10", 22000, 2000],
      ["RUS_VAT22", 112200, 20233],
    ])
    expect(basket.vatAmount).toBe(22233)
  })

  it("adds shipping as a service line with its own VAT", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 1350,
      items: [item({ total: 1000 })],
      shipping_methods: [{ id: "sm_1", name: "Курьер", total: 350, tax_lines: [{ rate: 20 }] }],
    }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines[1]).toEqual({
      sku: "shipping_sm_1",
      name: "Курьер",
      measure: "шт",
      measureCode: "796",
      quantity: 1,
      amount: 35000,
      amountWoVat: 29167,
      totalAmount: 35000,
      totalVatAmount: 5833,
      vatCode: "RUS_VAT20",
      type: "service",
      paymentType: "full_prepayment",
      source: { kind: "shipping", id: "sm_1" },
    })
    expect(buildBasket(cart, { shippingItemType: "commodity" }).lines[1].type).toBe("commodity")
  })

  it("spreads a credit line over the lines in proportion to their totals", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 2900,
      items: [item({ id: "a", total: 1000 }), item({ id: "b", total: 2000 })],
      shipping_methods: [{ id: "s", name: "Доставка", total: 100 }],
      credit_lines: [{ amount: 200 }],
    }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    // 200 × 1000/3100 = 64.516…, 200 × 2000/3100 = 129.03…, 200 × 100/3100 = 6.45…
    expect(basket.lines.map((l) => l.totalAmount)).toEqual([100000 - 6452, 200000 - 12903, 10000 - 645])
  })

  it("keeps free lines (amount 0) and a free shipping method", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 500,
      items: [item({ id: "paid", total: 500 }), item({ id: "gift", quantity: 2, unit_price: 100, total: 0 })],
      shipping_methods: [{ id: "pickup", name: "Самовывоз", total: 0 }],
    }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.map((l) => [l.source.id, l.quantity, l.amount, l.totalAmount, l.totalVatAmount])).toEqual([
      ["paid", 1, 50000, 50000, 8333],
      ["gift", 2, 0, 0, 0],
      ["pickup", 1, 0, 0, 0],
    ])
  })

  it("keeps a fractional quantity (weight goods) and still meets rule 1", () => {
    const cart: CartLike = { currency_code: "rub", total: "15.49", items: [item({ quantity: "1.5", unit_price: "10.33", total: "15.49", tax_lines: [{ rate: 10 }] })] }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.reduce((s, l) => s + l.quantity, 0)).toBe(1.5)
    const quarter: CartLike = { currency_code: "rub", total: "0.33", items: [item({ quantity: 0.25, total: "0.33" })] }
    expect(buildBasket(quarter).lines).toMatchObject([{ quantity: 0.25, amount: 132, totalAmount: 33 }])
  })

  it("7 × 999.99 at 20 %: unit first, amountWoVat × 7 + VAT is the total to the kopeck", () => {
    // Before: amountWoVat 833.32 and VAT 1166.66, 3 kopecks off, which Invoicebox's own client refuses
    // (InvoiceBox/invoicebox-mcp-server src/core/money.ts:94-98). Bitrix: 999.99 / 1.2 = 833.325 -> 833.33.
    const cart: CartLike = { currency_code: "rub", total: 6999.93, tax_total: 1166.66, items: [item({ quantity: 7, unit_price: 999.99, total: 6999.93 })] }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.map((l) => [l.quantity, l.amount, l.amountWoVat, l.totalAmount, l.totalVatAmount])).toEqual([[7, 99999, 83333, 699993, 116662]])
    expect(basket.vatAmount).toBe(116662)
  })

  it("keeps each line's VAT unit first rather than nudging it towards Medusa's tax total", () => {
    // Each 1.03 at 20 % is 0.86 without VAT, so 0.17 VAT each: 51, whatever Medusa's tax total says.
    const lines = ["a", "b", "c"].map((id) => item({ id, total: 1.03 }))
    const cart: CartLike = { currency_code: "rub", total: 3.09, tax_total: 0.515, items: lines }
    const basket = buildBasket(cart)
    expectValid(basket, cart)
    expect(basket.lines.map((l) => [l.amountWoVat, l.totalVatAmount])).toEqual([[86, 17], [86, 17], [86, 17]])
    expect(basket.vatAmount).toBe(51)
  })

  it("uses the _ADDED codes for tax-exclusive prices only when asked", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 2400,
      items: [item({ id: "ex", total: 1200, is_tax_inclusive: false }), item({ id: "in", total: 1200 })],
    }
    expect(buildBasket(cart).lines.map((l) => l.vatCode)).toEqual(["RUS_VAT20", "RUS_VAT20"])
    const added = buildBasket(cart, { vatAdded: true })
    expect(added.lines.map((l) => l.vatCode)).toEqual(["RUS_VAT20_ADDED", "RUS_VAT20"])
    // The totals stay VAT-inclusive either way.
    expect(added.lines.map((l) => l.totalVatAmount)).toEqual([20000, 20000])
  })

  it("uses untaxedVatCode for lines without tax lines, RUS_VAT0 for a 0 % rate", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 300,
      items: [item({ id: "n", total: 100, tax_lines: [] }), item({ id: "z", total: 100, tax_lines: [{ rate: 0 }] }), item({ id: "u", total: 100, tax_lines: null })],
    }
    expect(buildBasket(cart).lines.map((l) => l.vatCode)).toEqual(["VATNONE", "RUS_VAT0", "VATNONE"])
    expect(buildBasket(cart, { untaxedVatCode: "RUS_VAT0" }).lines.map((l) => l.vatCode)).toEqual(["RUS_VAT0", "RUS_VAT0", "RUS_VAT0"])
  })

  it("applies invoicebox_* metadata: line over variant over product", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 1100,
      items: [
        item({
          total: 1100,
          metadata: { invoicebox_measure: "кг" },
          variant: { metadata: { invoicebox_measure: "г", invoicebox_measure_code: 166, invoicebox_vat_code: "RUS_VAT10" } },
          product: { metadata: { invoicebox_measure_code: "163", invoicebox_item_type: "service" } },
        }),
      ],
    }
    const [line] = buildBasket(cart, { defaultMeasure: "упак", defaultMeasureCode: "778" }).lines
    expect([line.measure, line.measureCode, line.type, line.vatCode, line.totalVatAmount]).toEqual(["кг", "166", "service", "RUS_VAT10", 10000])
    const defaults = buildBasket({ ...cart, items: [item({ total: 1100 })] }, { defaultMeasure: "упак", defaultMeasureCode: "778", defaultItemType: "service" })
    expect([defaults.lines[0].measure, defaults.lines[0].measureCode, defaults.lines[0].type]).toEqual(["упак", "778", "service"])
  })

  it.each([
    [{ invoicebox_vat_code: "VAT18" }],
    [{ invoicebox_item_type: "goods" }],
    [{ invoicebox_measure: "очень длинная единица" }],
    [{ invoicebox_measure_code: "79600" }],
  ])("refuses invalid metadata %p", (metadata) => {
    const error = thrown(() => buildBasket({ currency_code: "rub", total: 10, items: [item({ total: 10, metadata })] }))
    expect(error.code).toBe("invalid_line_metadata")
  })

  it("names lines from product and variant titles and picks the SKU", () => {
    const names = buildBasket({
      currency_code: "rub",
      total: 4,
      items: [
        item({ id: "1", total: 1, variant_title: "Default variant", variant_sku: "SKU-1" }),
        item({ id: "2", total: 1, product_title: null, title: "Заголовок", variant_id: "variant_2" }),
        item({ id: "3", total: 1, product_title: "Я".repeat(600) }),
        item({ id: "4", total: 1, product_title: "Футболка", variant_title: "Футболка" }),
      ],
    }).lines.map((l) => [l.sku, l.name.length > 20 ? l.name.length : l.name])
    expect(names).toEqual([
      ["SKU-1", "Ручка"],
      ["variant_2", "Заголовок"],
      ["3", 500],
      ["4", "Футболка"],
    ])
  })

  it("accepts upper- and lower-case supported currencies", () => {
    for (const c of ["rub", "USD", "eur", "gbp", "cny"]) {
      expect(buildBasket({ currency_code: c, total: 1, items: [item({ total: 1 })] }).currency).toBe(c.toUpperCase())
    }
  })
})

describe("buildBasket: refusals", () => {
  it("empty cart", () => {
    for (const items of [[], null, undefined]) {
      const error = thrown(() => buildBasket({ currency_code: "rub", total: 0, items }))
      expect(error.code).toBe("empty_cart")
      expect(error.message).toMatch(/Корзина пуста.*\/.*empty/)
    }
  })

  it("unsupported currency", () => {
    const error = thrown(() => buildBasket({ currency_code: "kzt", total: 1, items: [item({ total: 1 })] }))
    expect(error.code).toBe("unsupported_currency")
    expect(error.message).toMatch(/Валюта "kzt".*Currency "kzt"/)
  })

  it("unsupported VAT rate", () => {
    const error = thrown(() => buildBasket({ currency_code: "rub", total: 1, items: [item({ total: 1, tax_lines: [{ rate: 18 }] })] }))
    expect(error.code).toBe("unsupported_vat_rate")
  })

  it.each([0, -1, "0", "abc", "0.0000001"])("quantity %p", (quantity) => {
    const error = thrown(() => buildBasket({ currency_code: "rub", total: 1, items: [item({ total: 1, quantity })] }))
    expect(error.code).toBe("invalid_quantity")
  })

  it("negative or unreadable amounts", () => {
    expect(thrown(() => buildBasket({ currency_code: "rub", total: 1, items: [item({ total: -1 })] })).code).toBe("invalid_amount")
    expect(thrown(() => buildBasket({ currency_code: "rub", total: "x", items: [item({ total: 1 })] })).code).toBe("invalid_amount")
  })

  it("a cart total that the lines cannot reach with a kopeck each", () => {
    const cart = (total: string): CartLike => ({ currency_code: "rub", total, items: [item({ id: "a", total: "10" }), item({ id: "b", total: "10" })] })
    expect(buildBasket(cart("20.02")).totalAmount).toBe(2002)
    expect(buildBasket(cart("19.98")).totalAmount).toBe(1998)
    const error = thrown(() => buildBasket(cart("20.03")))
    expect(error.code).toBe("cannot_reconcile")
    expect(error.message).toMatch(/20\.03.*20\.00/)
    expect(thrown(() => buildBasket(cart("19.97"))).code).toBe("cannot_reconcile")
  })

  it("credit above the cart", () => {
    const error = thrown(() => buildBasket({ currency_code: "rub", total: 0, items: [item({ total: 10 })], credit_lines: [{ amount: 11 }] }))
    expect(error.code).toBe("cannot_reconcile")
  })
})

describe("buildBasket: properties over Medusa-like carts", () => {
  it("every basket satisfies every rule and sums to the cart total", () => {
    fc.assert(
      fc.property(cartArb, fc.boolean(), (spec, vatAdded) => {
        const cart = medusaCart(spec)
        const options: BasketOptions = { ...WIDE, vatAdded }
        const basket = buildBasket(cart, options)
        expectValid(basket, cart)
      }),
      { numRuns: 300 }
    )
  })

  it("without credit lines each item keeps its own total within the reconciliation kopeck", () => {
    fc.assert(
      fc.property(cartArb, (spec) => {
        const cart = medusaCart({ ...spec, creditPermille: [] })
        const basket = buildBasket(cart, WIDE)
        for (const it of cart.items!) {
          const got = basket.lines.filter((l) => l.source.id === it.id).reduce((s, l) => s + l.totalAmount, 0)
          expect(abs(BigInt(got) - kopecksOf(it.total))).toBeLessThanOrEqual(1n)
        }
        // Per-line VAT is within q/2 + 1 kopecks of exact (unit first), so the sum stays near Medusa's tax total.
        const slack = basket.lines.reduce((sum, l) => sum + Math.ceil(l.quantity / 2) + 1, 4)
        expect(abs(BigInt(basket.vatAmount) - kopecksOf(cart.tax_total)) <= BigInt(slack)).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  it("picks the VAT code from the tax rate and the price mode", () => {
    fc.assert(
      fc.property(cartArb, (spec) => {
        const cart = medusaCart(spec)
        const basket = buildBasket(cart, { ...WIDE, vatAdded: true })
        for (const line of basket.lines.filter((l) => l.source.kind === "item")) {
          const src = spec.lines[Number(line.source.id.slice(5))]
          const expected =
            src.rate < 0 ? "VATNONE" : src.rate === 0 ? "RUS_VAT0" : `RUS_VAT${src.rate}${src.inclusive ? "" : "_ADDED"}`
          expect(line.vatCode).toBe(expected)
        }
      }),
      { numRuns: 100 }
    )
  })

  it("is deterministic and does not modify the cart", () => {
    fc.assert(
      fc.property(cartArb, (spec) => {
        const cart = medusaCart(spec)
        const before = JSON.stringify(cart)
        const a = buildBasket(cart, WIDE)
        expect(JSON.stringify(cart)).toBe(before)
        expect(buildBasket(cart, WIDE)).toEqual(a)
      }),
      { numRuns: 50 }
    )
  })
})

describe("toWireBasketItems", () => {
  it("converts kopecks to rubles with at most two decimals and drops the source", () => {
    fc.assert(
      fc.property(cartArb, (spec) => {
        const cart = medusaCart(spec)
        const basket = buildBasket(cart, WIDE)
        const wire = toWireBasketItems(basket.lines)
        expect(wire).toHaveLength(basket.lines.length)
        wire.forEach((w, j) => {
          const line = basket.lines[j]
          expect(w).not.toHaveProperty("source")
          expect(Object.keys(w).sort()).toEqual(
            ["amount", "amountWoVat", "measure", "measureCode", "name", "paymentType", "quantity", "sku", "totalAmount", "totalVatAmount", "type", "vatCode"].sort()
          )
          for (const key of ["amount", "amountWoVat", "totalAmount", "totalVatAmount"] as const) {
            expect(JSON.stringify(w[key])).toMatch(/^\d+(\.\d{1,2})?$/)
            expect(kopecksOf(w[key])).toBe(BigInt(line[key]))
          }
          expect([w.sku, w.name, w.quantity, w.vatCode, w.type]).toEqual([line.sku, line.name, line.quantity, line.vatCode, line.type])
        })
      }),
      { numRuns: 50 }
    )
  })
})

describe("buildBasket: unit first over the whole range (issue 11)", () => {
  // Every VAT code the plugin can emit, through a metadata override (so 0 %, VATNONE and the _ADDED codes are all reached).
  const codes = ["VATNONE", "RUS_VAT0", "RUS_VAT5", "RUS_VAT7", "RUS_VAT10", "RUS_VAT20", "RUS_VAT22", "RUS_VAT5_ADDED", "RUS_VAT7_ADDED", "RUS_VAT10_ADDED", "RUS_VAT20_ADDED", "RUS_VAT22_ADDED"]
  it("quantities 1–10 000, prices 0.01–10⁷, every VAT code: every line passes the sandbox's referee and the totals add up exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 10_000 }), unit: fc.integer({ min: 1, max: 1_000_000_000 }), code: fc.constantFrom(...codes) }), { minLength: 1, maxLength: 5 }),
        (specs) => {
          const items = specs.map((l, i) =>
            item({ id: `li_${i}`, quantity: l.quantity, unit_price: l.unit / 100, total: (l.unit * l.quantity) / 100, metadata: { invoicebox_vat_code: l.code } })
          )
          const cart: CartLike = { currency_code: "rub", total: items.reduce((s, it) => s + Number(it.total) * 100, 0) / 100, items }
          const basket = buildBasket(cart)
          expectValid(basket, cart)
          basket.lines.forEach((line, n) => {
            const problems = checkLine({ ...line, quantityMicro: Math.round(line.quantity * QUANTITY_SCALE) }, `basketItems[${n}]`)
            expect(problems).toEqual([])
          })
          expect(checkTotals(basket.lines, basket.totalAmount, basket.vatAmount)).toEqual([])
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("buildBasket: at most 100 lines, and the merchant's VAT codes", () => {
  const goods = (n: number, quantity: number, total: number) =>
    Array.from({ length: n }, (_, i) => item({ id: `li_${i}`, quantity, unit_price: total / quantity, total }))

  it("refuses a cart of 101 goods with both languages naming the limit and the count", () => {
    const items = goods(101, 1, 10)
    const error = thrown(() => buildBasket({ currency_code: "rub", total: 1010, items }))
    expect(error.code).toBe("too_many_basket_items")
    expect(error.message).toMatch(/не более 100 позиций.*нужно 101/)
    expect(error.message).toMatch(/at most 100 lines, and this cart needs 101/)
  })

  it("keeps a cart of 100 goods within 100 lines when splits alone would push it over", () => {
    // 99 lines of 3 units for 10.00 (not divisible: each would split in two) and one shipping line.
    const items = goods(99, 3, 10)
    const cart: CartLike = { currency_code: "rub", total: 99 * 10 + 5, items, shipping_methods: [{ id: "sm_1", name: "Курьер", total: 5, tax_lines: [{ rate: 20 }] }] }
    const basket = buildBasket(cart)
    expect(basket.lines.length).toBeLessThanOrEqual(100)
    expectValid(basket, cart)
    // Under a wider limit the same cart splits every line (199 lines): the limit is what kept it small.
    expect(buildBasket(cart, { maxBasketItems: 1000 }).lines.length).toBe(199)
  })

  it("maps a Medusa rate to the merchant's code, and 0 % to «без НДС» when asked", () => {
    const cart: CartLike = {
      currency_code: "rub",
      total: 222,
      items: [item({ id: "a", total: 122, tax_lines: [{ rate: 22 }] }), item({ id: "b", total: 100, tax_lines: [{ rate: 0 }] })],
    }
    expect(buildBasket(cart).lines.map((l) => l.vatCode)).toEqual(["RUS_VAT22", "RUS_VAT0"])
    const usn = buildBasket(cart, { vatCodes: { "22": "RUS_VAT22" }, zeroRateIsUntaxed: true })
    expect(usn.lines.map((l) => l.vatCode)).toEqual(["RUS_VAT22", "VATNONE"])
    expectValid(usn, cart)
  })
})
