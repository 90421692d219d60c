import {
  AbstractPaymentProvider,
  ContainerRegistrationKeys,
  MedusaError,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"
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
import {
  InvoiceboxAuthError,
  InvoiceboxBasketError,
  InvoiceboxClient,
  InvoiceboxError,
  InvoiceboxValidationError,
  SUPPORTED_CURRENCIES,
  buildBasket,
  kopecksToRubles,
  mapOrderStatus,
  rublesToKopecks,
  toKopecks,
  toWireBasketItems,
  validatePayer,
  verifySignature,
  type Basket,
  type CreateOrderRequest,
  type InvoiceboxOrder,
  type Payer,
} from "../../core"
import { loadCartForSession, type LoadedCart } from "./cart-source"
import { bilingual, userError } from "./messages"
import { optionProblems, resolveOptions, type InvoiceboxProviderOptions, type ResolvedOptions } from "./options"
import { refundInvoice } from "./refund"

/** What the provider keeps in the payment session / payment `data`. Never a secret: the Store API returns it. */
export interface InvoiceboxPaymentData extends Record<string, unknown> {
  session_id: string
  payer: Payer
  return_url?: string
  invoicebox_order_id: string
  merchant_order_id: string
  payment_url: string
  invoice_status: string
  expires_at: string
  amount_kopecks: number
  vat_amount_kopecks: number
  currency: string
  paid_at?: string | null
  refunds?: InvoiceboxRefundRecord[]
  /** Set by the refund sync while it records a cabinet refund through Medusa's refund workflow. */
  cabinet_refund_pending?: { id: string; amount_kopecks: number; status: string }
}

export interface InvoiceboxRefundRecord {
  id: string
  merchant_order_id: string
  amount_kopecks: number
  status: string
  medusa_refund_id?: string
  source: "medusa" | "cabinet"
  created_at?: string
}

type Cradle = { logger?: Logger } & Record<string, unknown>

class InvoiceboxProviderService extends AbstractPaymentProvider<InvoiceboxProviderOptions> {
  static identifier = "invoicebox"

  protected readonly options_: ResolvedOptions
  protected readonly client_: InvoiceboxClient
  protected readonly logger_: Logger | Console

  static validateOptions(options: Record<string, unknown>): void {
    const problems = optionProblems(options ?? {})
    if (problems.length) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `Invoicebox payment provider is misconfigured:\n - ${problems.join("\n - ")}`
      )
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
    })
  }

  get client(): InvoiceboxClient {
    return this.client_
  }

  get options(): ResolvedOptions {
    return this.options_
  }

  private query() {
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
    const data = (input.data ?? {}) as Record<string, unknown>
    const sessionId = String(data.session_id ?? input.context?.idempotency_key ?? "")
    if (!sessionId) {
      throw userError("INVALID_DATA", "Не передан идентификатор платёжной сессии", "The payment session id is missing")
    }

    const payerResult = validatePayer(data.payer)
    if (!payerResult.ok) {
      throw userError(
        "INVALID_DATA",
        `Проверьте реквизиты плательщика: ${payerResult.errors.map((e) => e.message_ru).join("; ")}`,
        `Check the payer's details: ${payerResult.errors.map((e) => e.message_en).join("; ")}`
      )
    }
    const payer = payerResult.payer

    const currency = String(input.currency_code ?? "").toUpperCase()
    if (!(SUPPORTED_CURRENCIES as readonly string[]).includes(currency)) {
      throw userError(
        "INVALID_DATA",
        `Invoicebox не принимает оплату в валюте ${currency || "(не указана)"}; доступны ${SUPPORTED_CURRENCIES.join(", ")}`,
        `Invoicebox does not accept ${currency || "(no currency)"}; supported: ${SUPPORTED_CURRENCIES.join(", ")}`
      )
    }
    const returnUrl = this.allowedReturnUrl(data.return_url)

    const cart = await loadCartForSession(this.query(), sessionId, {
      customerGroups: Object.keys(this.options_.paymentTermsByCustomerGroup ?? {}).length > 0,
    })
    if (!cart) {
      throw userError(
        "NOT_FOUND",
        "Не найдена корзина для этой платёжной сессии",
        "No cart was found for this payment session"
      )
    }
    const basket = this.buildBasketOrThrow(cart)
    const amountKopecks = toKopecks(input.amount as any)
    if (basket.totalAmount !== amountKopecks) {
      // INVALID_DATA, not CONFLICT: Medusa's error handler replaces CONFLICT messages with a generic text.
      throw userError(
        "INVALID_DATA",
        `Сумма корзины (${kopecksToRubles(basket.totalAmount)}) не совпадает с суммой к оплате (${kopecksToRubles(amountKopecks)}); обновите корзину`,
        `The cart total (${kopecksToRubles(basket.totalAmount)}) differs from the amount to pay (${kopecksToRubles(amountKopecks)}); refresh the cart`
      )
    }

    const expiresAt = new Date(Date.now() + this.paymentTermMinutes(cart) * 60_000)
    const request: CreateOrderRequest = {
      merchantId: this.options_.merchantId,
      merchantOrderId: sessionId,
      merchantOrderIdVisible: visibleNumber(cart.id),
      description: `Оплата заказа ${visibleNumber(cart.id)} в магазине «${this.options_.storeName}»`.slice(0, 1000),
      amount: kopecksToRubles(basket.totalAmount),
      vatAmount: kopecksToRubles(basket.vatAmount),
      currencyId: currency,
      languageId: this.options_.languageId,
      expirationDate: formatAtom(expiresAt),
      basketItems: toWireBasketItems(basket.lines),
      customer: dropEmpty({
        type: "legal",
        name: payer.name,
        vatNumber: payer.inn,
        taxRegistrationReasonCode: payer.kpp,
        registrationAddress: payer.address,
        email: payer.email ?? cart.email ?? undefined,
        phone: payer.phone,
      }) as CreateOrderRequest["customer"],
      invoiceSetting: { customerLocked: this.options_.customerLocked },
      ...dropEmpty({
        notificationUrl: this.options_.notificationUrl,
        successUrl: returnUrl ?? this.options_.successUrl,
        failUrl: returnUrl ?? this.options_.failUrl,
        returnUrl: returnUrl ?? this.options_.returnUrl,
      }),
    }

    const { order } = await this.call("create the invoice", () => this.client_.createOrRecoverOrder(request))

    // An invoice that does not say exactly what we asked for must never reach the buyer.
    if (order.status !== "created" || rublesToKopecks(order.amount) !== basket.totalAmount) {
      await this.cancelQuietly(order.id)
      throw userError(
        "UNEXPECTED_STATE",
        `Инвойсбокс вернул счёт в неожиданном состоянии (${order.status}, ${order.amount}); попробуйте ещё раз`,
        `Invoicebox returned the invoice in an unexpected state (${order.status}, ${order.amount}); please retry`
      )
    }

    const out: InvoiceboxPaymentData = {
      session_id: sessionId,
      payer,
      ...(returnUrl ? { return_url: returnUrl } : {}),
      invoicebox_order_id: order.id,
      merchant_order_id: sessionId,
      payment_url: order.paymentUrl ?? "",
      invoice_status: order.status,
      expires_at: expiresAt.toISOString(),
      amount_kopecks: basket.totalAmount,
      vat_amount_kopecks: basket.vatAmount,
      currency,
    }
    this.logger_.info(`Invoicebox: invoice ${order.id} created for session ${sessionId} (${basket.totalAmount} kopecks)`)
    return { id: order.id, status: PaymentSessionStatus.PENDING, data: out }
  }

  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) {
      return this.initiatePayment(input as InitiatePaymentInput)
    }
    const cart = await loadCartForSession(this.query(), data.session_id)
    if (!cart) throw userError("NOT_FOUND", "Не найдена корзина", "Cart not found")
    const basket = this.buildBasketOrThrow(cart)
    const order = await this.call("update the invoice", () =>
      this.client_.updateOrder(data.invoicebox_order_id, {
        amount: kopecksToRubles(basket.totalAmount),
        vatAmount: kopecksToRubles(basket.vatAmount),
        basketItems: toWireBasketItems(basket.lines),
      })
    )
    return {
      status: PaymentSessionStatus.PENDING,
      data: {
        ...data,
        invoice_status: order.status,
        amount_kopecks: basket.totalAmount,
        vat_amount_kopecks: basket.vatAmount,
      },
    }
  }

  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) return { data: input.data }
    try {
      const order = await this.fetchOrder(data)
      if (order.status === "created" || order.status === "draft") {
        const canceled = await this.client_.cancelOrder(order.id)
        this.logger_.info(`Invoicebox: invoice ${order.id} cancelled because its session ${data.session_id} was replaced`)
        return { data: { ...data, invoice_status: canceled.status } }
      }
      if (order.status === "completed" || order.status === "hold") {
        // Money was received for a session Medusa is discarding: it cannot be captured on a
        // deleted session, so a person has to look (and refund it in Invoicebox if needed).
        this.logger_.error(
          `Invoicebox: session ${data.session_id} was deleted but its invoice ${order.id} is already paid (${order.status}); ` +
            "check the cart and refund the invoice in Invoicebox if no order uses it"
        )
      }
      return { data: { ...data, invoice_status: order.status } }
    } catch (e) {
      // Medusa deletes sessions while the buyer edits the cart; an Invoicebox outage must not
      // block that. The reconciliation job cancels invoices whose session is gone.
      this.logger_.warn(
        `Invoicebox: invoice ${data.invoicebox_order_id} of deleted session ${data.session_id} could not be cancelled now ` +
          `(${(e as Error).message}); the reconciliation job will cancel it`
      )
      return { data }
    }
  }

  /**
   * Always reads the invoice from the API, even right after a signed "completed" notification.
   * That costs a round trip and one request of the account quota per payment. In exchange, a
   * leaked notification key alone cannot mark an order paid: the API token must confirm it too.
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    const next = { ...data, invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null }
    const status = mapOrderStatus(order.status)
    switch (status) {
      case PaymentSessionStatus.CAPTURED:
      case PaymentSessionStatus.AUTHORIZED:
        this.assertAmount(order, data)
        return { status, data: next }
      case PaymentSessionStatus.PENDING:
        return {
          status: this.options_.requirePaymentBeforeOrder
            ? PaymentSessionStatus.PENDING
            : PaymentSessionStatus.PENDING_AUTHORIZATION,
          data: next,
        }
      case PaymentSessionStatus.CANCELED:
        throw userError(
          "NOT_ALLOWED",
          `Счёт Инвойсбокс ${order.id} ${order.status === "expired" ? "просрочен" : "отменён"}; выберите способ оплаты заново, чтобы получить новый счёт`,
          `Invoicebox invoice ${order.id} is ${order.status}; choose the payment method again to get a new invoice`
        )
      default:
        throw userError(
          "NOT_ALLOWED",
          `Счёт Инвойсбокс ${order.id} в состоянии «${order.status}», оплата невозможна`,
          `Invoicebox invoice ${order.id} is in state "${order.status}" and cannot be paid`
        )
    }
  }

  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    if (order.status !== "completed" && order.status !== "hold") {
      throw userError(
        "NOT_ALLOWED",
        `Счёт Инвойсбокс ${order.id} ещё не оплачен (${order.status}); платёж будет зачислен после уведомления об оплате`,
        `Invoicebox invoice ${order.id} is not paid yet (${order.status}); the payment is captured when Invoicebox confirms it`
      )
    }
    return { data: { ...data, invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null } }
  }

  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const data = input.data as InvoiceboxPaymentData | undefined
    if (!data?.invoicebox_order_id) return { data: input.data }
    const order = await this.fetchOrder(data)
    if (order.status === "created" || order.status === "draft") {
      const canceled = await this.call("cancel the invoice", () => this.client_.cancelOrder(order.id))
      return { data: { ...data, invoice_status: canceled.status } }
    }
    if (order.status === "completed" || order.status === "hold") {
      throw userError(
        "NOT_ALLOWED",
        `Счёт Инвойсбокс ${order.id} уже оплачен, отменить его нельзя — оформите возврат`,
        `Invoicebox invoice ${order.id} has already been paid and cannot be cancelled — refund it instead`
      )
    }
    return { data: { ...data, invoice_status: order.status } }
  }

  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const data = this.requireData(input.data)
    const refundId = input.context?.idempotency_key as string | undefined
    const hints = await this.refundHints(refundId, data)
    const updated = await refundInvoice(this, data, input, {
      refundId,
      ...hints,
      isMedusaRefundGone: (id) => this.isMedusaRefundGone(id),
    })
    return { data: updated }
  }

  async isMedusaRefundGone(refundId: string): Promise<boolean> {
    const payments = (this.container as Record<string, any>).paymentModuleService
    const found = await payments.listRefunds({ id: [refundId] }, { select: ["id"] })
    return found.length === 0
  }

  /**
   * Medusa gives refundPayment neither the reason nor the order; the refund id (the idempotency
   * key) leads to both, so the Invoicebox refund carries the reason and names returned goods.
   */
  private async refundHints(
    refundId: string | undefined,
    data: InvoiceboxPaymentData
  ): Promise<{ description?: string; returned?: Map<string, number> }> {
    if (!refundId?.startsWith("ref_")) return {}
    try {
      const payments = (this.container as Record<string, any>).paymentModuleService
      const refund = await payments.retrieveRefund(refundId, { relations: ["refund_reason", "payment"] })
      const { data: collections } = await this.query().graph({
        entity: "payment_collection",
        fields: [
          "order.id",
          "order.display_id",
          "order.returns.status",
          "order.returns.received_at",
          "order.returns.items.*",
          "order.returns.items.item.variant_sku",
          "order.returns.items.item.variant_id",
        ],
        filters: { id: refund.payment?.payment_collection_id },
      })
      const order = collections[0]?.order
      const reason = [refund.refund_reason?.label, refund.note].filter(Boolean).join("; ")
      const description = `Возврат по заказу №${order?.display_id ?? data.merchant_order_id}${reason ? `: ${reason}` : ""}`
      const received = (order?.returns ?? [])
        .filter((r: any) => r.received_at)
        .sort((a: any, b: any) => String(b.received_at).localeCompare(String(a.received_at)))[0]
      const returned = new Map<string, number>()
      for (const it of received?.items ?? []) {
        const sku = it.item?.variant_sku ?? it.item?.variant_id
        if (sku && Number(it.received_quantity) > 0) returned.set(sku, (returned.get(sku) ?? 0) + Number(it.received_quantity))
      }
      return { description, returned }
    } catch (e) {
      this.logger_.warn(`Invoicebox: refund ${refundId}: could not read the reason / returned items: ${(e as Error).message}`)
      return {}
    }
  }

  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    return { data: { ...data, invoice_status: order.status, paid_at: order.paidAt ?? data.paid_at ?? null } }
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const data = this.requireData(input.data)
    const order = await this.fetchOrder(data)
    return { status: mapOrderStatus(order.status), data: { ...data, invoice_status: order.status } }
  }

  /**
   * For Medusa's generic /hooks/payment/invoicebox_invoicebox route. The plugin's own
   * /hooks/invoicebox route is the one to configure in Invoicebox (it answers with the JSON
   * verdict Invoicebox needs); this keeps the generic route safe if someone points at it.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const signature = headerValue(payload.headers, "x-signature")
    if (!verifySignature(payload.rawData, signature, this.options_.notificationKey, this.options_.signatureAlgorithm)) {
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    const body = payload.data as Partial<InvoiceboxOrder>
    if (body.merchantId !== this.options_.merchantId || !body.merchantOrderId) {
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    // Re-read: the notification body is only a hint; the API is the source of truth.
    const order = body.id ? await this.client_.getOrder(body.id) : null
    if (!order) return { action: PaymentActions.NOT_SUPPORTED }
    const action = order.status === "completed" ? PaymentActions.SUCCESSFUL : PaymentActions.NOT_SUPPORTED
    // Capture the session's own amount: it may carry sub-kopeck decimals the invoice cannot,
    // and capturing the rounded rubles would leave the payment "partially captured".
    const { data: sessions } = await this.query().graph({
      entity: "payment_session",
      fields: ["id", "amount"],
      filters: { id: order.merchantOrderId },
    })
    const amount = sessions[0]?.amount ?? order.amount
    return { action, data: { session_id: order.merchantOrderId, amount } }
  }

  // --- helpers shared with the routes, jobs and refund code -------------------------------

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
      })
    } catch (e) {
      if (e instanceof InvoiceboxBasketError) {
        throw new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
      }
      throw e
    }
  }

  async fetchOrder(data: InvoiceboxPaymentData): Promise<InvoiceboxOrder> {
    const order = await this.call("read the invoice", () => this.client_.getOrder(data.invoicebox_order_id))
    if (!order) {
      throw userError(
        "NOT_FOUND",
        `Счёт Инвойсбокс ${data.invoicebox_order_id} не найден`,
        `Invoicebox invoice ${data.invoicebox_order_id} was not found`
      )
    }
    return order
  }

  /** Runs a client call and turns its typed errors into Medusa errors with a message for people. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw this.toMedusaError(what, e)
    }
  }

  toMedusaError(what: string, e: unknown): Error {
    if (e instanceof MedusaError) return e
    if (!(e instanceof InvoiceboxError)) return e as Error
    const ref = e.requestId ? ` (X-Request-Id ${e.requestId})` : ""
    this.logger_.warn(`Invoicebox: could not ${what}: ${e.message}`)
    if (e instanceof InvoiceboxValidationError) {
      const fields = e.fields.map((f) => `${f.name}: ${f.code}`).join(", ")
      return new MedusaError(
        MedusaError.Types.INVALID_DATA,
        bilingual(
          `Инвойсбокс отклонил запрос (${e.code}${fields ? `; ${fields}` : ""})${ref}`,
          `Invoicebox rejected the request (${e.code}${fields ? `; ${fields}` : ""})${ref}`
        )
      )
    }
    if (e instanceof InvoiceboxAuthError) {
      return new MedusaError(
        MedusaError.Types.UNEXPECTED_STATE,
        bilingual(
          `Инвойсбокс не принял учётные данные магазина (merchantId / apiToken)${ref}`,
          `Invoicebox rejected the shop credentials (merchantId / apiToken)${ref}`
        )
      )
    }
    return new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      bilingual(
        `Инвойсбокс временно недоступен, повторите попытку через минуту${ref}`,
        `Invoicebox is temporarily unavailable, please retry in a minute${ref}`
      )
    )
  }

  private requireData(data: unknown): InvoiceboxPaymentData {
    const d = data as InvoiceboxPaymentData | undefined
    if (!d?.invoicebox_order_id) {
      throw userError(
        "INVALID_DATA",
        "Платёж не связан со счётом Инвойсбокс",
        "The payment is not linked to an Invoicebox invoice"
      )
    }
    return d
  }

  private assertAmount(order: InvoiceboxOrder, data: InvoiceboxPaymentData) {
    if (rublesToKopecks(order.amount) !== data.amount_kopecks || order.currencyId?.toUpperCase() !== data.currency) {
      throw userError(
        "NOT_ALLOWED",
        `Сумма счёта ${order.id} в Инвойсбокс (${order.amount} ${order.currencyId}) не совпадает с заказом`,
        `The amount of Invoicebox invoice ${order.id} (${order.amount} ${order.currencyId}) does not match the order`
      )
    }
  }

  private async cancelQuietly(orderId: string) {
    try {
      await this.client_.cancelOrder(orderId)
    } catch (e) {
      this.logger_.error(`Invoicebox: could not cancel invoice ${orderId}: ${(e as Error).message}`)
    }
  }

  private paymentTermMinutes(cart: LoadedCart): number {
    const byGroup = this.options_.paymentTermsByCustomerGroup ?? {}
    const terms = (cart.customer?.groups ?? []).map((g) => byGroup[g.id]).filter((m): m is number => !!m)
    return terms.length ? Math.max(...terms) : this.options_.paymentTermMinutes
  }

  private allowedReturnUrl(value: unknown): string | undefined {
    if (value === undefined || value === null || value === "") return undefined
    let url: URL
    try {
      url = new URL(String(value))
    } catch {
      throw userError("INVALID_DATA", "return_url должен быть абсолютным URL", "return_url must be an absolute URL")
    }
    const allowed = this.options_.allowedReturnHosts ?? []
    if (!["http:", "https:"].includes(url.protocol) || !allowed.includes(url.hostname)) {
      throw userError(
        "INVALID_DATA",
        `Адрес возврата ${url.hostname} не разрешён настройкой allowedReturnHosts`,
        `Return host ${url.hostname} is not in the allowedReturnHosts option`
      )
    }
    return url.toString()
  }
}

export default InvoiceboxProviderService

function visibleNumber(cartId: string): string {
  return cartId.replace(/^cart_/, "").slice(-8).toUpperCase()
}

/** Invoicebox wants ATOM dates with an explicit offset (2020-12-22T00:00:00+00:00). */
export function formatAtom(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "+00:00")
}

function dropEmpty<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Partial<T>
}

export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const v = key ? headers[key] : undefined
  return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v)
}
