import type { RequestBudgetSettings } from "./request-budget"
import { isLoopbackHost, isVatCode, VAT_CODES, vatRateOf, type VatCode } from "../../core"

export interface InvoiceboxProviderOptions {
  /** Shop UUID from the Invoicebox cabinet (Настройки → Интеграция). */
  merchantId: string
  /** API token ("API токен"), sent as a Bearer token. */
  apiToken: string
  /** Notification signing key ("API ключ"); checks X-Signature of notifications. */
  notificationKey: string
  /** Default https://api.invoicebox.ru; plain http only for loopback hosts (the sandbox). */
  apiUrl?: string
  /** "v3" (default, app.invoicebox.ru shops) or "l3" (Инвойсбокс.Бизнес shops). */
  apiPrefix?: "v3" | "l3"
  /** HMAC algorithm of notification signatures chosen in the cabinet: sha1 (default), sha256 or sha512. */
  signatureAlgorithm?: (typeof SIGNATURE_ALGORITHMS)[number]
  /** Full public URL of POST /hooks/invoicebox; sent with every invoice. */
  notificationUrl?: string
  /** Store name used in the invoice description ("Оплата заказа … в <storeName>"). */
  storeName?: string
  /** Payment term in minutes (default 4320 = 3 days; up to 43200 = 30 days). */
  paymentTermMinutes?: number
  /** Per customer group payment terms in minutes, by customer group id. */
  paymentTermsByCustomerGroup?: Record<string, number>
  successUrl?: string
  failUrl?: string
  returnUrl?: string
  /** Hosts a storefront-supplied return_url may point to. */
  allowedReturnHosts?: string[]
  /** Default OKEI measure and code of goods (шт / 796). */
  defaultMeasure?: string
  defaultMeasureCode?: string
  /** Default item type of goods (commodity) and of shipping (service). */
  defaultItemType?: "commodity" | "service"
  shippingItemType?: "commodity" | "service"
  /** VAT code for lines without tax lines (VATNONE). */
  untaxedVatCode?: VatCode
  /** Use the *_ADDED VAT codes for tax-exclusive prices. */
  vatAdded?: boolean
  /** Medusa rate (percent) → Invoicebox VAT code over the built-in mapping, e.g. { "22": "RUS_VAT22" }. */
  vatCodes?: Record<string, VatCode>
  /** A 0 % Medusa rate goes out as `untaxedVatCode` («Без НДС», a УСН store), not RUS_VAT0 (default false). */
  zeroRateIsUntaxed?: boolean
  /** Most lines an invoice may have (default and maximum 100, Invoicebox's limit). */
  maxBasketItems?: number
  /** Fiscal payment type of lines (full_prepayment). */
  paymentType?: "full_prepayment" | "prepayment" | "advance" | "full_payment"
  /** Lock the payer's requisites on the Invoicebox payment page (default true). */
  customerLocked?: boolean
  /** Payment page language, ru (default) or en. */
  languageId?: "ru" | "en"
  /** Place the Medusa order only after payment (default false: order at once, payment awaiting). */
  requirePaymentBeforeOrder?: boolean
  /**
   * Pay-first carts: when the paid notification arrives, check that the cart can still become an
   * order (stock, variants, prices); if not, answer `shipping_unavailable` and reverse or refund the
   * payment (docs notification/shipping-unavailable.md). Needs the cabinet setting «Контроль
   * отгрузки на платёжной странице». Default false.
   */
  checkStockOnPayment?: boolean
  /**
   * «Отправить ссылку на оплату» from the order widget goes through Medusa's notification module:
   * the template id (default `invoicebox-payment-link`), channel (default `email`), and the subject
   * and text with {order_number} {amount} {currency} {payment_url} {expires_at} {invoice_id}
   * (defaults in languageId's language).
   */
  paymentLinkTemplate?: string
  paymentLinkChannel?: string
  paymentLinkSubject?: string
  paymentLinkText?: string
  /** Cancel the Medusa order when its invoice expires or is cancelled (default true). */
  cancelOrderOnInvoiceExpiry?: boolean
  /** Register Invoicebox shipments (closing documents) on Medusa shipments (default true). */
  registerShipments?: boolean
  /** HTTP timeout of Invoicebox calls in ms (default 15000). */
  timeoutMs?: number
  /**
   * After a create whose answer was lost (timeout, reset, 5xx), how long in ms the plugin keeps
   * looking the invoice or refund up by its number before sending it once more (default 8000).
   */
  recoveryWaitMs?: number
  /**
   * How Invoicebox's payment confirmations reach the store: `http` (default; POST /hooks/invoicebox),
   * `websocket` (the store dials Invoicebox's gate, no public URL needed; v3 only) or `both`.
   */
  notificationTransport?: NotificationTransport
  /** The WebSocket gate; default wss://ws-gate.invoicebox.ru/v3/gate/rpc (the sandbox's own gate for a loopback apiUrl). */
  webSocketUrl?: string
  /**
   * Redis for the account's request budget, shared by every instance (default: the REDIS_URL
   * environment variable; without it each instance counts on its own).
   */
  redisUrl?: string
  /** The account's request budget: `{ limit: 100, windowMs: 30000, backgroundShare: 0.6 }` by default. */
  requestBudget?: RequestBudgetSettings
  /**
   * A received return refunded for less than its goods are worth on the invoice keeps the
   * difference as a fee line (a refund with a correction order, docs refund/correction.md), so the
   * fiscal documents show a full return plus the fee. Default false: the refund is a plain partial one.
   */
  returnFee?: boolean
  /** The fee line's name (default «Удержание при возврате товара»). */
  returnFeeName?: string
  /** The fee line's VAT code (default VATNONE). */
  returnFeeVatCode?: FeeVatCode
  /** The fee line's item type (default service). */
  returnFeeItemType?: "service" | "commodity"
}

