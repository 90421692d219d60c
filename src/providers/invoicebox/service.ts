import { AbstractPaymentProvider, ContainerRegistrationKeys, MedusaError, PaymentSessionStatus } from "@medusajs/framework/utils"
import { createRequestBudget } from "./request-budget"
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  Logger,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import { InvoiceboxBasketError, InvoiceboxClient, buildBasket, mapOrderStatus, toKopecks, type Basket, type InvoiceboxOrder } from "../../core"
import { invoiceboxModule } from "../../lib/plugin-module"
import { loadCartForSession, type LoadedCart } from "./cart-source"
import { callInvoicebox, toMedusaError } from "./errors"
import { createInvoice, supportedCurrencyOrThrow, syncInvoiceWithCart } from "./invoice"
import { assertCapturable, authorization, cancelInvoice, discardInvoice, webhookAction } from "./lifecycle"
import { userError } from "./messages"
import { optionProblems, resolveOptions, type InvoiceboxProviderOptions, type ResolvedOptions } from "./options"
import { refundInvoice } from "./refund"
import { storefrontInput, withData, type InvoiceboxPaymentData } from "./session-data"

export type { InvoiceboxPaymentData } from "./session-data"

type Cradle = { logger?: Logger } & Record<string, unknown>

/**
 * Set in the authorization context by the plugin's own settlement of a paid invoice (the order
 * exists already); without it, authorizePayment is a cart completion and first re-checks the cart.
 */
export const SETTLEMENT_CONTEXT = "invoicebox_settlement"

/**
 * The Medusa payment provider: a thin adapter between Medusa's provider API and the Invoicebox
 * invoice (invoice.ts), refund (refund.ts) and status (core) logic. One instance per registered
 * Invoicebox shop; it knows its own registration id (`pp_invoicebox_<id>`).
 */
class InvoiceboxProviderService extends AbstractPaymentProvider<InvoiceboxProviderOptions> {
  static identifier = "invoicebox"

  protected readonly options_: ResolvedOptions
  protected readonly client_: InvoiceboxClient
  protected readonly logger_: Logger | Console
  private providerId_?: string

