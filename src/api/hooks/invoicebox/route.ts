import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger } from "@medusajs/framework/types"
import { verifySignature } from "../../../core"
import {
  PROCESSING_BUDGET_MS,
  bilingual,
  listInvoiceboxProviders,
  readRawBody,
  replyFor,
  resolveInvoiceboxProvider,
  settleOrderNotification,
  sha256,
  type InvoiceboxReply,
} from "../../../lib"
import type InvoiceboxProviderService from "../../../providers/invoicebox/service"

/** A real notification is a few kilobytes; even a 500-line basket stays far below this. */
export const NOTIFICATION_BODY_LIMIT = 256 * 1024

export { MONITORING_NOTIFICATION_ID } from "../../../lib"

/**
 * Invoicebox order notifications. Invoicebox needs a synchronous verdict (HTTP 200 + JSON) within
 * 20 s, which Medusa's generic /hooks/payment route cannot give, so this route verifies, applies
 * and answers inline. What follows the signature check is shared with the WebSocket gate
 * (settleOrderNotification). Whatever happens, the reply is HTTP 200 with a JSON verdict: a non-JSON or
 * non-200 answer would count as a failed delivery without telling anyone why.
 */
export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  return answerNotification(req, res)
}

/**
 * Both routes answer through here: `/hooks/invoicebox/<provider id>` names the shop whose key
 * signs the notification; the bare `/hooks/invoicebox` serves a store with one Invoicebox shop
 * (or several with distinct merchantIds: the body's merchantId picks the shop, whose key must
 * then verify the signature).
 */
export async function answerNotification(req: MedusaRequest, res: MedusaResponse, providerId?: string): Promise<void> {
  const receivedAt = new Date()
  const deadline = receivedAt.getTime() + PROCESSING_BUDGET_MS
  let reply: InvoiceboxReply
  try {
    reply = await handle(req, receivedAt, deadline, providerId)
  } catch (e) {
    logger(req).error(`Invoicebox notification: unexpected failure → out_of_service: ${(e as Error)?.message ?? e}`)
    reply = replyFor(
      "out_of_service",
      bilingual("Временная ошибка магазина, повторите уведомление", "Temporary shop-side failure, please retry")
    )
  }
  if (!res.headersSent) res.status(200).json(reply)
}

async function handle(req: MedusaRequest, receivedAt: Date, deadline: number, providerId?: string): Promise<InvoiceboxReply> {
  const log = logger(req)
  const raw = await rawBodyOf(req)
  if (raw.aborted) {
    return replyFor("out_of_service", bilingual("Запрос оборван", "The request was cut short"))
  }
  if (raw.tooLarge) {
    log.error(`Invoicebox notification: body larger than ${NOTIFICATION_BODY_LIMIT} bytes → out_of_service`)
    return replyFor(
      "out_of_service",
      bilingual(
        `Тело уведомления больше ${NOTIFICATION_BODY_LIMIT / 1024} КБ`,
        `The notification body exceeds ${NOTIFICATION_BODY_LIMIT / 1024} KB`
      )
    )
  }

  const provider = providerFor(req, raw.body, providerId)
  if (!provider) {
    log.warn(`Invoicebox notification: no Invoicebox shop of this store matches it → order_not_found`)
    return replyFor("order_not_found", bilingual("Магазин Инвойсбокс не найден в этом магазине", "No Invoicebox shop of this store matches the notification"))
  }
  const { notificationKey, signatureAlgorithm } = provider.options
  const signature = headerValue(req.headers, "x-signature")
  if (!verifySignature(raw.body, signature, notificationKey, signatureAlgorithm)) {
    log.warn(
      `Invoicebox notification: ${signature ? "wrong" : "missing"} X-Signature (${raw.body.length} bytes) → signature_error`
    )
    return replyFor("signature_error", bilingual("Неверная подпись уведомления", "Invalid notification signature"))
  }

  let body: unknown
  try {
    body = JSON.parse(raw.body.toString("utf8"))
  } catch {
    body = undefined
  }
  return settleOrderNotification(req.scope, provider, {
    body,
    channel: "http",
    bodySha256: sha256(raw.body),
    receivedAt,
    deadline,
  })
}

function providerFor(req: MedusaRequest, body: Buffer, providerId?: string): InvoiceboxProviderService | undefined {
  if (providerId) {
    try {
      return resolveInvoiceboxProvider(req.scope, providerId)
    } catch {
      return undefined
    }
  }
  const all = listInvoiceboxProviders(req.scope)
  if (all.length <= 1) return all[0]
  let merchantId = ""
  try {
    merchantId = String(JSON.parse(body.toString("utf8"))?.merchantId ?? "").toLowerCase()
  } catch {
    return undefined
  }
  const matching = all.filter((p) => p.options.merchantId.toLowerCase() === merchantId)
  return matching.length === 1 ? matching[0] : undefined
}

async function rawBodyOf(req: MedusaRequest) {
  // Should the middleware config ever turn the body parser back on, its preserved bytes are the truth.
  const preserved = (req as MedusaRequest & { rawBody?: unknown }).rawBody
  if (Buffer.isBuffer(preserved)) return { body: preserved, tooLarge: false, aborted: false }
  return readRawBody(req, NOTIFICATION_BODY_LIMIT)
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : headers[key]
  return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value)
}

function logger(req: MedusaRequest): Logger {
  return req.scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
}
