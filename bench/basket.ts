/**
 * How expensive is buildBasket compared with merely serialising the same cart?
 * `npm run bench:basket` (node -r ts-node/register/transpile-only bench/basket.ts).
 *
 * JSON.stringify is the yardstick because the provider already pays for it (the cart crosses
 * the query layer and the session data as JSON), and because it scales with the same input on
 * any machine, so the ratio is comparable between a laptop and CI where absolute times are not.
 */
import { performance } from "node:perf_hooks"
import { buildBasket, type CartLike } from "../src/core/basket"

// The bench measures the arithmetic on carts far beyond Invoicebox's 100 lines, so the limit is lifted here.
const UNLIMITED = { maxBasketItems: Number.MAX_SAFE_INTEGER }

export interface BasketBenchRow {
  lines: number
  /** Median of the timed runs, milliseconds. */
  buildMs: number
  stringifyMs: number
  /** buildMs / stringifyMs. */
  ratio: number
  basketLines: number
}

export interface BasketBenchOptions {
  sizes?: number[]
  /** Timed runs per measurement (after warm-up); the median is reported. */
  runs?: number
  seed?: number
}

/** Small deterministic PRNG so every run maps the same carts. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const RATES = [0, 10, 20, 22, -1]

/**
 * A cart shaped like the provider's query.graph result (the same fields as its LINE_FIELDS),
 * with totals computed the way Medusa does: discount off the line, tax inside or on top, and
 * three-decimal amounts that need rounding.
 */
export function generateCart(lineCount: number, seed = 1): CartLike {
  const rnd = mulberry32(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const items: NonNullable<CartLike["items"]> = []
  let total = 0
  let taxTotal = 0
  for (let i = 0; i < lineCount; i++) {
    const rate = RATES[int(0, RATES.length - 1)]
    const r = rate < 0 ? 0 : rate
    const inclusive = rnd() < 0.7
    const quantity = rnd() < 0.6 ? 1 : int(2, 12)
    const unitPrice = int(100, 5_000_000) / 1000
    const subtotal = unitPrice * quantity
    const discount = rnd() < 0.3 ? Math.round(subtotal * int(1, 30) * 10) / 1000 : 0
    const taxable = subtotal - discount
    const tax = inclusive ? (taxable * r) / (100 + r) : (taxable * r) / 100
    const lineTotal = Number((inclusive ? taxable : taxable + tax).toFixed(3))
    const lineTax = Number(tax.toFixed(3))
    total += lineTotal
    taxTotal += lineTax
    const id = `cali_01JBENCH${String(i).padStart(8, "0")}`
    items.push({
      id,
      title: `Товар ${i}`,
      product_title: `Товар ${i} для офиса`,
      variant_title: rnd() < 0.5 ? "Default variant" : `Вариант ${int(1, 9)}`,
      variant_sku: rnd() < 0.9 ? `SKU-${i}-${int(1000, 9999)}` : null,
      variant_id: `variant_01JBENCH${String(i).padStart(8, "0")}`,
      quantity,
      unit_price: unitPrice,
      is_tax_inclusive: inclusive,
      total: lineTotal,
      subtotal: Number(subtotal.toFixed(3)),
      tax_total: lineTax,
      discount_total: discount,
      metadata: rnd() < 0.1 ? { invoicebox_measure: "кг", invoicebox_measure_code: "166" } : {},
      tax_lines: rate < 0 ? [] : [{ rate, code: `vat${rate}` }],
      adjustments: discount ? [{ amount: discount }] : [],
      product: { metadata: rnd() < 0.05 ? { invoicebox_item_type: "service" } : null },
      variant: { metadata: null },
    } as NonNullable<CartLike["items"]>[number])
  }
  const shippingTotal = 350
  return {
    currency_code: "rub",
    total: Number((total + shippingTotal).toFixed(3)),
    tax_total: Number((taxTotal + shippingTotal / 6).toFixed(3)),
    items,
    shipping_methods: [{ id: "casm_01JBENCH", name: "Курьерская доставка", total: shippingTotal, tax_lines: [{ rate: 20 }] }],
    credit_lines: [],
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Times `fn`, repeating it inside one sample until the sample lasts long enough to be measurable. */
function timeMedian(fn: () => unknown, runs: number): number {
  let reps = 1
  for (;;) {
    const t0 = performance.now()
    for (let k = 0; k < reps; k++) fn()
    if (performance.now() - t0 >= 5 || reps >= 1 << 16) break
    reps *= 2
  }
  const samples: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    for (let k = 0; k < reps; k++) fn()
    samples.push((performance.now() - t0) / reps)
  }
  return median(samples)
}

export function runBasketBench(options: BasketBenchOptions = {}): BasketBenchRow[] {
  const sizes = options.sizes ?? [10, 100, 1000, 10000]
  const runs = options.runs ?? 15
  const rows: BasketBenchRow[] = []
  for (const size of sizes) {
    const cart = generateCart(size, options.seed ?? size)
    let basketLines = 0
    // Warm-up so both sides are measured with optimised code.
    for (let k = 0; k < 20; k++) {
      basketLines = buildBasket(cart, UNLIMITED).lines.length
      JSON.stringify(cart)
    }
    // Interleave to expose both to the same machine noise.
    const build: number[] = []
    const stringify: number[] = []
    for (let r = 0; r < 3; r++) {
      build.push(timeMedian(() => buildBasket(cart, UNLIMITED), runs))
      stringify.push(timeMedian(() => JSON.stringify(cart), runs))
    }
    const buildMs = median(build)
    const stringifyMs = median(stringify)
    rows.push({ lines: size, buildMs, stringifyMs, ratio: buildMs / stringifyMs, basketLines })
  }
  return rows
}

export function formatBenchTable(rows: BasketBenchRow[]): string {
  const header = ["cart lines", "basket lines", "buildBasket ms", "JSON.stringify ms", "ratio"]
  const body = rows.map((r) => [
    String(r.lines),
    String(r.basketLines),
    r.buildMs.toFixed(4),
    r.stringifyMs.toFixed(4),
    r.ratio.toFixed(2),
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)))
  const fmt = (row: string[]) => `| ${row.map((cell, c) => cell.padStart(widths[c])).join(" | ")} |`
  return [fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(fmt)].join("\n")
}

if (require.main === module) {
  const rows = runBasketBench()
  console.log(formatBenchTable(rows))
  const at1000 = rows.find((r) => r.lines === 1000)
  if (at1000) console.log(`\nratio at 1000 lines: ${at1000.ratio.toFixed(2)} (goal ≤ 3)`)
}
