/**
 * Invoicebox wire types (API v3 / l3, reference §3–§5). Money here is in **rubles** (or the order's
 * currency) as JSON numbers with at most two decimals, exactly as Invoicebox sends and expects it;
 * everything else in the plugin works in integer kopecks and converts at this edge.
 *
 * Response types list the fields the docs and SDK mocks show; Invoicebox adds fields over time, so
 * treat them as "at least these".
 */

export type ApiPrefix = "v3" | "l3"

/** `service` / `commodity`, or a numeric fiscal tag-1212 code. */
export type WireBasketItemType = "service" | "commodity" | number

/** Fiscal tag 1214 ("способ расчёта"). */
export type WirePaymentType = "full_prepayment" | "prepayment" | "advance" | "full_payment"

export interface BasketItem {
  sku: string
  name: string
  groupName?: string
  /** OKEI symbol, e.g. "шт". */
  measure: string
  /** OKEI code, e.g. "796". */
  measureCode: string
  originCountry?: string
  originCountryCode?: string
  grossWeight?: number
  netWeight?: number
  quantity: number
  /** Unit price including VAT. */
  amount: number
  /** Unit price excluding VAT. */
  amountWoVat: number
  /** Line total including VAT (all units). */
  totalAmount: number
  /** Line VAT (all units). */
  totalVatAmount: number
  excise?: number
  /** `VATNONE`, `RUS_VAT20`, …; kept as a string because Invoicebox extends the list (see core/vat). */
  vatCode: string
  type: WireBasketItemType
  /** `YYYY-MM-DD`. */
  serviceDate?: string
  paymentType: WirePaymentType | string
  categoryType?: string
  category?: string
  metaData?: Record<string, unknown>
}

/** A line of `GET …/order/order/{id}/refund-basket-item`: what can still be refunded. */
export interface RefundableBasketItem extends BasketItem {
  /** Remaining refundable money for the line (seen in the MCP client, not in the docs). */
  availableAmount?: number
  availableVatAmount?: number
}

export interface Customer {
  /** `legal` covers both organisations and ИП; `private` is an individual. */
  type: "legal" | "private"
  name?: string
  /** Digits only, e.g. "79001112233". */
  phone?: string
  email?: string
  /** ИНН. */
  vatNumber?: string
  /** КПП (organisations only). */
  taxRegistrationReasonCode?: string
  registrationAddress?: string
  /** Seen in responses ("RUS"). */
  countryId?: string
}

export interface InvoiceSetting {
  customerLocked?: boolean
  customerLockedFields?: string[]
  customerHiddenFields?: string[]
  paymentMethodIdLocked?: boolean
  paymentMethodId?: number
  deliveryAddress?: string
}

export interface OrderSetting {
  roundPolicy?: "strict" | "none" | "floor" | "ceil" | "halfUp" | "halfDown"
}

export interface CreateOrderRequest {
  description: string
  merchantId: string
  /** The shop's key for the order; Invoicebox rejects a reuse with `merchant_order_id_duplicate`. */
  merchantOrderId: string
  merchantOrderIdVisible?: string
  amount: number
  vatAmount: number
  currencyId: string
  languageId?: "ru" | "en" | string
  /** ATOM date-time, e.g. `2024-01-31T12:00:00+00:00` (see `toInvoiceboxDateTime`). */
  expirationDate: string
  basketItems: BasketItem[]
  metaData?: Record<string, unknown>
  customer: Customer
  notificationUrl?: string
  successUrl?: string
  failUrl?: string
  returnUrl?: string
  invoiceSetting?: InvoiceSetting
  orderSetting?: OrderSetting
  parentId?: string
  orderContainerId?: string
  shopId?: string | number
  userAccountId?: string
  processable?: boolean
}

/** `PUT …/order/order/{id}`: only these fields may change, and only before payment. */
export interface UpdateOrderRequest {
  description?: string
  amount?: number
  vatAmount?: number
  expirationDate?: string
  basketItems?: BasketItem[]
  metaData?: Record<string, unknown>
  customer?: Customer
  shopId?: string | number
}

