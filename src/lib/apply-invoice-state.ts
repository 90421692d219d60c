import { createHash } from "node:crypto"
import { ContainerRegistrationKeys, MedusaError, Modules, PaymentActions } from "@medusajs/framework/utils"
import type { ILockingModule, IPaymentModuleService, Logger, MedusaContainer } from "@medusajs/framework/types"
import { cancelOrderWorkflow, completeCartWorkflow, processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { isAmbiguousStatus, mapOrderStatus, rublesToKopecks } from "../core"
import type { InvoiceboxOrder } from "../core"
import { INVOICEBOX_MODULE } from "../modules/invoicebox"
import { bookCapturesOnOrderWorkflow, captureOrderInvoiceWorkflow, captureTransactions } from "../workflows/capture-order-invoice"
import type InvoiceboxModuleService from "../modules/invoicebox/service"
import type { LedgerDedupeRow } from "../modules/invoicebox/service"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import type { InvoiceboxPaymentData } from "../providers/invoicebox/service"
import { withData } from "../providers/invoicebox/session-data"
import { bilingual, type InvoiceboxVerdict } from "./invoicebox-verdict"
import { updatePaymentSessionRow } from "./medusa-internals"
import { invoiceboxModule } from "./plugin-module"
import { registerWaitingShipments } from "./shipments"
import { findUndeliverable, scheduleReversal } from "./stock-check"

export { INVOICEBOX_MODULE }

/** Invoicebox waits 20 s for the reply; 5 s are left for the network and the reply itself. */
export const PROCESSING_BUDGET_MS = 15_000

export type InvoiceStateSource = "notification" | "reconciliation" | "admin"

/** The fields of an Invoicebox order (a notification body has the same shape) this code reads. */
export type InvoiceLike = Pick<InvoiceboxOrder, "id" | "status" | "merchantOrderId" | "amount" | "currencyId"> &
  Partial<InvoiceboxOrder>

export interface ApplyInvoiceStateInput {
  /** The Invoicebox shop (provider) the invoice belongs to. */
  provider: InvoiceboxProviderService
  invoice: InvoiceLike
  source: InvoiceStateSource
  /**
   * The invoice was just read from the Invoicebox API (job, admin "check status"): it is the
   * source of truth, so an unclear status is not read again.
   */
  fromApi?: boolean
  /** SHA-256 of the raw notification body; for API reads, of the JSON read. */
  bodySha256?: string
  receivedAt?: Date
  /** Epoch ms by which the answer must be known (default: now + 15 s). */
  deadline?: number
}

export type InvoiceEffect =
  | "none"
  | "duplicate"
  | "captured"
  | "authorized"
  | "order_created"
  | "payment_canceled"
  | "order_canceled"

export interface ApplyInvoiceStateResult {
  verdict: InvoiceboxVerdict
  /** Bilingual; what the route puts into the reply's `message`. */
  message?: string
  effect: InvoiceEffect
  /** The invoice status acted upon (after a re-read, what Invoicebox said). */
  appliedStatus?: string
  paymentSessionId?: string
  orderId?: string
  /** The ledger row, when one was written. */
  notificationId?: string
}

/** Statuses that can be acted on without asking Invoicebox again. */
const ACTIONABLE = new Set(["completed", "canceled", "cancelled", "expired"])

/**
 * Statuses applied as notified. `completed` is confirmed by the API anyway: the provider's
 * authorizePayment re-reads the invoice before the payment is captured. Every other status that
 * changes Medusa (a cancellation, an expiry) is re-read here first, so that a leaked notification
 * key alone can neither cancel orders nor release their stock.
 */
const TRUSTED_WITHOUT_REREAD = new Set(["completed"])

export function dedupeKey(invoiceId: string, status: string): string {
  return `${invoiceId}:${status}`
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex")
}

class BudgetExceededError extends Error {}

/** Raised inside to end processing with a given verdict (never a technical failure). */
class Verdict extends Error {
  constructor(
    readonly verdict: InvoiceboxVerdict,
    message: string
  ) {
    super(message)
  }
}

interface SessionContext {
  session: {
    id: string
    provider_id: string
    status: string
    amount: number
    currency_code: string
    data: InvoiceboxPaymentData
    payment_collection_id: string
  }
  payment?: {
    id: string
    amount: number
    captured_at?: string | Date | null
    canceled_at?: string | Date | null
  }
  /** Only looked up when no order is linked yet (pay-first stores, abandoned carts). */
  cartId?: string
  order?: { id: string; status: string }
}

/**
 * The one code path that moves a Medusa payment to what an Invoicebox invoice says, whoever
 * noticed the change: the notification route, the reconciliation job or the admin's
 * "check status". Serialised per invoice and per payment session with the locking module (so it
 * holds across server instances), deduplicated through the ledger, and it reports `success` only
 * once the effect is committed in Medusa; anything else is `out_of_service`, and running it again
 * is always safe.
 */
export async function applyInvoiceState(
  container: MedusaContainer,
  input: ApplyInvoiceStateInput
): Promise<ApplyInvoiceStateResult> {
  const deadline = input.deadline ?? Date.now() + PROCESSING_BUDGET_MS
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const { invoice } = input
  const label = `Invoicebox: invoice ${invoice.id} (${input.source}, status ${invoice.status})`

  let result: ApplyInvoiceStateResult
  try {
    // A repeat of a settled notification needs no lock: the row is written only after the commit.
    // Checked again under the lock, for the repeats that arrive while the first is being applied.
    const work = (async () => {
      const ledger = container.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
      const settled = await ledgerEntry(ledger, invoice)
      if (settled && isSettledRepeat(settled, invoice)) return repeatResult(settled, invoice)
      const locking = container.resolve<ILockingModule>(Modules.LOCKING)
      const keys = [`invoicebox:invoice:${invoice.id}`]
      if (invoice.merchantOrderId) keys.push(`invoicebox:session:${invoice.merchantOrderId}`)
      return lockInOrder(locking, keys, () => applyLocked(container, input, deadline, logger), deadline)
    })()
    result = await withDeadline(work, deadline)
  } catch (e) {
    const overBudget = e instanceof BudgetExceededError
    logger.error(
      `${label}: ${overBudget ? "processing budget exceeded" : "processing failed"} → out_of_service: ${errorText(e)}`
    )
    return {
      verdict: "out_of_service",
      effect: "none",
      message: overBudget
        ? bilingual("Обработка не уложилась в отведённое время, повторите уведомление", "Processing took too long, please retry")
        : bilingual("Временная ошибка магазина, повторите уведомление", "Temporary shop-side failure, please retry"),
    }
  }

  const line = `${label} → ${result.verdict} (effect ${result.effect}${
    result.appliedStatus && result.appliedStatus !== invoice.status ? `, applied status ${result.appliedStatus}` : ""
  }${result.notificationId ? `, ledger ${result.notificationId}` : ""}${result.paymentSessionId ? `, session ${result.paymentSessionId}` : ""}${
    result.orderId ? `, order ${result.orderId}` : ""
  })`
  if (result.verdict === "success") logger.info(line)
  else logger.warn(`${line}: ${result.message ?? ""}`)
  return result
}

function ledgerEntry(ledger: InvoiceboxModuleService, invoice: InvoiceLike): Promise<LedgerDedupeRow | undefined> {
  return ledger.findNotificationByDedupeKey(dedupeKey(invoice.id, invoice.status))
}

/**
 * Only a committed, unambiguous transition makes a repeat a no-op; an unclear status (hold,
 * processing, success) is looked at again, because the invoice may have moved on since.
 */
function isSettledRepeat(row: LedgerDedupeRow, invoice: InvoiceLike): boolean {
  return row.verdict === "success" && ACTIONABLE.has(invoice.status)
}

function repeatResult(row: LedgerDedupeRow, invoice: InvoiceLike): ApplyInvoiceStateResult {
  return {
    verdict: "success",
    effect: "duplicate",
    appliedStatus: invoice.status,
    paymentSessionId: row.payment_session_id ?? undefined,
    orderId: row.order_id ?? undefined,
    notificationId: row.id,
  }
}

async function applyLocked(
  container: MedusaContainer,
  input: ApplyInvoiceStateInput,
  deadline: number,
  logger: Logger
): Promise<ApplyInvoiceStateResult> {
  const ledger = container.resolve<InvoiceboxModuleService>(INVOICEBOX_MODULE)
  const notified = input.invoice
  const previous = await ledgerEntry(ledger, notified)
  if (previous && isSettledRepeat(previous, notified)) return repeatResult(previous, notified)

  const row = {
    dedupe_key: dedupeKey(notified.id, notified.status),
    invoicebox_order_id: notified.id,
    merchant_order_id: String(notified.merchantOrderId ?? ""),
    status: notified.status,
    provider_id: input.provider.providerId,
    source: input.source,
    body_sha256: input.bodySha256 ?? sha256(JSON.stringify(notified)),
    received_at: input.receivedAt ?? new Date(),
  }
  let rowId: string | undefined = previous?.id
  const save = async (fields: { verdict: string; message?: string | null; payment_session_id?: string | null; order_id?: string | null; processed_at?: Date | null }) => {
    const data = { ...row, message: null, processed_at: null, ...fields }
    if (rowId) await ledger.updateInvoiceboxNotifications({ id: rowId, ...data })
    else rowId = (await ledger.createInvoiceboxNotifications(data)).id
    return rowId
  }
  const finish = async (result: ApplyInvoiceStateResult, ctx?: SessionContext): Promise<ApplyInvoiceStateResult> => {
    const notificationId = await save({
      verdict: result.verdict,
      message: result.message ?? null,
      payment_session_id: ctx?.session.id ?? null,
      order_id: result.orderId ?? ctx?.order?.id ?? null,
      processed_at: new Date(),
    })
    return { ...result, notificationId, paymentSessionId: ctx?.session.id, orderId: result.orderId ?? ctx?.order?.id }
  }

  const state: { ctx?: SessionContext } = {}
  try {
    const result = await decide(container, input, deadline, logger, state)
    return await finish(result, state.ctx)
  } catch (e) {
    if (e instanceof Verdict) return await finish({ verdict: e.verdict, message: e.message, effect: "none" }, state.ctx)
    // Best effort: the row says the attempt failed; a redelivery processes it again either way.
    await save({ verdict: "out_of_service", message: errorText(e).slice(0, 1000) }).catch(() => undefined)
    throw e
  }
}

/** What the invoice's status means for Medusa, and doing it. `state.ctx` follows the session for the ledger. */
async function decide(
  container: MedusaContainer,
  input: ApplyInvoiceStateInput,
  deadline: number,
  logger: Logger,
  state: { ctx?: SessionContext }
): Promise<ApplyInvoiceStateResult> {
  const { provider } = input
  let invoice: InvoiceLike = input.invoice
  let ctx = await loadContext(container, invoice.merchantOrderId)
  if (!ctx) throw new Verdict("order_not_found", await notFoundMessage(container, invoice))
  state.ctx = ctx
  checkProvider(ctx, provider)

  const twin = invoice.id !== ctx.session.data.invoicebox_order_id
  if (twin && isCaptured(ctx.payment)) {
    // Paid through another invoice (docs merchant/notification/status.md: order_already_paid).
    if (invoice.status === "completed") {
      logger.error(`Invoicebox: invoice ${invoice.id} reports a payment for session ${ctx.session.id}, already paid through ${ctx.session.data.invoicebox_order_id}; refund one of them in the Invoicebox cabinet if both were paid`)
    }
    throw new Verdict(
      "order_already_paid",
      bilingual(`Заказ уже оплачен по другому счёту (${ctx.session.data.invoicebox_order_id})`, `The order has already been paid through another invoice (${ctx.session.data.invoicebox_order_id})`)
    )
  }
  if (!input.fromApi && (twin || !TRUSTED_WITHOUT_REREAD.has(invoice.status))) {
    const fresh = await provider.client.getOrder(invoice.id)
    if (!fresh) {
      throw new Verdict("order_not_found", bilingual(`Счёт ${invoice.id} не найден в Инвойсбоксе`, `Invoice ${invoice.id} was not found in Invoicebox`))
    }
    invoice = fresh
  }
  if (invoice.id !== ctx.session.data.invoicebox_order_id) {
    ctx = await adoptTwinInvoice(container, provider, ctx, invoice, logger)
    state.ctx = ctx
  }
  checkIdentity(invoice, ctx)
  checkBudget(deadline)

  const status = invoice.status
  await recordStatus(container, provider, ctx, invoice)
  if (isAmbiguousStatus(status)) {
    // Read from the API and still ambiguous: nothing proves a payment, wait for the next change.
    logger.warn(`Invoicebox: invoice ${invoice.id} reads "${status}" from the API; left unchanged until it settles`)
    return { verdict: "success", effect: "none", appliedStatus: status }
  }
  let effect: InvoiceEffect = "none"
  let message: string | undefined
  switch (mapOrderStatus(status)) {
    case "captured":
      await refuseUndeliverable(container, provider, ctx, invoice, logger)
      ;({ effect, ctx } = await settle(container, ctx, PaymentActions.SUCCESSFUL, deadline))
      state.ctx = ctx
      if (ctx.order) await registerWaitingShipments(container, provider, ctx.order.id)
      break
    case "authorized":
      await refuseUndeliverable(container, provider, ctx, invoice, logger)
      ;({ effect, ctx } = await settle(container, ctx, PaymentActions.AUTHORIZED, deadline))
      state.ctx = ctx
      break
    case "canceled":
      ;({ effect, message } = await cancel(container, provider, ctx, invoice, logger))
      break
    case "error":
      logger.warn(`Invoicebox: invoice ${invoice.id} reports a processing error; the payment stays awaiting`)
      break
    default:
      break // created, draft, processing: still waiting for the money
  }
  return { verdict: "success", effect, message, appliedStatus: status }
}

/**
 * checkStockOnPayment: money for a cart that can no longer become an order is refused with
 * `shipping_unavailable` (docs merchant/notification/shipping-unavailable.md:46-54), so the payment
 * page tells the buyer at once, and the payment is reversed or refunded after the reply. The
 * ledger row keeps the reason. Only carts without an order: an order placed before payment has
 * its stock reserved already.
 */
async function refuseUndeliverable(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  ctx: SessionContext,
  invoice: InvoiceLike,
  logger: Logger
): Promise<void> {
  if (!provider.options.checkStockOnPayment || !ctx.cartId || ctx.order || isCaptured(ctx.payment)) return
  const why = await findUndeliverable(container, ctx.cartId)
  if (!why) return
  logger.warn(`Invoicebox: invoice ${invoice.id} was paid but cart ${ctx.cartId} cannot be completed (${why.reason}); answering shipping_unavailable and reversing the payment`)
  scheduleReversal(container, provider, invoice.id, why)
  throw new Verdict("shipping_unavailable", why.message)
}

/** The session must be one of this provider's: another shop's key cannot settle it. */
function checkProvider(ctx: SessionContext, provider: InvoiceboxProviderService): void {
  if (ctx.session.provider_id !== provider.providerId || !ctx.session.data?.invoicebox_order_id) {
    throw new Verdict(
      "order_not_found",
      bilingual(
        `Платёж ${ctx.session.id} не оплачивается через этот магазин Инвойсбокс (${provider.providerId})`,
        `Payment ${ctx.session.id} is not paid through this Invoicebox shop (${provider.providerId})`
      )
    )
  }
}

/**
 * Invoicebox does not check merchantOrderId uniqueness by default, so a create whose answer was
 * lost and that was sent again can leave two invoices for one payment session. The invoice read
 * from the API proves it is ours (this shop, this session's number, the same money); a paid twin
 * is adopted as the session's invoice and the other one cancelled, so money this store asked for
 * is never answered `order_not_found`.
 */
async function adoptTwinInvoice(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  ctx: SessionContext,
  invoice: InvoiceLike,
  logger: Logger
): Promise<SessionContext> {
  const data = ctx.session.data
  const ours =
    String(invoice.merchantId ?? "").toLowerCase() === provider.options.merchantId.toLowerCase() &&
    invoice.merchantOrderId === ctx.session.id &&
    safeKopecks(invoice.amount) === data.amount_kopecks
  const paid = invoice.status === "completed" || invoice.status === "hold"
  if (!ours || !paid) return ctx // checkIdentity explains the mismatch
  const previous = data.invoicebox_order_id
  const adopted = withData(data, { invoicebox_order_id: invoice.id, invoice_status: invoice.status, payment_url: invoice.paymentUrl ?? data.payment_url })
  await updatePaymentSessionRow(container, { id: ctx.session.id, data: adopted })
  await provider.client.cancelOrder(previous).catch((e) => logger.warn(`Invoicebox: twin invoice ${previous} not cancelled: ${(e as Error).message}`))
  logger.warn(`Invoicebox: session ${ctx.session.id} had two invoices; the paid one (${invoice.id}) replaces ${previous}`)
  return { ...ctx, session: { ...ctx.session, data: adopted } }
}

/** The invoice row the jobs read: its last status, and when it was paid. */
async function recordStatus(container: MedusaContainer, provider: InvoiceboxProviderService, ctx: SessionContext, invoice: InvoiceLike) {
  const data = ctx.session.data
  await invoiceboxModule(container).recordInvoice({
    provider_id: provider.providerId,
    invoicebox_order_id: invoice.id,
    payment_session_id: ctx.session.id,
    status: invoice.status,
    amount_kopecks: data.amount_kopecks,
    currency: String(data.currency),
    paid_at: invoice.status === "completed" ? new Date(invoice.paidAt ?? Date.now()) : null,
  })
}

function safeKopecks(amount: unknown): number {
  try {
    return rublesToKopecks(amount as number)
  } catch {
    return Number.NaN
  }
}

/**
 * The notification must be about the invoice we issued for that payment session, for the amount
 * and currency we issued it for. Compared in kopecks: 2790.1 and "2790.10" are the same money.
 */
function checkIdentity(invoice: InvoiceLike, ctx: SessionContext): void {
  const data = ctx.session.data
  if (invoice.id !== data.invoicebox_order_id) {
    if (isCaptured(ctx.payment)) {
      throw new Verdict(
        "order_already_paid",
        bilingual(
          `Заказ уже оплачен по другому счёту (${data.invoicebox_order_id})`,
          `The order has already been paid through another invoice (${data.invoicebox_order_id})`
        )
      )
    }
    throw new Verdict(
      "order_not_found",
      bilingual(
        `Для платежа ${ctx.session.id} выставлен другой счёт (${data.invoicebox_order_id})`,
        `Payment ${ctx.session.id} was invoiced with another invoice (${data.invoicebox_order_id})`
      )
    )
  }
  const kopecks = safeKopecks(invoice.amount)
  const currency = String(invoice.currencyId ?? "").toUpperCase()
  if (kopecks !== data.amount_kopecks || currency !== String(data.currency).toUpperCase()) {
    throw new Verdict(
      "order_wrong_amount",
      bilingual(
        `Сумма ${invoice.amount} ${invoice.currencyId} не совпадает с выставленной (${data.amount_kopecks / 100} ${data.currency})`,
        `Amount ${invoice.amount} ${invoice.currencyId} differs from the invoiced ${data.amount_kopecks / 100} ${data.currency}`
      )
    )
  }
}

/**
 * Captures (or authorizes, for `hold`) the session's payment. The plugin's default flow (an order
 * placed before payment, no Medusa payment yet) runs captureOrderInvoiceWorkflow, whose result is
 * the committed payment. Everything else goes through Medusa's processPaymentWorkflow, which also
 * completes a pay-first cart into an order. That workflow swallows a failed cart completion, so
 * the state is read back: the answer to Invoicebox must reflect what is really committed.
 */
async function settle(
  container: MedusaContainer,
  ctx: SessionContext,
  action: typeof PaymentActions.SUCCESSFUL | typeof PaymentActions.AUTHORIZED,
  deadline: number
): Promise<{ effect: InvoiceEffect; ctx: SessionContext }> {
  const wantCapture = action === PaymentActions.SUCCESSFUL
  const done = (c: SessionContext) => (wantCapture ? isCaptured(c.payment) : !!c.payment && !c.payment.canceled_at)
  const hadOrder = !!ctx.order

  if (done(ctx) && (ctx.order || !ctx.cartId)) {
    // A capture committed by an attempt that failed before booking it on the order.
    if (wantCapture && ctx.order && ctx.payment) await bookCapturesOnOrder(container, ctx.order.id, ctx.payment.id)
    return { effect: "none", ctx }
  }
  if (!wantCapture && isCaptured(ctx.payment)) return { effect: "none", ctx }

  if (wantCapture && ctx.order && !ctx.payment) {
    const { result: payment, errors } = await captureOrderInvoiceWorkflow(container).run({
      input: { session_id: ctx.session.id, order_id: ctx.order.id },
      throwOnError: false,
    })
    if (errors?.length) throw workflowError(errors, "captureOrderInvoiceWorkflow failed")
    if (!payment?.captured_at) {
      throw new Error(`the payment of session ${ctx.session.id} is not captured after the workflow (the provider does not see the invoice paid)`)
    }
    const captured = { id: payment.id, amount: Number(payment.amount), captured_at: payment.captured_at, canceled_at: payment.canceled_at }
    return { effect: "captured", ctx: { ...ctx, payment: captured } }
  }

  if (!done(ctx)) {
    const { errors } = await processPaymentWorkflow(container).run({
      input: { action, data: { session_id: ctx.session.id, amount: ctx.session.amount } },
      throwOnError: false,
    })
    if (errors?.length) throw workflowError(errors, "processPaymentWorkflow failed")
    checkBudget(deadline)
  }

  let after = await loadContext(container, ctx.session.id)
  if (!after || !done(after)) {
    throw new Error(`the payment of session ${ctx.session.id} is not ${wantCapture ? "captured" : "authorized"} after the workflow`)
  }
  if (after.cartId && !after.order) {
    // The workflow completes the cart but ignores a failure there; try once more, then report.
    const { errors } = await completeCartWorkflow(container).run({ input: { id: after.cartId }, throwOnError: false })
    after = await loadContext(container, ctx.session.id)
    if (!after?.order) {
      throw workflowError(errors, `cart ${ctx.cartId} was not completed into an order`)
    }
  }
  if (!hadOrder && after.order) return { effect: "order_created", ctx: after }
  return { effect: wantCapture ? "captured" : "authorized", ctx: after }
}

/**
 * Books the payment's captures on the order unless booked already, which keeps the order's paid
 * total equal to its payment. Repairs a capture left unbooked by a crash between the two commits.
 */
async function bookCapturesOnOrder(container: MedusaContainer, orderId: string, paymentId: string): Promise<void> {
  const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const [payment] = await payments.listPayments({ id: paymentId }, { select: ["id", "currency_code"], relations: ["captures"] })
  const transactions = payment ? captureTransactions(orderId, payment) : []
  if (!transactions.length) return
  const { errors } = await bookCapturesOnOrderWorkflow(container).run({ input: { transactions }, throwOnError: false })
  if (errors?.length) throw workflowError(errors, "bookCapturesOnOrderWorkflow failed")
}

/**
 * An expired or cancelled invoice: the awaiting payment is cancelled, and with the provider
 * option cancelOrderOnInvoiceExpiry (default) so is the order, which releases its reservations.
 */
async function cancel(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  ctx: SessionContext,
  invoice: InvoiceLike,
  logger: Logger
): Promise<{ effect: InvoiceEffect; message?: string }> {
  if (isCaptured(ctx.payment)) {
    const message = bilingual(
      `Счёт ${invoice.id} в состоянии «${invoice.status}», но платёж в Medusa уже зачислен; проверьте заказ`,
      `Invoice ${invoice.id} is ${invoice.status} but the Medusa payment is captured; check the order`
    )
    logger.warn(`Invoicebox: invoice ${invoice.id} is ${invoice.status} but session ${ctx.session.id} is captured; nothing changed`)
    return { effect: "none", message }
  }
  const payment = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
  let effect: InvoiceEffect = "none"

  if (ctx.session.status !== "canceled") {
    // Only the row: the module's updatePaymentSession would call the provider's updatePayment,
    // which edits the (already dead) invoice in Invoicebox.
    await updatePaymentSessionRow(container, {
      id: ctx.session.id,
      status: "canceled",
      data: withData(ctx.session.data, { invoice_status: invoice.status }),
    })
    effect = "payment_canceled"
  }

  const order = ctx.order
  if (!order || order.status === "canceled") return { effect }
  if (provider.options.cancelOrderOnInvoiceExpiry !== false) {
    const { errors } = await cancelOrderWorkflow(container).run({ input: { order_id: order.id }, throwOnError: false })
    const error = errors?.[0]?.error as (Error & { type?: string }) | undefined
    if (!error) return { effect: "order_canceled" }
    if (error.type === MedusaError.Types.NOT_ALLOWED) {
      // E.g. already fulfilled: the merchant decides; the invoice itself is dead either way.
      logger.warn(`Invoicebox: invoice ${invoice.id} is ${invoice.status}; order ${order.id} was not cancelled: ${error.message}`)
      return {
        effect,
        message: bilingual(
          `Заказ ${order.id} не отменён автоматически: ${error.message}`,
          `Order ${order.id} was not cancelled automatically: ${error.message}`
        ),
      }
    }
    throw error
  }
  const collection = await payment.retrievePaymentCollection(ctx.session.payment_collection_id, { select: ["id", "status"] })
  if (["not_paid", "awaiting"].includes(collection.status)) {
    await payment.updatePaymentCollections(collection.id, { status: "canceled" as never })
  }
  return { effect }
}

/** The payment module sets captured_at once the captures cover the payment (currency-rounded). */
function isCaptured(payment: SessionContext["payment"]): boolean {
  return !!payment?.captured_at
}

/**
 * The payment session named by merchantOrderId, with its payment and its order (or, before an
 * order exists, its cart). Kept to a few small queries: it runs twice for every new notification.
 */
async function loadContext(container: MedusaContainer, sessionId: string | undefined): Promise<SessionContext | undefined> {
  if (!sessionId || typeof sessionId !== "string") return undefined
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: sessions } = await query.graph({
    entity: "payment_session",
    fields: [
      "id",
      "provider_id",
      "status",
      "amount",
      "currency_code",
      "data",
      "payment_collection_id",
      "payment.id",
      "payment.amount",
      "payment.captured_at",
      "payment.canceled_at",
    ],
    filters: { id: sessionId },
  })
  const session = sessions[0] as any
  if (!session) return undefined
  const ctx: SessionContext = {
    session: {
      id: session.id,
      provider_id: session.provider_id,
      status: session.status,
      amount: Number(session.amount),
      currency_code: session.currency_code,
      data: (session.data ?? {}) as InvoiceboxPaymentData,
      payment_collection_id: session.payment_collection_id,
    },
    payment: session.payment ?? undefined,
  }
  // Cart completion links the order to the payment collection; order edits and claims do too.
  const { data: orderLinks } = await query.graph({
    entity: "order_payment_collection",
    fields: ["order_id", "order.id", "order.status"],
    filters: { payment_collection_id: session.payment_collection_id },
  })
  const linked = (orderLinks[0] as any)?.order
  if (linked?.id) {
    ctx.order = { id: linked.id, status: linked.status }
    return ctx
  }
  const { data: cartLinks } = await query.graph({
    entity: "cart_payment_collection",
    fields: ["cart_id"],
    filters: { payment_collection_id: session.payment_collection_id },
  })
  ctx.cartId = (cartLinks[0] as any)?.cart_id
  return ctx
}

