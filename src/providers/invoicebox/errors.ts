import { MedusaError } from "@medusajs/framework/utils"
import type { Logger } from "@medusajs/framework/types"
import { InvoiceboxAuthError, InvoiceboxError, InvoiceboxValidationError } from "../../core"
import { bilingual } from "./messages"

/**
 * Turns the client's typed errors into Medusa errors with a message for people (the admin or
 * the shopper reads it), keeping Invoicebox's request id for support.
 */
export function toMedusaError(logger: Pick<Logger, "warn">, what: string, e: unknown): Error {
  if (e instanceof MedusaError) return e
  if (!(e instanceof InvoiceboxError)) return e as Error
  const ref = e.requestId ? ` (X-Request-Id ${e.requestId})` : ""
  logger.warn(`Invoicebox: could not ${what}: ${e.message}`)
  if (e instanceof InvoiceboxValidationError) {
    const fields = e.fields.map((f) => `${f.name}: ${f.code}`).join(", ")
    const detail = `${e.code}${fields ? `; ${fields}` : ""}`
    return new MedusaError(
      MedusaError.Types.INVALID_DATA,
      bilingual(`Инвойсбокс отклонил запрос (${detail})${ref}`, `Invoicebox rejected the request (${detail})${ref}`)
    )
  }
  if (e instanceof InvoiceboxAuthError) {
    return new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      bilingual(
        `Инвойсбокс не принял учётные данные магазина (merchantId / apiToken)${ref}`,
        `Invoicebox rejected the shop credentials (merchantId / apiToken)${ref}`
      )
    )
  }
  return new MedusaError(
    MedusaError.Types.UNEXPECTED_STATE,
    bilingual(
      `Инвойсбокс временно недоступен, повторите попытку через минуту${ref}`,
      `Invoicebox is temporarily unavailable, please retry in a minute${ref}`
    )
  )
}

/** Runs a client call; its typed errors become Medusa errors (see toMedusaError). */
export async function callInvoicebox<T>(logger: Pick<Logger, "warn">, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw toMedusaError(logger, what, e)
  }
}