/** VAT codes a fee line may carry: the rates with VAT included in the price. */
export const FEE_VAT_CODES = ["VATNONE", "RUS_VAT0", "RUS_VAT5", "RUS_VAT7", "RUS_VAT10", "RUS_VAT20", "RUS_VAT22"] as const
export type FeeVatCode = (typeof FEE_VAT_CODES)[number]

export type NotificationTransport = "http" | "websocket" | "both"

export const NOTIFICATION_TRANSPORTS: readonly NotificationTransport[] = ["http", "websocket", "both"]

/** docs.invoicebox.ru api/websockets.md: "wss://ws-gate.invoicebox.ru/v3/gate/rpc?token=…", v3 only. */
export const DEFAULT_WEBSOCKET_URL = "wss://ws-gate.invoicebox.ru/v3/gate/rpc"

/** True when the provider listens on Invoicebox's WebSocket gate. */
export function usesWebSocket(options: Pick<InvoiceboxProviderOptions, "notificationTransport">): boolean {
  return options.notificationTransport === "websocket" || options.notificationTransport === "both"
}

/**
 * The gate URL without the token. The sandbox serves the gate on its API port (as
 * `/v3/gate/rpc`), so a loopback apiUrl points there; any other apiUrl means the real gate.
 */
export function webSocketUrlFor(options: Pick<InvoiceboxProviderOptions, "webSocketUrl" | "apiUrl">): string {
  if (options.webSocketUrl) return options.webSocketUrl
  const apiUrl = options.apiUrl ?? OPTION_DEFAULTS.apiUrl
  if (isLoopbackHost(apiUrl)) {
    try {
      const api = new URL(apiUrl)
      return `${api.protocol === "https:" ? "wss:" : "ws:"}//${api.host}/v3/gate/rpc`
    } catch {
      // An invalid apiUrl is reported by optionProblems; the public gate is a harmless fallback.
    }
  }
  return DEFAULT_WEBSOCKET_URL
}

export const OPTION_DEFAULTS = {
  apiUrl: "https://api.invoicebox.ru",
  apiPrefix: "v3" as const,
  signatureAlgorithm: "sha1",
  storeName: "Medusa",
  paymentTermMinutes: 3 * 24 * 60,
  defaultMeasure: "шт",
  defaultMeasureCode: "796",
  defaultItemType: "commodity" as const,
  shippingItemType: "service" as const,
  untaxedVatCode: "VATNONE" as VatCode,
  vatAdded: false,
  vatCodes: {} as Record<string, VatCode>,
  zeroRateIsUntaxed: false,
  maxBasketItems: 100,
  paymentType: "full_prepayment" as const,
  customerLocked: true,
  languageId: "ru" as const,
  requirePaymentBeforeOrder: false,
  checkStockOnPayment: false,
  cancelOrderOnInvoiceExpiry: true,
  registerShipments: true,
  timeoutMs: 15000,
  recoveryWaitMs: 8000,
  notificationTransport: "http" as NotificationTransport,
  returnFee: false,
  returnFeeName: "Удержание при возврате товара",
  returnFeeVatCode: "VATNONE" as FeeVatCode,
  returnFeeItemType: "service" as const,
}

export type ResolvedOptions = InvoiceboxProviderOptions & typeof OPTION_DEFAULTS

export const MAX_PAYMENT_TERM_MINUTES = 30 * 24 * 60

