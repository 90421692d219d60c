import { createHash } from "node:crypto"
import type { Logger } from "@medusajs/framework/types"
import {
  SUPPORTED_CURRENCIES,
  kopecksToRubles,
  rublesToKopecks,
  toWireBasketItems,
  validatePayer,
  formatPayerErrors,
  type Basket,
  type CreateOrderRequest,
  type InvoiceboxClient,
  type InvoiceboxOrder,
  type Payer,
} from "../../core"
import type { LoadedCart } from "./cart-source"
import { userError } from "./messages"
import type { ResolvedOptions } from "./options"
import { ownedData, withData, type InvoiceboxPaymentData } from "./session-data"

/** What the invoice code needs of the provider (the provider service is one). */
export interface InvoiceHost {
  readonly providerId: string
  readonly options: ResolvedOptions
  readonly client: InvoiceboxClient
  readonly logger: Pick<Logger, "info" | "warn" | "error">
  buildBasketOrThrow(cart: LoadedCart): Basket
  call<T>(what: string, fn: () => Promise<T>): Promise<T>
}

export interface NewInvoiceInput {
  sessionId: string
  payer: unknown
  returnUrl: unknown
  currency: string
  amountKopecks: number
  cart: LoadedCart
}

/** The basket as the invoice carries it; two baskets with one fingerprint are the same invoice. */
export function basketFingerprint(basket: Basket): string {
  const wire = { amount: basket.totalAmount, vat: basket.vatAmount, currency: basket.currency, items: toWireBasketItems(basket.lines) }
  return createHash("sha256").update(JSON.stringify(wire)).digest("hex")
}

export function validPayerOrThrow(input: unknown): Payer {
  const result = validatePayer(input)
  if (result.ok) return result.payer
  const { ru, en } = formatPayerErrors(result.errors)
  throw userError("INVALID_DATA", ru, en)
}

export function supportedCurrencyOrThrow(code: unknown): string {
  const currency = String(code ?? "").toUpperCase()
  if ((SUPPORTED_CURRENCIES as readonly string[]).includes(currency)) return currency
  throw userError(
    "INVALID_DATA",
    `Invoicebox не принимает оплату в валюте ${currency || "(не указана)"}; доступны ${SUPPORTED_CURRENCIES.join(", ")}`,
    `Invoicebox does not accept ${currency || "(no currency)"}; supported: ${SUPPORTED_CURRENCIES.join(", ")}`
  )
}

/** A storefront-supplied return URL is used only for hosts the merchant allowed. */
export function allowedReturnUrl(options: ResolvedOptions, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw userError("INVALID_DATA", "return_url должен быть абсолютным URL", "return_url must be an absolute URL")
  }
  if (!["http:", "https:"].includes(url.protocol) || !(options.allowedReturnHosts ?? []).includes(url.hostname)) {
    throw userError(
      "INVALID_DATA",
      `Адрес возврата ${url.hostname} не разрешён настройкой allowedReturnHosts`,
      `Return host ${url.hostname} is not in the allowedReturnHosts option`
    )
  }
  return url.toString()
}

/** Creates the Invoicebox invoice for a payment session and returns the session's data. */
export async function createInvoice(host: InvoiceHost, input: NewInvoiceInput): Promise<InvoiceboxPaymentData> {
  const payer = validPayerOrThrow(input.payer)
  const returnUrl = allowedReturnUrl(host.options, input.returnUrl)
  const basket = host.buildBasketOrThrow(input.cart)
  if (basket.totalAmount !== input.amountKopecks) {
    // INVALID_DATA, not CONFLICT: Medusa's error handler replaces CONFLICT messages with a generic text.
    throw userError(
      "INVALID_DATA",
      `Сумма корзины (${kopecksToRubles(basket.totalAmount)}) не совпадает с суммой к оплате (${kopecksToRubles(input.amountKopecks)}); обновите корзину`,
      `The cart total (${kopecksToRubles(basket.totalAmount)}) differs from the amount to pay (${kopecksToRubles(input.amountKopecks)}); refresh the cart`
    )
  }
  const expiresAt = new Date(Date.now() + paymentTermMinutes(host.options, input.cart) * 60_000)
  const request = invoiceRequest(host.options, { ...input, payer, returnUrl, basket, expiresAt })
  const { order, resent } = await host.call("create the invoice", () => host.client.createOrRecoverOrder(request))

  // An invoice that does not say exactly what we asked for must never reach the buyer.
  if (order.status !== "created" || rublesToKopecks(order.amount) !== basket.totalAmount) {
    await host.client.cancelOrder(order.id).catch((e) => host.logger.error(`Invoicebox: could not cancel invoice ${order.id}: ${(e as Error).message}`))
    throw userError(
      "UNEXPECTED_STATE",
      `Инвойсбокс вернул счёт в неожиданном состоянии (${order.status}, ${order.amount}); попробуйте ещё раз`,
      `Invoicebox returned the invoice in an unexpected state (${order.status}, ${order.amount}); please retry`
    )
  }
  host.logger.info(`Invoicebox: invoice ${order.id} created for session ${input.sessionId} (${basket.totalAmount} kopecks, ${host.providerId})`)
  return ownedData({
    session_id: input.sessionId,
    provider_id: host.providerId,
    payer,
    return_url: returnUrl ?? null,
    invoicebox_order_id: order.id,
    merchant_order_id: input.sessionId,
    invoice_number: order.merchantOrderIdVisible ?? request.merchantOrderIdVisible ?? null,
    payment_url: order.paymentUrl ?? "",
    invoice_status: order.status,
    expires_at: expiresAt.toISOString(),
    amount_kopecks: basket.totalAmount,
    vat_amount_kopecks: basket.vatAmount,
    currency: input.currency,
    basket_fingerprint: basketFingerprint(basket),
    invoice_resent_at: resent ? new Date().toISOString() : null,
  })
}

