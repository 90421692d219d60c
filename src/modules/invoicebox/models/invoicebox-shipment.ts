import { model } from "@medusajs/framework/utils"

/**
 * One row per shipped Medusa fulfillment of an Invoicebox-paid (or to be paid) order: the
 * Invoicebox shipment is what makes Invoicebox issue the акт / УПД. B2B ships before it is paid,
 * so a shipment of an unpaid order waits here (`waiting_payment`) and is registered by the
 * settlement that captures the payment; a failed registration is retried by the job.
 */
export const InvoiceboxShipment = model
  .define("invoicebox_shipment", {
    id: model.id({ prefix: "ibxshp" }).primaryKey(),
    provider_id: model.text(),
    order_id: model.text(),
    fulfillment_id: model.text(),
    invoicebox_order_id: model.text().nullable(),
    /** documentNumber sent to Invoicebox (derived from the fulfillment, so a retry finds it). */
    document_number: model.text(),
    invoicebox_shipment_id: model.text().nullable(),
    /** waiting_payment | registered | failed | skipped */
    status: model.text(),
    amount_kopecks: model.bigNumber().nullable(),
    error: model.text().nullable(),
    attempts: model.number().default(0),
    shipped_at: model.dateTime().nullable(),
    registered_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["fulfillment_id"], unique: true },
    { on: ["order_id"] },
    { on: ["status"] },
  ])
