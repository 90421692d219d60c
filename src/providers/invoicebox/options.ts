import { isLoopbackHost, type VatCode } from "../../core"

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
  /** Fiscal payment type of lines (full_prepayment). */
  paymentType?: "full_prepayment" | "prepayment" | "advance" | "full_payment"
  /** Lock the payer's requisites on the Invoicebox payment page (default true). */
  customerLocked?: boolean
  /** Payment page language, ru (default) or en. */
  languageId?: "ru" | "en"
  /** Place the Medusa order only after payment (default false: order at once, payment awaiting). */
  requirePaymentBeforeOrder?: boolean
  /** Cancel the Medusa order when its invoice expires or is cancelled (default true). */
  cancelOrderOnInvoiceExpiry?: boolean
  /** Register Invoicebox shipments (closing documents) on Medusa shipments (default true). */
  registerShipments?: boolean
  /** HTTP timeout of Invoicebox calls in ms (default 15000). */
  timeoutMs?: number
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
  paymentType: "full_prepayment" as const,
  customerLocked: true,
  languageId: "ru" as const,
  requirePaymentBeforeOrder: false,
  cancelOrderOnInvoiceExpiry: true,
  registerShipments: true,
  timeoutMs: 15000,
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
  return problems
}

export function resolveOptions(options: InvoiceboxProviderOptions): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== ""))
  return { ...OPTION_DEFAULTS, ...defined } as ResolvedOptions
}
