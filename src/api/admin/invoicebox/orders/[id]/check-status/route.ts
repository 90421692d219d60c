import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { applyInvoiceState, resolveInvoiceboxProvider } from "../../../../../../lib"
import { buildOrderView, loadOrderForView } from "../../../order-view"

export interface CheckStatusResult {
  invoicebox_order_id: string
  status: string | null
  verdict: string
  effect: string
  message: string | null
}

/**
 * POST /admin/invoicebox/orders/:id/check-status — «Проверить статус»: reads each invoice of the
 * order from Invoicebox now and applies what it says through the same code path as a notification
 * (so a lost notification is repaired exactly as a delivered one would have been).
 */
export async function POST(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const logger = req.scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const loaded = await loadOrderForView(req.scope, req.params.id)
  if (!loaded) {
    res.status(404).json({ type: "not_found", message: `Заказ ${req.params.id} не найден / Order ${req.params.id} was not found` })
    return
  }
  if (!loaded.sessions.length) {
    res.status(400).json({
      type: "not_allowed",
      message: "Заказ оплачивается не через Инвойсбокс / The order is not paid through Invoicebox",
    })
    return
  }

  const results: CheckStatusResult[] = []
  for (const session of loaded.sessions) {
    const provider = resolveInvoiceboxProvider(req.scope, session.providerId)
    const client = provider.client
    const invoiceId = session.data.invoicebox_order_id
    let invoice
    try {
      invoice = await client.getOrder(invoiceId)
    } catch (e) {
      logger.warn(`Invoicebox check-status: could not read invoice ${invoiceId}: ${(e as Error).message}`)
      res.status(502).json({
        type: "unexpected_state",
        message:
          `Инвойсбокс сейчас недоступен, статус не проверен; повторите через минуту (${(e as Error).message}) / ` +
          `Invoicebox is unavailable, the status was not checked; retry in a minute (${(e as Error).message})`,
      })
      return
    }
    if (!invoice) {
      results.push({
        invoicebox_order_id: invoiceId,
        status: null,
        verdict: "order_not_found",
        effect: "none",
        message: "Счёт не найден в Инвойсбокс / The invoice was not found in Invoicebox",
      })
      continue
    }
    const applied = await applyInvoiceState(req.scope, { provider, invoice, source: "admin", fromApi: true })
    results.push({
      invoicebox_order_id: invoiceId,
      status: applied.appliedStatus ?? invoice.status,
      verdict: applied.verdict,
      effect: applied.effect,
      message: applied.message ?? null,
    })
  }

  const view = await buildOrderView(req.scope, req.params.id, { live: true })
  res.json({ results, view })
}