type RequestInput = NewInvoiceInput & { payer: Payer; returnUrl?: string; basket: Basket; expiresAt: Date }

function invoiceRequest(options: ResolvedOptions, input: RequestInput): CreateOrderRequest {
  const { payer, basket, returnUrl } = input
  const number = visibleNumber(input.cart.id)
  return {
    merchantId: options.merchantId,
    merchantOrderId: input.sessionId,
    merchantOrderIdVisible: number,
    description: `Оплата заказа ${number} в магазине «${options.storeName}»`.slice(0, 1000),
    amount: kopecksToRubles(basket.totalAmount),
    vatAmount: kopecksToRubles(basket.vatAmount),
    currencyId: input.currency,
    languageId: options.languageId,
    expirationDate: formatAtom(input.expiresAt),
    basketItems: toWireBasketItems(basket.lines),
    customer: dropEmpty({
      type: "legal",
      name: payer.name,
      vatNumber: payer.inn,
      taxRegistrationReasonCode: payer.kpp,
      registrationAddress: payer.address,
      email: payer.email ?? input.cart.email ?? undefined,
      phone: payer.phone,
    }) as CreateOrderRequest["customer"],
    invoiceSetting: { customerLocked: options.customerLocked },
    ...dropEmpty({
      notificationUrl: options.notificationUrl,
      successUrl: returnUrl ?? options.successUrl,
      failUrl: returnUrl ?? options.failUrl,
      returnUrl: returnUrl ?? options.returnUrl,
    }),
  }
}

/**
 * Makes the invoice say what the cart says now. Medusa keeps a payment session while the cart
 * total is unchanged, so a shipping method switched for another at the same price (or lines moved
 * at the same total) would leave the old invoice. While the invoice is still `created` it is
 * updated (PUT); once it is paid or held it cannot change, and the caller is told why.
 */
export async function syncInvoiceWithCart(
  host: InvoiceHost,
  data: InvoiceboxPaymentData,
  cart: LoadedCart,
  /** The invoice as just read, when the caller has it. */
  known?: InvoiceboxOrder | null
): Promise<{ data: InvoiceboxPaymentData; updated: boolean }> {
  const basket = host.buildBasketOrThrow(cart)
  const fingerprint = basketFingerprint(basket)
  if (fingerprint === data.basket_fingerprint) return { data, updated: false }
  if (basket.totalAmount !== data.amount_kopecks) {
    throw userError(
      "INVALID_DATA",
      `Сумма корзины изменилась (${kopecksToRubles(basket.totalAmount)} вместо ${kopecksToRubles(data.amount_kopecks)}); выберите способ оплаты заново`,
      `The cart total changed (${kopecksToRubles(basket.totalAmount)} instead of ${kopecksToRubles(data.amount_kopecks)}); choose the payment method again`
    )
  }
  const current = known !== undefined ? known : await host.call("read the invoice", () => host.client.getOrder(data.invoicebox_order_id))
  if (current?.status !== "created") {
    throw userError(
      "NOT_ALLOWED",
      `Состав корзины изменился, а счёт Инвойсбокс ${data.invoicebox_order_id} уже ${statusWord(current)} и не может быть изменён; свяжитесь с магазином`,
      `The cart changed, but Invoicebox invoice ${data.invoicebox_order_id} is already ${current?.status ?? "gone"} and cannot be changed; contact the store`
    )
  }
  const order = await host.call("update the invoice", () =>
    host.client.updateOrder(data.invoicebox_order_id, {
      amount: kopecksToRubles(basket.totalAmount),
      vatAmount: kopecksToRubles(basket.vatAmount),
      basketItems: toWireBasketItems(basket.lines),
    })
  )
  host.logger.info(`Invoicebox: invoice ${order.id} updated to the cart as completed (session ${data.session_id})`)
  return {
    updated: true,
    data: withData(data, { invoice_status: order.status, vat_amount_kopecks: basket.vatAmount, basket_fingerprint: fingerprint }),
  }
}

function statusWord(order: InvoiceboxOrder | null): string {
  if (!order) return "удалён"
  return order.status === "completed" ? "оплачен" : order.status === "hold" ? "подтверждён плательщиком" : `в статусе «${order.status}»`
}

function paymentTermMinutes(options: ResolvedOptions, cart: LoadedCart): number {
  const byGroup = options.paymentTermsByCustomerGroup ?? {}
  const terms = (cart.customer?.groups ?? []).map((g) => byGroup[g.id]).filter((m): m is number => !!m)
  return terms.length ? Math.max(...terms) : options.paymentTermMinutes
}

export function visibleNumber(cartId: string): string {
  return cartId.replace(/^cart_/, "").slice(-8).toUpperCase()
}

/** Invoicebox wants ATOM dates with an explicit offset (2020-12-22T00:00:00+00:00). */
export function formatAtom(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "+00:00")
}

function dropEmpty<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Partial<T>
}
