import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger } from "@medusajs/framework/types"
import { applyInvoiceState, resolveInvoiceboxProvider, sha256 } from "../../../lib"
import { loadOrderInvoices } from "../../../lib/order-invoices"
import { bilingual } from "../../../providers/invoicebox/messages"

const AWAITING = new Set(["pending", "pending_authorization", "requires_more"])

/**
 * Runs before Medusa's POST /admin/orders/:id/cancel. An order placed before payment has no
 * Medusa payment, so Medusa would cancel it even if the buyer has just paid the invoice. Here the
 * open invoices are re-read: a paid one is settled in Medusa at once (the order becomes paid)
 * and the cancellation is refused with a message saying what to do instead. A held one (funds
 * reserved, not debited) is recorded as authorized and the cancellation goes on: Medusa then
 * cancels that payment, which releases the hold in Invoicebox. If Invoicebox cannot be asked,
 * the cancellation goes on: the orderCanceled hook checks again before cancelling.
 */
export async function invoiceboxCancelGuard(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction) {
  const orderId = (req.params as Record<string, string>).id
  try {
    const found = await loadOrderInvoices(req.scope, orderId)
    const open = (found?.invoices ?? []).filter((i) => !i.paymentId && AWAITING.has(i.sessionStatus))
    for (const inv of open) {
      const provider = resolveInvoiceboxProvider(req.scope, inv.providerId)
      const invoice = await provider.client.getOrder(inv.data.invoicebox_order_id)
      if (!invoice || (invoice.status !== "completed" && invoice.status !== "hold")) continue
      await applyInvoiceState(req.scope, { provider, invoice, source: "admin", fromApi: true, bodySha256: sha256(JSON.stringify(invoice)) })
      if (invoice.status === "hold") continue
      return res.status(409).json({
        type: "not_allowed",
        message: bilingual(
          `Счёт Инвойсбокс ${invoice.id} уже оплачен — заказ не отменён, оплата зачислена. Чтобы вернуть деньги, оформите возврат.`,
          `Invoicebox invoice ${invoice.id} has already been paid — the order was not cancelled and the payment is now recorded. Refund it to return the money.`
        ),
      })
    }
  } catch (e) {
    req.scope
      .resolve<Logger>(ContainerRegistrationKeys.LOGGER)
      .warn(`Invoicebox: could not check the invoices of order ${orderId} before cancelling: ${(e as Error).message}`)
  }
  return next()
}
