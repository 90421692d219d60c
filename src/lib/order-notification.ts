import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { applyInvoiceState } from "./apply-invoice-state"
import { bilingual, replyFor, type InvoiceboxReply } from "./invoicebox-verdict"

/** Invoicebox's monitoring probe (reference §6.6): about no order. */
export const MONITORING_NOTIFICATION_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"

/** How the notification reached the store; only the log lines differ. */
export type NotificationChannel = "http" | "websocket"

export interface OrderNotificationInput {
  /** The parsed OrderNotification (the HTTP body, or the first JSON-RPC param of onOrderStatusChange). */
  body: unknown
  channel: NotificationChannel
  /** SHA-256 of the bytes received, for the ledger. */
  bodySha256: string
  receivedAt: Date
  /** Epoch ms by which the verdict must be known. */
  deadline: number
}

/**
 * What both transports do with an OrderNotification once it is authentic (the HTTP route checked
 * its signature; a gate call came over the connection the store opened with its token): the
 * merchant check, the monitoring probe, the fields an order needs, then the one settlement path.
 * Both transports deliver the same status change to the same ledger key (invoice id + status),
 * so a change that arrives by both settles once and both get `success`. Never throws: a failure
 * inside is `out_of_service`, which makes Invoicebox deliver again.
 */
export async function settleOrderNotification(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  input: OrderNotificationInput
): Promise<InvoiceboxReply> {
  const log = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const prefix = input.channel === "http" ? "Invoicebox notification" : "Invoicebox notification (websocket)"
  try {
    const body = input.body as Record<string, unknown> | null
    if (!body || typeof body !== "object" || Array.isArray(body) || typeof body.id !== "string") {
      log.warn(`${prefix}: not an order → order_not_found`)
      return replyFor("order_not_found", bilingual("Уведомление не содержит заказ", "The notification does not describe an order"))
    }
    const invoiceId = body.id
    const status = typeof body.status === "string" ? body.status : ""
    const merchantId = String(provider.options.merchantId)
    if (String(body.merchantId ?? "").toLowerCase() !== merchantId.toLowerCase()) {
      log.warn(`${prefix}: invoice ${invoiceId} is for merchant ${String(body.merchantId)} → order_not_found`)
      return replyFor(
        "order_not_found",
        bilingual(
          `merchantId ${String(body.merchantId)} не принадлежит этому магазину`,
          `merchantId ${String(body.merchantId)} is not this shop's`
        )
      )
    }
    if (invoiceId === MONITORING_NOTIFICATION_ID && !body.merchantOrderId) {
      log.info(`${prefix}: monitoring probe ${invoiceId} → success`)
      return replyFor("success")
    }
    if (!status || typeof body.merchantOrderId !== "string") {
      log.warn(`${prefix}: invoice ${invoiceId} without status or merchantOrderId → order_not_found`)
      return replyFor("order_not_found", bilingual("В уведомлении нет статуса или номера заказа", "The notification lacks status or merchantOrderId"))
    }
    const result = await applyInvoiceState(container, {
      provider,
      invoice: body as never,
      source: "notification",
      bodySha256: input.bodySha256,
      receivedAt: input.receivedAt,
      deadline: input.deadline,
    })
    return replyFor(result.verdict, result.message)
  } catch (e) {
    log.error(`${prefix}: unexpected failure → out_of_service: ${(e as Error)?.message ?? e}`)
    return replyFor("out_of_service", bilingual("Временная ошибка магазина, повторите уведомление", "Temporary shop-side failure, please retry"))
  }
}
