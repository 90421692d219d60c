import { model } from "@medusajs/framework/utils"

/**
 * The notification ledger: one row per (Invoicebox order id, status) the store has seen, from a
 * notification, the reconciliation job or the admin's "check status". The unique dedupe key is
 * what turns a redelivery into a no-op across restarts and server instances; the row is marked
 * `success` only after the Medusa side effect is committed, so a crash in between is retried.
 */
export const InvoiceboxNotification = model
  .define("invoicebox_notification", {
    id: model.id({ prefix: "ibxntf" }).primaryKey(),
    /** `<invoicebox order id>:<status>` */
    dedupe_key: model.text(),
    invoicebox_order_id: model.text(),
    /** As Invoicebox sent it; empty for the monitoring test. */
    merchant_order_id: model.text(),
    status: model.text(),
    /** The Invoicebox provider (shop) the notification was addressed to; null on rows before 0.2. */
    provider_id: model.text().nullable(),
    source: model.enum(["notification", "reconciliation", "admin"]),
    /** Null when the merchantOrderId matched no payment session of ours. */
    payment_session_id: model.text().nullable(),
    order_id: model.text().nullable(),
    /** Hex SHA-256 of the raw notification body (or of the invoice JSON read from the API). */
    body_sha256: model.text(),
    /** `processing` while the effect is being applied, then the reply sent to Invoicebox. */
    verdict: model.text(),
    message: model.text().nullable(),
    received_at: model.dateTime(),
    processed_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["dedupe_key"], unique: true },
    { on: ["invoicebox_order_id"] },
    { on: ["payment_session_id"] },
  ])
