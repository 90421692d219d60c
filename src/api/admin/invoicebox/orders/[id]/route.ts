import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { buildOrderView } from "../../order-view"

/**
 * GET /admin/invoicebox/orders/:id — everything the order widget shows: the invoice (read from
 * Invoicebox now, falling back to what the store recorded), payer, refunds, shipments / closing
 * documents and the notification timeline from the ledger.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const view = await buildOrderView(req.scope, req.params.id, { live: req.query.live !== "false" })
  if (!view) {
    res.status(404).json({ type: "not_found", message: `Заказ ${req.params.id} не найден / Order ${req.params.id} was not found` })
    return
  }
  res.json(view)
}
