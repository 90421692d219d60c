import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { extendInvoiceTerm } from "../../../../../../lib/invoice-admin"
import { buildOrderView } from "../../../order-view"
import { adminActor, sendAdminError } from "../../../admin-errors"

/**
 * POST /admin/invoicebox/orders/:id/extend-term { expires_at } — «Продлить срок оплаты»: moves the
 * unpaid invoice's expirationDate (PUT, docs merchant/order/update.md) to a later moment within 30
 * days from now; recorded in the widget's timeline.
 */
export async function POST(req: AuthenticatedMedusaRequest<{ expires_at?: unknown }>, res: MedusaResponse): Promise<void> {
  const raw = (req.body as { expires_at?: unknown } | undefined)?.expires_at
  try {
    const result = await extendInvoiceTerm(req.scope, req.params.id, new Date(typeof raw === "string" ? raw : NaN), adminActor(req))
    const view = await buildOrderView(req.scope, req.params.id, { live: true })
    res.json({ result, view })
  } catch (e) {
    sendAdminError(req, res, e, "extend the invoice term")
  }
}
