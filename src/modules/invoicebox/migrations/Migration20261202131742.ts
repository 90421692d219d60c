import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Refunds with a fee (docs refund/correction.md): a refund row remembers the draft refund's gross,
 * the fee line and the correction order, so that a retry after a lost answer resumes the same
 * refund and the same correction instead of sending a second one.
 */
export class Migration20261202131742 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE IF EXISTS "invoicebox_refund"
      ADD COLUMN IF NOT EXISTS "gross_kopecks" numeric NULL,
      ADD COLUMN IF NOT EXISTS "raw_gross_kopecks" jsonb NULL,
      ADD COLUMN IF NOT EXISTS "fee_kopecks" numeric NULL,
      ADD COLUMN IF NOT EXISTS "raw_fee_kopecks" jsonb NULL,
      ADD COLUMN IF NOT EXISTS "fee_vat_kopecks" numeric NULL,
      ADD COLUMN IF NOT EXISTS "raw_fee_vat_kopecks" jsonb NULL,
      ADD COLUMN IF NOT EXISTS "fee_line" jsonb NULL,
      ADD COLUMN IF NOT EXISTS "correction_merchant_order_id" text NULL,
      ADD COLUMN IF NOT EXISTS "correction_order_id" text NULL;`)
    this.addSql(
      `CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_refund_correction_merchant_order_id_unique" ON "invoicebox_refund" ("correction_merchant_order_id") WHERE correction_merchant_order_id IS NOT NULL AND deleted_at IS NULL;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX IF EXISTS "IDX_invoicebox_refund_correction_merchant_order_id_unique";`)
    this.addSql(`ALTER TABLE IF EXISTS "invoicebox_refund"
      DROP COLUMN IF EXISTS "gross_kopecks", DROP COLUMN IF EXISTS "raw_gross_kopecks",
      DROP COLUMN IF EXISTS "fee_kopecks", DROP COLUMN IF EXISTS "raw_fee_kopecks",
      DROP COLUMN IF EXISTS "fee_vat_kopecks", DROP COLUMN IF EXISTS "raw_fee_vat_kopecks",
      DROP COLUMN IF EXISTS "fee_line", DROP COLUMN IF EXISTS "correction_merchant_order_id",
      DROP COLUMN IF EXISTS "correction_order_id";`)
  }
}
