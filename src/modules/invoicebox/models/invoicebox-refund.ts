import { model } from "@medusajs/framework/utils"

/**
 * One row per Invoicebox refund of an invoice, whoever made it: a refund from the Medusa admin
 * (written before Invoicebox is called, keyed by the Medusa refund id) or one made in the
 * Invoicebox cabinet and booked in Medusa by the refund sync. Several writers touch refunds
 * (admin refunds, the sync, returns), so each refund is its own row with unique keys instead of
 * an entry in `payment.data`, where a concurrent write could drop it and the storefront could
 * forge one.
 */
export const InvoiceboxRefund = model
  .define("invoicebox_refund", {
    id: model.id({ prefix: "ibxrfd" }).primaryKey(),
    provider_id: model.text(),
    /** The Medusa payment refunded. */
    payment_id: model.text(),
    invoicebox_order_id: model.text(),
    /**
     * The refund's Invoicebox `merchantOrderId`: the Medusa refund id for refunds made from Medusa
     * (so Invoicebox and the sync recognise them), `cabinet:<Invoicebox refund id>` for refunds
     * made in the cabinet.
     */
    merchant_order_id: model.text(),
    /** Null until Invoicebox answered (or while the answer is unknown). */
    invoicebox_refund_id: model.text().nullable(),
    /** The Medusa refund that books this money; null while a cabinet refund is being booked. */
    medusa_refund_id: model.text().nullable(),
    amount_kopecks: model.bigNumber(),
    vat_amount_kopecks: model.bigNumber().nullable(),
    /** `sending` (row written, Invoicebox not answered yet), then Invoicebox's status; `failed` when refused. */
    status: model.text(),
    source: model.enum(["medusa", "cabinet"]),
    description: model.text().nullable(),
    error: model.text().nullable(),
    invoicebox_created_at: model.dateTime().nullable(),
    /**
     * A refund with a fee (docs refund/correction.md): what the draft refund took back from the
     * invoice (the goods' value); `amount_kopecks` is what the buyer gets, gross − fee.
     */
    gross_kopecks: model.bigNumber().nullable(),
    fee_kopecks: model.bigNumber().nullable(),
    fee_vat_kopecks: model.bigNumber().nullable(),
    /** The fee line as the merchant chose it: `{ name, vat_code, type }`. */
    fee_line: model.json().nullable(),
    /** The correction order's merchantOrderId, fixed when the row is written, so a retry sends the same one. */
    correction_merchant_order_id: model.text().nullable(),
    /** Null until Invoicebox answered the correction order (or while that answer is unknown). */
    correction_order_id: model.text().nullable(),
  })
  .indexes([
    { on: ["merchant_order_id"], unique: true },
    { on: ["invoicebox_refund_id"], unique: true, where: "invoicebox_refund_id IS NOT NULL" },
    { on: ["medusa_refund_id"], unique: true, where: "medusa_refund_id IS NOT NULL" },
    { on: ["correction_merchant_order_id"], unique: true, where: "correction_merchant_order_id IS NOT NULL" },
    { on: ["payment_id"] },
    { on: ["invoicebox_order_id"] },
  ])
