import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { answerNotification } from "../route"

/**
 * `POST /hooks/invoicebox/<provider>`: notifications of one Invoicebox shop, for stores that
 * register several (`invoicebox` or `pp_invoicebox_invoicebox` both name the provider with id
 * `invoicebox`). Only that shop's key verifies them.
 */
export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  return answerNotification(req, res, (req.params as Record<string, string>).provider)
}
