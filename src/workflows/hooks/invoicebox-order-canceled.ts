import { cancelOrderWorkflow } from "@medusajs/medusa/core-flows"
import { MedusaError } from "@medusajs/framework/utils"
import { resolveInvoiceboxProvider } from "../../lib/invoicebox-provider"
import { loadOrderInvoices } from "../../lib/order-invoices"

/**
 * An order placed before payment has no Medusa payment yet (payment `awaiting`), so Medusa's
 * cancellation never reaches the provider: cancel its open invoices here (a held one too: DELETE
 * reverses the hold). An invoice paid in the meantime fails the cancellation (Medusa compensates
 * it) with a message for the admin.
 */
cancelOrderWorkflow.hooks.orderCanceled(async ({ order }, { container }) => {
  const found = await loadOrderInvoices(container, order.id)
  const open = (found?.invoices ?? []).filter((i) => !i.paymentId && ["pending", "pending_authorization", "requires_more"].includes(i.sessionStatus))
  for (const inv of open) {
    const provider = resolveInvoiceboxProvider(container, inv.providerId)
    const invoice = await provider.fetchOrder(inv.data)
    if (invoice.status === "created" || invoice.status === "draft" || invoice.status === "hold") {
      await provider.call("cancel the invoice", () => provider.client.cancelOrder(invoice.id))
    } else if (invoice.status === "completed") {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `Счёт Инвойсбокс ${invoice.id} уже оплачен — заказ не отменён. Нажмите «Проверить статус», затем оформите возврат. / ` +
          `Invoicebox invoice ${invoice.id} has already been paid — the order was not cancelled. Use "Check status", then refund it.`
      )
    }
  }
})
