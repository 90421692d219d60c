import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { bilingual } from "../../../providers/invoicebox/messages"

function hasNul(value: unknown, depth = 0): boolean {
  if (depth > 20) return false
  if (typeof value === "string") return value.includes("\u0000")
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1))
  if (value && typeof value === "object") return Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v, depth + 1))
  return false
}

/**
 * Medusa stores the session `data` as jsonb before our provider sees it, and PostgreSQL refuses a
 * NUL character there: the buyer would get a bare 500. Refuse it up front with a clear 400.
 */
export function rejectNulInPaymentData(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction) {
  if (hasNul(req.body)) {
    return res.status(400).json({
      type: "invalid_data",
      message: bilingual("Данные платежа содержат недопустимый символ NUL", "The payment data contains a forbidden NUL character"),
    })
  }
  return next()
}
