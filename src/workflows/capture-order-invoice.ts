import { PaymentEvents } from "@medusajs/framework/utils"
import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { addOrderTransactionStep, authorizePaymentSessionStep, emitEventStep } from "@medusajs/medusa/core-flows"
import type { CreateOrderTransactionDTO, PaymentDTO } from "@medusajs/framework/types"
import { SETTLEMENT_CONTEXT } from "../providers/invoicebox/service"

export const captureOrderInvoiceWorkflowId = "invoicebox-capture-order-invoice"

export interface CaptureOrderInvoiceInput {
  /** The Invoicebox payment session whose invoice is paid. */
  session_id: string
  /** The order placed from the session's cart (payment still `awaiting`). */
  order_id: string
}

/**
 * The paid invoice of an order that was placed before payment, which is the plugin's default flow.
 * The outcome matches processPaymentWorkflow's "autocapture" branch. When the provider reports
 * the invoice paid, the payment module authorizes and captures in one transaction. Then the
 * capture is booked as the order's transaction, and `payment.captured` is emitted, as
 * capturePaymentWorkflow does.
 *
 * Why not processPaymentWorkflow itself: for this case it queries again what the caller already
 * knows, takes the cart lock of a cart that is completed already, and then runs
 * capturePaymentWorkflow on a payment that is already captured. That is about half the SQL of a
 * paid notification and most of its CPU time. Pay-first carts (no order yet) and `hold` still use
 * processPaymentWorkflow.
 */
export const captureOrderInvoiceWorkflow = createWorkflow(captureOrderInvoiceWorkflowId, (input: CaptureOrderInvoiceInput) => {
  // null when the provider does not (yet) see the invoice paid; the caller reads that as "not captured".
  const payment = authorizePaymentSessionStep({ id: input.session_id, context: { [SETTLEMENT_CONTEXT]: true } })
  when({ payment }, ({ payment }) => !!payment?.captures?.length).then(() => {
    const transactions = transform({ input, payment }, ({ input, payment }) => captureTransactions(input.order_id, payment!))
    addOrderTransactionStep(transactions)
    const event = transform({ payment }, ({ payment }) => ({ id: payment!.id }))
    emitEventStep({ eventName: PaymentEvents.CAPTURED, data: event })
  })
  return new WorkflowResponse(payment)
})

/** The order transactions that book a payment's captures, as capturePaymentWorkflow makes them. */
export function captureTransactions(orderId: string, payment: Pick<PaymentDTO, "currency_code" | "captures">): CreateOrderTransactionDTO[] {
  return (payment.captures ?? []).map((capture) => ({
    order_id: orderId,
    amount: ((capture as { raw_amount?: unknown }).raw_amount ?? capture.amount) as CreateOrderTransactionDTO["amount"],
    currency_code: payment.currency_code,
    reference: "capture",
    reference_id: capture.id,
  }))
}

export const bookCapturesOnOrderWorkflowId = "invoicebox-book-captures-on-order"

/**
 * Books a payment's captures on its order, each at most once: addOrderTransactionStep skips a
 * capture that is booked already. This repairs a crash between captureOrderInvoiceWorkflow's
 * capture and its booking.
 */
export const bookCapturesOnOrderWorkflow = createWorkflow(
  bookCapturesOnOrderWorkflowId,
  (input: { transactions: CreateOrderTransactionDTO[] }) => {
    addOrderTransactionStep(input.transactions)
    return new WorkflowResponse(undefined)
  }
)
