import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Logger } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { InvoiceAdminError } from "../../../lib/invoice-admin"

/** Who did it, for the timeline: the admin user's id (never a token). */
export function adminActor(req: AuthenticatedMedusaRequest): string | undefined {
  const id = req.auth_context?.actor_id
  return id ? `admin ${id}` : undefined
}

/** A refusal keeps its status and bilingual message; an Invoicebox refusal is a 400 the admin can read; the rest is a 502. */
export function sendAdminError(req: AuthenticatedMedusaRequest, res: MedusaResponse, e: unknown, what: string): void {
  if (e instanceof InvoiceAdminError) {
    res.status(e.status).json({ type: e.type, message: e.message })
    return
  }
  const error = e as MedusaError & { type?: string }
  if (error?.type === MedusaError.Types.INVALID_DATA || error?.type === MedusaError.Types.NOT_ALLOWED) {
    res.status(400).json({ type: error.type, message: error.message })
    return
  }
  req.scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER).error(`Invoicebox admin: could not ${what}: ${error?.message ?? e}`)
  res.status(502).json({ type: "unexpected_state", message: `Не удалось выполнить действие / The action failed: ${error?.message ?? e}` })
}
