import type { Decimal } from "../money"
import type { VatCode } from "../vat"

export const SUPPORTED_CURRENCIES = ["RUB", "USD", "EUR", "GBP", "CNY"] as const
export type SupportedCurrency = (typeof SUPPORTED_CURRENCIES)[number]

export type BasketItemKind = "commodity" | "service"

type Metadata = Record<string, unknown> | null | undefined

/** A cart or order line as `query.graph` returns it (only the fields the basket reads). */
export interface CartLineLike {
  id: string
  title?: string | null
  product_title?: string | null
  variant_title?: string | null
  variant_sku?: string | null
  variant_id?: string | null
  quantity: Decimal
  unit_price: Decimal
  is_tax_inclusive?: boolean | null
  /** Line total incl. VAT after item adjustments, as Medusa computed it. */
  total: Decimal
  tax_total?: Decimal | null
  tax_lines?: Array<{ rate: Decimal; code?: string | null }> | null
  metadata?: Metadata
  product?: { metadata?: Metadata } | null
  variant?: { metadata?: Metadata } | null
}

export interface ShippingMethodLike {
  id: string
  name?: string | null
  total: Decimal
  tax_total?: Decimal | null
  is_tax_inclusive?: boolean | null
  tax_lines?: Array<{ rate: Decimal; code?: string | null }> | null
}

export interface CartLike {
  currency_code: string
  /** The amount to invoice (incl. VAT, after discounts and credit lines). */
  total: Decimal
  tax_total?: Decimal | null
  items?: CartLineLike[] | null
  shipping_methods?: ShippingMethodLike[] | null
  credit_lines?: Array<{ amount: Decimal }> | null
}

export interface BasketOptions {
  /** OKEI symbol; "шт". */
  defaultMeasure?: string
  /** OKEI code; "796". */
  defaultMeasureCode?: string
  defaultItemType?: BasketItemKind
  shippingItemType?: BasketItemKind
  /** Code for lines without tax lines; "VATNONE". */
  untaxedVatCode?: VatCode
  /** Use the `_ADDED` codes for tax-exclusive prices (the totals stay VAT-inclusive). */
  vatAdded?: boolean
  /** Fiscal tag 1214; "full_prepayment". */
  paymentType?: string
  /** At most this many lines (Invoicebox takes 100); a cart that needs more is refused. */
  maxBasketItems?: number
  /** Medusa rate (percent, as a string) → Invoicebox code, over the built-in mapping: { "22": "RUS_VAT22" }. */
  vatCodes?: Record<string, VatCode>
  /** A 0 % Medusa rate goes out as `untaxedVatCode` («Без НДС», for a УСН store), not RUS_VAT0. */
  zeroRateIsUntaxed?: boolean
}

/** One Invoicebox basket line; money in integer kopecks. */
export interface BasketLine {
  sku: string
  name: string
  measure: string
  measureCode: string
  quantity: number
  /** Unit price incl. VAT. */
  amount: number
  /** Unit price excl. VAT, rounded to a kopeck. */
  amountWoVat: number
  totalAmount: number
  totalVatAmount: number
  vatCode: VatCode
  type: BasketItemKind
  paymentType: string
  /** Where the line came from; not sent to Invoicebox. */
  source: { kind: "item" | "shipping"; id: string }
}

export interface Basket {
  lines: BasketLine[]
  /** Σ totalAmount; equals the cart total rounded half-up to a kopeck. */
  totalAmount: number
  /** Σ totalVatAmount. */
  vatAmount: number
  /** Upper-case ISO 4217. */
  currency: string
}
