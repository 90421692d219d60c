import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { resendPaymentLink } from "../../../../../../lib/invoice-admin"
import { adminActor, sendAdminError } from "../../../admin-errors"
import { buildOrderView } from "../../../order-view"

/**
 * POST /admin/invoicebox/orders/:id/send-payment-link { email? } — «Отправить ссылку на оплату»:
 * sends the unpaid invoice's payment link to the buyer (the order's e-mail unless the admin gives
 * another) through Medusa's notification module; recorded in the widget's timeline.
 */
export async function POST(req: AuthenticatedMedusaRequest<{ email?: unknown }>, res: MedusaResponse): Promise<void> {
  const email = (req.body as { email?: unknown } | undefined)?.email
  try {
    const result = await resendPaymentLink(req.scope, req.params.id, { email: typeof email === "string" && email.trim() ? email : undefined }, adminActor(req))
    const view = await buildOrderView(req.scope, req.params.id, { live: true })
    res.json({ result, view })
  } catch (e) {
    sendAdminError(req, res, e, "send the payment link")
  }
}