/** Distinguishes "never ours" from "ours, but the session was discarded" for the merchant. */
async function notFoundMessage(container: MedusaContainer, invoice: InvoiceLike): Promise<string> {
  const id = invoice.merchantOrderId
  if (id && typeof id === "string") {
    try {
      const query = container.resolve(ContainerRegistrationKeys.QUERY)
      const { data } = await query.graph({
        entity: "payment_session",
        fields: ["id", "deleted_at"],
        filters: { id },
        withDeleted: true,
      })
      if (data[0]) {
        const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
        // The plugin cancels the invoice of every discarded session, so a cancellation notice
        // about one is expected; only money for a discarded session needs a person.
        if (invoice.status === "canceled" || invoice.status === "cancelled" || invoice.status === "expired") {
          logger.info(`Invoicebox: invoice ${invoice.id} (${invoice.status}) of discarded payment session ${id}; nothing to do`)
        } else {
          logger.error(
            `Invoicebox: invoice ${invoice.id} (${invoice.status}) belongs to payment session ${id}, which Medusa discarded; ` +
              "if it was paid, refund it in the Invoicebox cabinet or settle it manually"
          )
        }
        return bilingual(
          `Платёжная сессия ${id} удалена в магазине (корзина изменилась)`,
          `Payment session ${id} was discarded by the store (the cart changed)`
        )
      }
    } catch {
      // Only the message gets less precise.
    }
  }
  return bilingual(`Заказ ${id || "(пусто)"} не найден`, `Order ${id || "(empty)"} not found`)
}

