import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261202055136 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "invoicebox_shipment" drop constraint if exists "invoicebox_shipment_fulfillment_id_unique";`);
    this.addSql(`alter table if exists "invoicebox_refund" drop constraint if exists "invoicebox_refund_medusa_refund_id_unique";`);
    this.addSql(`alter table if exists "invoicebox_refund" drop constraint if exists "invoicebox_refund_invoicebox_refund_id_unique";`);
    this.addSql(`alter table if exists "invoicebox_refund" drop constraint if exists "invoicebox_refund_merchant_order_id_unique";`);
    this.addSql(`alter table if exists "invoicebox_invoice" drop constraint if exists "invoicebox_invoice_invoicebox_order_id_unique";`);
    this.addSql(`create table if not exists "invoicebox_invoice" ("id" text not null, "provider_id" text not null, "invoicebox_order_id" text not null, "payment_session_id" text not null, "status" text not null, "amount_kopecks" numeric not null, "currency" text not null, "last_checked_at" timestamptz null, "paid_at" timestamptz null, "refunded_kopecks" numeric not null default 0, "refunds_checked_at" timestamptz null, "raw_amount_kopecks" jsonb not null, "raw_refunded_kopecks" jsonb not null default '{"value":"0","precision":20}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "invoicebox_invoice_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_invoice_deleted_at" ON "invoicebox_invoice" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_invoice_invoicebox_order_id_unique" ON "invoicebox_invoice" ("invoicebox_order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_invoice_payment_session_id" ON "invoicebox_invoice" ("payment_session_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_invoice_provider_id_status_last_checked_at" ON "invoicebox_invoice" ("provider_id", "status", "last_checked_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_invoice_provider_id_paid_at" ON "invoicebox_invoice" ("provider_id", "paid_at") WHERE deleted_at IS NULL;`);

    // The ledger exists since 0.1: only the provider column is new.
    this.addSql(`alter table if exists "invoicebox_notification" add column if not exists "provider_id" text null;`);

    this.addSql(`create table if not exists "invoicebox_refund" ("id" text not null, "provider_id" text not null, "payment_id" text not null, "invoicebox_order_id" text not null, "merchant_order_id" text not null, "invoicebox_refund_id" text null, "medusa_refund_id" text null, "amount_kopecks" numeric not null, "vat_amount_kopecks" numeric null, "status" text not null, "source" text check ("source" in ('medusa', 'cabinet')) not null, "description" text null, "error" text null, "invoicebox_created_at" timestamptz null, "raw_amount_kopecks" jsonb not null, "raw_vat_amount_kopecks" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "invoicebox_refund_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_refund_deleted_at" ON "invoicebox_refund" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_refund_merchant_order_id_unique" ON "invoicebox_refund" ("merchant_order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_refund_invoicebox_refund_id_unique" ON "invoicebox_refund" ("invoicebox_refund_id") WHERE invoicebox_refund_id IS NOT NULL AND deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_refund_medusa_refund_id_unique" ON "invoicebox_refund" ("medusa_refund_id") WHERE medusa_refund_id IS NOT NULL AND deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_refund_payment_id" ON "invoicebox_refund" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_refund_invoicebox_order_id" ON "invoicebox_refund" ("invoicebox_order_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "invoicebox_shipment" ("id" text not null, "provider_id" text not null, "order_id" text not null, "fulfillment_id" text not null, "invoicebox_order_id" text null, "document_number" text not null, "invoicebox_shipment_id" text null, "status" text not null, "amount_kopecks" numeric null, "error" text null, "attempts" integer not null default 0, "shipped_at" timestamptz null, "registered_at" timestamptz null, "raw_amount_kopecks" jsonb null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "invoicebox_shipment_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_shipment_deleted_at" ON "invoicebox_shipment" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_shipment_fulfillment_id_unique" ON "invoicebox_shipment" ("fulfillment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_shipment_order_id" ON "invoicebox_shipment" ("order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_shipment_status" ON "invoicebox_shipment" ("status") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "invoicebox_invoice" cascade;`);

    this.addSql(`alter table if exists "invoicebox_notification" drop column if exists "provider_id";`);

    this.addSql(`drop table if exists "invoicebox_refund" cascade;`);

    this.addSql(`drop table if exists "invoicebox_shipment" cascade;`);
  }

}
