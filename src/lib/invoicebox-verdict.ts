/**
 * What the notification route answers (reference §6.4). Invoicebox retries only
 * `out_of_service`; every other error code is final for that notification.
 */
export type InvoiceboxErrorCode =
  | "signature_error"
  | "order_not_found"
  | "order_wrong_amount"
  | "order_already_paid"
  | "out_of_service"
  /**
   * The paid cart can no longer be delivered (docs merchant/notification/shipping-unavailable.md:48-54):
   * the payment page tells the buyer at once; the store then reverses or refunds the payment itself.
   */
  | "shipping_unavailable"

export type InvoiceboxVerdict = "success" | InvoiceboxErrorCode

export type InvoiceboxReply =
  | { status: "success" }
  | { status: "error"; code: InvoiceboxErrorCode; message: string }

/** Invoicebox shows the message in the merchant's cabinet and caps it at 500 characters. */
const MESSAGE_LIMIT = 500

export function replyFor(verdict: InvoiceboxVerdict, message?: string): InvoiceboxReply {
  if (verdict === "success") return { status: "success" }
  return { status: "error", code: verdict, message: (message ?? verdict).slice(0, MESSAGE_LIMIT) }
}

// Merchants read verdict messages in the Invoicebox cabinet: the same Russian-then-English form
// as every other message of the plugin.
export { bilingual } from "../providers/invoicebox/messages"