/**
 * HMACs a notification can be signed with: sha1 is the documented default (docs
 * merchant/notification/status.md); the PHP SDK's Signer takes any hash PHP knows, so the cabinet
 * may offer stronger ones. A typo would silently reject every notification as signature_error.
 */
export const SIGNATURE_ALGORITHMS = ["sha1", "sha256", "sha512"] as const

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Returns the list of problems; the provider's validateOptions turns them into one boot error
 * that names every bad option, so a merchant fixes the config in one go.
 */
export function optionProblems(options: Record<string, unknown>): string[] {
  const problems: string[] = []
  const str = (k: string) => (typeof options[k] === "string" ? (options[k] as string).trim() : "")

  if (!str("merchantId")) problems.push("merchantId is required (the shop UUID from the Invoicebox cabinet)")
  else if (!UUID.test(str("merchantId"))) problems.push(`merchantId must be a UUID, got "${str("merchantId")}"`)
  if (!str("apiToken")) problems.push("apiToken is required (Invoicebox API token)")
  else if (/\s/.test(str("apiToken")) || str("apiToken").length < 16)
    problems.push("apiToken looks malformed (expected the token from the Invoicebox cabinet, no spaces)")
  if (!str("notificationKey")) problems.push("notificationKey is required (the key that signs Invoicebox notifications)")

  problems.push(...budgetProblems(options.requestBudget))
  if (options.redisUrl !== undefined && (typeof options.redisUrl !== "string" || !/^rediss?:\/\//.test(options.redisUrl)))
    problems.push("redisUrl must be a redis:// or rediss:// URL")

  const apiUrl = options.apiUrl === undefined ? OPTION_DEFAULTS.apiUrl : str("apiUrl")
  let parsed: URL | undefined
  try {
    parsed = new URL(apiUrl)
  } catch {
    problems.push(`apiUrl is not a URL: "${apiUrl}"`)
  }
  if (parsed && parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopbackHost(apiUrl)))
    problems.push(`apiUrl must use https (plain http is allowed only for localhost, 127.0.0.1 and ::1), got "${apiUrl}"`)

  const algorithm = options.signatureAlgorithm
  if (algorithm !== undefined && !(SIGNATURE_ALGORITHMS as readonly unknown[]).includes(algorithm))
    problems.push(`signatureAlgorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")} (the HMAC chosen in the Invoicebox cabinet), got "${String(algorithm)}"`)

  if (options.apiPrefix !== undefined && options.apiPrefix !== "v3" && options.apiPrefix !== "l3")
    problems.push(`apiPrefix must be "v3" or "l3", got "${String(options.apiPrefix)}"`)

  for (const key of ["notificationUrl", "successUrl", "failUrl", "returnUrl"]) {
    if (options[key] === undefined || options[key] === "") continue
    try {
      new URL(str(key))
    } catch {
      problems.push(`${key} is not an absolute URL: "${String(options[key])}"`)
    }
  }

  const wait = options.recoveryWaitMs
  // Checkout waits through it while the buyer looks at a spinner: more than a minute is a mistake.
  if (wait !== undefined && !(Number.isInteger(wait) && (wait as number) >= 0 && (wait as number) <= 60_000))
    problems.push("recoveryWaitMs must be a whole number of milliseconds from 0 to 60000")

  const term = options.paymentTermMinutes
  if (term !== undefined && (typeof term !== "number" || !Number.isFinite(term) || term < 1 || term > MAX_PAYMENT_TERM_MINUTES))
    problems.push(`paymentTermMinutes must be a number of minutes from 1 to ${MAX_PAYMENT_TERM_MINUTES} (30 days)`)
  const byGroup = options.paymentTermsByCustomerGroup
  if (byGroup !== undefined) {
    if (typeof byGroup !== "object" || byGroup === null) problems.push("paymentTermsByCustomerGroup must be an object")
    else
      for (const [group, minutes] of Object.entries(byGroup))
        if (typeof minutes !== "number" || minutes < 1 || minutes > MAX_PAYMENT_TERM_MINUTES)
          problems.push(`paymentTermsByCustomerGroup.${group} must be 1..${MAX_PAYMENT_TERM_MINUTES} minutes`)
  }
  for (const key of ["defaultItemType", "shippingItemType"]) {
    if (options[key] !== undefined && options[key] !== "commodity" && options[key] !== "service")
      problems.push(`${key} must be "commodity" or "service"`)
  }
  if (options.languageId !== undefined && options.languageId !== "ru" && options.languageId !== "en")
    problems.push(`languageId must be "ru" or "en"`)
  problems.push(...transportProblems(options), ...basketProblems(options))
  if (options.returnFee !== undefined && typeof options.returnFee !== "boolean") problems.push("returnFee must be true or false")
  if (options.returnFeeVatCode !== undefined && !(FEE_VAT_CODES as readonly unknown[]).includes(options.returnFeeVatCode))
    problems.push(`returnFeeVatCode must be one of ${FEE_VAT_CODES.join(", ")}`)
  if (options.returnFeeItemType !== undefined && options.returnFeeItemType !== "service" && options.returnFeeItemType !== "commodity")
    problems.push(`returnFeeItemType must be "service" or "commodity"`)
  if (options.returnFeeName !== undefined && (typeof options.returnFeeName !== "string" || !options.returnFeeName.trim() || options.returnFeeName.length > 500))
    problems.push("returnFeeName must be a text of 1..500 characters")
  if (options.checkStockOnPayment !== undefined && typeof options.checkStockOnPayment !== "boolean")
    problems.push("checkStockOnPayment must be true or false")
  for (const key of ["paymentLinkTemplate", "paymentLinkChannel", "paymentLinkSubject", "paymentLinkText"] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== "string" || !value.trim())) problems.push(`${key} must be a non-empty text`)
  }
  return problems
}