  static validateOptions(options: Record<string, unknown>): void {
    const problems = optionProblems(options ?? {})
    if (problems.length) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `Invoicebox payment provider is misconfigured:\n - ${problems.join("\n - ")}`)
    }
  }

  constructor(cradle: Cradle, options: InvoiceboxProviderOptions) {
    super(cradle, options)
    this.options_ = resolveOptions(options)
    this.logger_ = cradle.logger ?? console
    this.client_ = new InvoiceboxClient({
      baseUrl: this.options_.apiUrl,
      apiToken: this.options_.apiToken,
      apiPrefix: this.options_.apiPrefix,
      timeoutMs: this.options_.timeoutMs,
      recoveryWaitMs: this.options_.recoveryWaitMs,
      // Recoveries and twins are logged by the client; the store's log must show them.
      logger: this.logger_,
      budget: createRequestBudget({
        merchantId: this.options_.merchantId,
        redisUrl: this.options_.redisUrl ?? process.env.REDIS_URL,
        settings: this.options_.requestBudget,
        warn: (message) => this.logger_.warn(message),
      }),
    })
  }

  get client(): InvoiceboxClient {
    return this.client_
  }

  get options(): ResolvedOptions {
    return this.options_
  }

  get logger(): Logger | Console {
    return this.logger_
  }

  /** `pp_invoicebox_<id>`: told by the provider registry, else found in the payment module's registrations. */
  get providerId(): string {
    if (!this.providerId_) {
      const cradle = this.container as Record<string, unknown>
      const keys = (cradle.payment_providers as string[] | undefined) ?? []
      this.providerId_ = keys.find((k) => k.startsWith("pp_invoicebox_") && cradle[k] === this) ?? "pp_invoicebox_invoicebox"
    }
    return this.providerId_
  }

  bindProviderId(id: string): void {
    this.providerId_ = id
  }

  query() {
    try {
      return (this.container as Record<string, any>)[ContainerRegistrationKeys.QUERY]
    } catch {
      throw new MedusaError(
        MedusaError.Types.UNEXPECTED_STATE,
        "Invoicebox: the payment module cannot resolve `query`. Add `dependencies: [ContainerRegistrationKeys.QUERY]` " +
          "to the @medusajs/medusa/payment module in medusa-config (see the plugin README)."
      )
    }
  }

  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const raw = (input.data ?? {}) as Record<string, unknown>
    const sent = storefrontInput(raw)
    const sessionId = String(raw.session_id ?? input.context?.idempotency_key ?? "")
    if (!sessionId) throw userError("INVALID_DATA", "Не передан идентификатор платёжной сессии", "The payment session id is missing")
    const currency = supportedCurrencyOrThrow(input.currency_code)
    const cart = await this.cartOrThrow(sessionId)
    const data = await createInvoice(this, {
      sessionId,
      payer: sent.payer,
      returnUrl: sent.return_url,
      currency,
      amountKopecks: toKopecks(input.amount as never),
      cart,
    })
    await this.recordInvoice(data)
    return { id: data.invoicebox_order_id, status: PaymentSessionStatus.PENDING, data }
  }

  /**
   * Medusa 2.21 never calls this for an existing session; should a version or a custom flow do,
   * it gets the same checks as completion: the invoice is brought in line with the cart while it
   * is unpaid, or the update is refused with the reason.
   */
  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) return this.initiatePayment(input as InitiatePaymentInput)
    if (input.amount !== undefined && toKopecks(input.amount as never) !== data.amount_kopecks) {
      throw userError(
        "INVALID_DATA",
        "Сумма изменилась: выберите способ оплаты заново, чтобы получить новый счёт",
        "The amount changed: choose the payment method again to get a new invoice"
      )
    }
    const synced = await syncInvoiceWithCart(this, data, await this.cartOrThrow(data.session_id))
    return { status: PaymentSessionStatus.PENDING, data: synced.data }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) return { data: input.data }
    return { data: await discardInvoice(this, () => this.fetchOrder(data), data) }
  }

  /**
   * Always reads the invoice from the API, even right after a signed "completed" notification.
   * At cart completion it first brings the invoice in line with the cart (or refuses).
   * That costs a round trip and one request of the account quota per payment. In exchange, a
   * leaked notification key alone cannot mark an order paid: the API token must confirm it too.
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    let data = this.requireData(input.data)
    let order = await this.fetchOrder(data)
    if (!(input.context as Record<string, unknown> | undefined)?.[SETTLEMENT_CONTEXT]) {
      // Cart completion: the invoice must describe what is ordered now (see syncInvoiceWithCart).
      const synced = await syncInvoiceWithCart(this, data, await this.cartOrThrow(data.session_id), order)
      if (synced.updated) order = await this.fetchOrder(synced.data)
      data = synced.data
    }
    return authorization(this, order, data)
  }

  /** Only money Invoicebox has taken is booked: a hold is not (see lifecycle.ts). */
  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    assertCapturable(order)
    return { data: withData(data, { invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null }) }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) return { data: input.data }
    return { data: await cancelInvoice(this, await this.fetchOrder(data), data) }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    return { data: await refundInvoice(this, this.requireData(input.data), input) }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    return { data: withData(data, { invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null }) }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    return { status: mapOrderStatus(order.status), data: withData(data, { invoice_status: order.status }) }
  }

  getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    return webhookAction(this, payload)
  }

  // --- helpers shared with invoice.ts, refund.ts, the routes and the jobs -------------------

  buildBasketOrThrow(cart: LoadedCart): Basket {
    try {
      return buildBasket(cart, {
        defaultMeasure: this.options_.defaultMeasure,
        defaultMeasureCode: this.options_.defaultMeasureCode,
        defaultItemType: this.options_.defaultItemType,
        shippingItemType: this.options_.shippingItemType,
        untaxedVatCode: this.options_.untaxedVatCode,
        vatAdded: this.options_.vatAdded,
        paymentType: this.options_.paymentType,
        vatCodes: this.options_.vatCodes,
        zeroRateIsUntaxed: this.options_.zeroRateIsUntaxed,
        maxBasketItems: this.options_.maxBasketItems,
      })
    } catch (e) {
      if (e instanceof InvoiceboxBasketError) throw new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
      throw e
    }
  }

  async fetchOrder(data: InvoiceboxPaymentData): Promise<InvoiceboxOrder> {
    const order = await this.call("read the invoice", () => this.client_.getOrder(data.invoicebox_order_id))
    if (!order) {
      throw userError("NOT_FOUND", `Счёт Инвойсбокс ${data.invoicebox_order_id} не найден`, `Invoicebox invoice ${data.invoicebox_order_id} was not found`)
    }
    return order
  }

  call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callInvoicebox(this.logger_, what, fn)
  }

  toMedusaError(what: string, e: unknown): Error {
    return toMedusaError(this.logger_, what, e)
  }

  private async cartOrThrow(sessionId: string): Promise<LoadedCart> {
    const cart = await loadCartForSession(this.query(), sessionId, {
      customerGroups: Object.keys(this.options_.paymentTermsByCustomerGroup ?? {}).length > 0,
    })
    if (!cart) throw userError("NOT_FOUND", "Не найдена корзина для этой платёжной сессии", "No cart was found for this payment session")
    return cart
  }

  /** The jobs find invoices through this row; a failure here only delays them (they also look at sessions). */
  private async recordInvoice(data: InvoiceboxPaymentData): Promise<void> {
    try {
      await invoiceboxModule().recordInvoice({
        provider_id: this.providerId,
        invoicebox_order_id: data.invoicebox_order_id,
        payment_session_id: data.session_id,
        status: data.invoice_status,
        amount_kopecks: data.amount_kopecks,
        currency: data.currency,
      })
    } catch (e) {
      this.logger_.warn(`Invoicebox: invoice ${data.invoicebox_order_id} not recorded yet: ${(e as Error).message}`)
    }
  }

  private requireData(data: unknown): InvoiceboxPaymentData {
    const d = data as InvoiceboxPaymentData | undefined
    if (!d?.invoicebox_order_id) {
      throw userError("INVALID_DATA", "Платёж не связан со счётом Инвойсбокс", "The payment is not linked to an Invoicebox invoice")
    }
    return d
  }
}

export default InvoiceboxProviderService

export { formatAtom } from "./invoice"
export { headerValue } from "./lifecycle"
