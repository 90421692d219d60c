import { InvoiceboxUnknownStatusError } from "./errors"

/** Order statuses from the docs, the Bitrix module and the MCP client, plus two seen in the wild. */
export const INVOICEBOX_ORDER_STATUSES = [
  "draft",
  "created",
  "processing",
  "hold",
  "completed",
  "expired",
  "canceled",
  "processing-error",
  "success",
  "cancelled",
] as const
export type InvoiceboxOrderStatus = (typeof INVOICEBOX_ORDER_STATUSES)[number]

export const INVOICEBOX_REFUND_STATUSES = ["draft", "created", "completed", "canceled"] as const
export type InvoiceboxRefundStatus = (typeof INVOICEBOX_REFUND_STATUSES)[number]

export const INVOICEBOX_SHIPMENT_STATUSES = ["draft", "pending", "completed", "canceled"] as const
export type InvoiceboxShipmentStatus = (typeof INVOICEBOX_SHIPMENT_STATUSES)[number]

/** Medusa's `PaymentSessionStatus` values (kept as strings: the core does not import Medusa). */
export type MedusaPaymentSessionStatus =
  | "authorized"
  | "captured"
  | "pending"
  | "requires_more"
  | "error"
  | "canceled"
  | "pending_authorization"

const ORDER_STATUS_MAP = {
  draft: "pending",
  created: "pending",
  processing: "pending",
  hold: "authorized",
  completed: "captured",
  expired: "canceled",
  canceled: "canceled",
  cancelled: "canceled",
  "processing-error": "error",
  // Only the SDK's notification example uses it; it is not proof of payment, so the caller must
  // re-read the order (isAmbiguousStatus) and until then the session stays pending.
  success: "pending",
} as const satisfies Record<InvoiceboxOrderStatus, MedusaPaymentSessionStatus>

function has(map: object, key: unknown): boolean {
  return typeof key === "string" && Object.prototype.hasOwnProperty.call(map, key)
}

function unknownStatus(kind: string, status: unknown): InvoiceboxUnknownStatusError {
  const shown = JSON.stringify(typeof status === "string" ? status.slice(0, 50) : String(status).slice(0, 50))
  return new InvoiceboxUnknownStatusError(
    `Неизвестный статус Инвойсбокса (${kind}) ${shown} / Unknown Invoicebox ${kind} status ${shown}`,
    { code: "unknown_status" }
  )
}

export function isKnownOrderStatus(status: unknown): status is InvoiceboxOrderStatus {
  return has(ORDER_STATUS_MAP, status)
}

/** Validates an order status; throws `InvoiceboxUnknownStatusError` for anything unlisted. */
export function parseOrderStatus(status: unknown): InvoiceboxOrderStatus {
  if (!isKnownOrderStatus(status)) throw unknownStatus("order", status)
  return status
}

/**
 * Invoicebox order status -> Medusa payment session status. An unknown status throws instead of
 * defaulting to "pending", so a new Invoicebox state is noticed rather than silently ignored.
 */
export function mapOrderStatus(status: string): MedusaPaymentSessionStatus {
  return ORDER_STATUS_MAP[parseOrderStatus(status)]
}

/** The status does not tell what happened: read the order again before acting on it. */
export function isAmbiguousStatus(status: string): boolean {
  return status === "success"
}

/** Money has arrived (the only status that may mark a Medusa payment captured). */
export function isPaidStatus(status: string): boolean {
  return parseOrderStatus(status) === "completed"
}

/** Funds are reserved but not yet taken (guarantee instruments, pre-authorisation). */
export function isHeldStatus(status: string): boolean {
  return parseOrderStatus(status) === "hold"
}

/** Nothing can happen to the order any more, apart from refunds of a completed one. */
export function isFinalStatus(status: string): boolean {
  const s = parseOrderStatus(status)
  return s === "completed" || s === "expired" || s === "canceled" || s === "cancelled"
}

/** Validates a refund status (draft, created, completed, canceled). */
export function mapRefundStatus(status: string): InvoiceboxRefundStatus {
  if (!(INVOICEBOX_REFUND_STATUSES as readonly string[]).includes(status)) throw unknownStatus("refund", status)
  return status as InvoiceboxRefundStatus
}

/** Validates a shipment status (draft, pending, completed, canceled). */
export function mapShipmentStatus(status: string): InvoiceboxShipmentStatus {
  if (!(INVOICEBOX_SHIPMENT_STATUSES as readonly string[]).includes(status)) throw unknownStatus("shipment", status)
  return status as InvoiceboxShipmentStatus
}