function basketProblems(options: Record<string, unknown>): string[] {
  const problems: string[] = []
  const max = options.maxBasketItems
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 100))
    problems.push("maxBasketItems must be a whole number from 1 to 100 (Invoicebox takes at most 100 basket items)")
  if (options.zeroRateIsUntaxed !== undefined && typeof options.zeroRateIsUntaxed !== "boolean") problems.push("zeroRateIsUntaxed must be true or false")
  const codes = options.vatCodes
  if (codes === undefined) return problems
  if (typeof codes !== "object" || codes === null || Array.isArray(codes)) return [...problems, 'vatCodes must be an object, e.g. { "22": "RUS_VAT22" }']
  for (const [rate, code] of Object.entries(codes)) {
    // A code whose rate differs from the Medusa rate would put a wrong VAT on the invoice.
    if (!isVatCode(code)) problems.push(`vatCodes.${rate} must be one of ${VAT_CODES.join(", ")}, got "${String(code)}"`)
    else if (!/^\d+$/.test(rate) || vatRateOf(code) !== Number(rate))
      problems.push(`vatCodes.${rate}: ${code} is a ${vatRateOf(code)} % code, not ${rate} %`)
  }
  return problems
}

function transportProblems(options: Record<string, unknown>): string[] {
  const transport = options.notificationTransport
  if (transport === undefined || transport === "") return []
  if (!NOTIFICATION_TRANSPORTS.includes(transport as NotificationTransport))
    return [`notificationTransport must be "http", "websocket" or "both", got "${String(transport)}"`]
  if (transport === "http") return []
  const problems: string[] = []
  if ((options.apiPrefix ?? OPTION_DEFAULTS.apiPrefix) !== "v3")
    problems.push(
      `notificationTransport "${transport}" needs apiPrefix "v3": Invoicebox's WebSocket gate serves only API v3 (docs: api/websockets)`
    )
  if (options.webSocketUrl === undefined || options.webSocketUrl === "") return problems
  let url: URL
  try {
    url = new URL(String(options.webSocketUrl))
  } catch {
    return [...problems, `webSocketUrl is not a URL: "${String(options.webSocketUrl)}"`]
  }
  // Shown without its query: a pasted URL may carry the token.
  const shown = `${url.protocol}//${url.host}${url.pathname}`
  if (url.protocol !== "wss:" && !(url.protocol === "ws:" && isLoopbackHost(url)))
    problems.push(`webSocketUrl must use wss (plain ws is allowed only for localhost, 127.0.0.1 and ::1), got "${shown}"`)
  if (url.search || url.username || url.password)
    problems.push(`webSocketUrl must carry neither a query nor credentials (the token is added from apiToken), got "${shown}"`)
  return problems
}

export function resolveOptions(options: InvoiceboxProviderOptions): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== ""))
  return { ...OPTION_DEFAULTS, ...defined } as ResolvedOptions
}

function budgetProblems(value: unknown): string[] {
  if (value === undefined) return []
  if (typeof value !== "object" || value === null) return ["requestBudget must be an object { limit, windowMs, backgroundShare }"]
  const { limit, windowMs, backgroundShare } = value as Record<string, unknown>
  const problems: string[] = []
  if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1)) problems.push("requestBudget.limit must be a whole number ≥ 1")
  if (windowMs !== undefined && !(typeof windowMs === "number" && windowMs >= 1)) problems.push("requestBudget.windowMs must be a number ≥ 1")
  if (backgroundShare !== undefined && !(typeof backgroundShare === "number" && backgroundShare > 0 && backgroundShare <= 1))
    problems.push("requestBudget.backgroundShare must be in (0, 1]")
  return problems
}