export interface InvoiceboxOrder {
  id: string
  merchantId: string
  merchantOrderId: string
  merchantOrderIdVisible?: string
  description: string
  amount: number
  vatAmount: number
  currencyId: string
  languageId?: string
  /** See core/status: `created`, `completed`, `expired`, `canceled`, … (kept open on the wire). */
  status: string
  subtype?: string
  processingStatus?: string
  orderContainerId?: string
  paymentUrl: string
  createdAt: string
  expirationDate: string
  paidAt?: string | null
  basketItems: BasketItem[]
  customer?: Customer
  notificationUrl?: string
  successUrl?: string
  failUrl?: string
  returnUrl?: string
  invoiceSetting?: InvoiceSetting
  orderSetting?: OrderSetting
  metaData?: Record<string, unknown>
  parentId?: string | null
  shopId?: string | number | null
  processable?: boolean
  fileIds?: unknown
}

export interface RefundRequest {
  /** Invoicebox id of the paid order. */
  parentId: string
  /** Unique per refund (not the order's): a reuse is rejected, which protects against double refunds. */
  merchantOrderId: string
  amount: number
  vatAmount: number
  basketItems: BasketItem[]
  /** Free text; the refund reason goes here. */
  description: string
  status?: "created" | "draft"
}

export interface InvoiceboxRefund {
  id: string
  parentId: string
  description: string
  merchantOrderId: string
  merchantId: string
  amount: number
  vatAmount: number
  currencyId: string
  basketItems: BasketItem[]
  createdAt: string
  /** `draft`, `created`, `completed`, `canceled`. */
  status: string
}

export interface ShipmentRequest {
  orderId: string
  documentNumber?: string
  /** `YYYY-MM-DD`. */
  documentDate?: string
  basketItems: BasketItem[]
  /** Closes the order and releases any remaining hold (MCP client; not in the docs). */
  final?: boolean
}

export interface InvoiceboxShipment {
  id: number | string
  orderId: string
  merchantId?: string
  documentNumber?: string
  documentDate?: string
  basketItems?: BasketItem[]
  /** `draft`, `pending`, `completed`, `canceled`. */
  status?: string
  type?: string
  amount?: number
  vatAmount?: number
  createdAt?: string
  final?: boolean
}

/** `GET /filter/api/counterparty-detail?vatNumber=…` (ЕГРЮЛ/ЕГРИП data for B2B autofill). */
export interface Counterparty {
  id?: string
  vatNumber: string
  taxRegistrationReasonCode?: string | null
  name: string
  nameFull?: string | null
  nameI18n?: unknown
  registrationNumber?: string | null
  registrationDate?: string | null
  registrationAddress?: string | null
  postAddress?: string | null
  postAddressZip?: string | null
}

/** Result of `checkAuth()`; the `accessToken` the endpoint echoes is deliberately dropped. */
export interface AuthInfo {
  userId: string
  profile?: unknown
}

/** Operators of the Invoicebox filter grammar: `field[_ge]=value`. */
export interface FilterOperators {
  _eq?: FilterScalar
  _ne?: FilterScalar
  _gt?: FilterScalar
  _ge?: FilterScalar
  _lt?: FilterScalar
  _le?: FilterScalar
  _start?: FilterScalar
}

export type FilterScalar = string | number | boolean

/** A scalar (`field=v`), a list (`field[]=a&field[]=b`) or operators (`field[_ge]=v`). */
export type FilterValue = FilterScalar | readonly FilterScalar[] | FilterOperators

export interface SortOrder {
  /** `_order[field]=asc|desc`. */
  _order?: Record<string, "asc" | "desc">
}

export interface OrderFilter extends SortOrder {
  id?: FilterValue
  status?: FilterValue
  merchantOrderId?: FilterValue
  merchantId?: FilterValue
  parentId?: FilterValue
  createdAt?: FilterValue
  expirationDate?: FilterValue
  paidAt?: FilterValue
}

export interface RefundFilter extends SortOrder {
  id?: FilterValue
  parentId?: FilterValue
  status?: FilterValue
  merchantId?: FilterValue
  merchantOrderId?: FilterValue
}

export interface ShipmentFilter extends SortOrder {
  id?: FilterValue
  orderId?: FilterValue
  merchantId?: FilterValue
}

export interface PageRequest {
  /** 1-based. */
  page?: number
  /** Invoicebox default is 30. */
  pageSize?: number
}

export interface Page<T> {
  items: T[]
  totalCount: number
  page: number
  pageSize: number
}