/**
 * Takes the keys one after the other, always in the same order. The Redis locking provider takes
 * the keys of one execute() call in parallel, so two deliveries could each win one key and wait
 * for the other until both time out (seen with 50 deliveries over two instances).
 */
function lockInOrder<T>(locking: ILockingModule, keys: string[], job: () => Promise<T>, deadline: number): Promise<T> {
  const [first, ...rest] = keys
  if (!first) return job()
  return locking.execute(first, () => lockInOrder(locking, rest, job, deadline), {
    timeout: Math.max(1, Math.floor((deadline - Date.now()) / 1000)),
  })
}

function checkBudget(deadline: number): void {
  if (Date.now() > deadline) throw new BudgetExceededError("processing budget exceeded")
}

/**
 * Stops waiting at the deadline. The work itself goes on: it is idempotent and commits atomically
 * (workflows compensate), so a late success is found by the redelivery and answered `success`.
 */
function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceededError("processing budget exceeded")), Math.max(0, deadline - Date.now()))
    timer.unref?.()
  })
  work.catch(() => undefined)
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message
  const message = (e as { message?: unknown } | null)?.message
  return typeof message === "string" ? message : String(e)
}

/** A failed step's error can come back as a plain { message, name, stack } object: make it an Error. */
function workflowError(errors: Array<{ error?: unknown }> | undefined, fallback: string): Error {
  const error = errors?.[0]?.error
  if (error instanceof Error) return error
  return new Error(error === undefined ? fallback : errorText(error))
}
