import { model } from "@medusajs/framework/utils"

/**
 * What the background jobs need to know about each invoice without reading every payment ever:
 * when it was last re-read (the reconciliation takes the least recently checked first), when it
 * was paid and how much of it was refunded (the refund sync looks only at recent, not fully
 * refunded payments).
 */
export const InvoiceboxInvoice = model
  .define("invoicebox_invoice", {
    id: model.id({ prefix: "ibxinv" }).primaryKey(),
    provider_id: model.text(),
    invoicebox_order_id: model.text(),
    payment_session_id: model.text(),
    /** The last status the store saw. */
    status: model.text(),
    amount_kopecks: model.bigNumber(),
    currency: model.text(),
    last_checked_at: model.dateTime().nullable(),
    paid_at: model.dateTime().nullable(),
    refunded_kopecks: model.bigNumber().default(0),
    refunds_checked_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["invoicebox_order_id"], unique: true },
    { on: ["payment_session_id"] },
    { on: ["provider_id", "status", "last_checked_at"] },
    { on: ["provider_id", "paid_at"] },
  ])
