import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261128224529 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "invoicebox_notification" drop constraint if exists "invoicebox_notification_dedupe_key_unique";`);
    this.addSql(`create table if not exists "invoicebox_notification" ("id" text not null, "dedupe_key" text not null, "invoicebox_order_id" text not null, "merchant_order_id" text not null, "status" text not null, "source" text check ("source" in ('notification', 'reconciliation', 'admin')) not null, "payment_session_id" text null, "order_id" text null, "body_sha256" text not null, "verdict" text not null, "message" text null, "received_at" timestamptz not null, "processed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "invoicebox_notification_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_notification_deleted_at" ON "invoicebox_notification" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_invoicebox_notification_dedupe_key_unique" ON "invoicebox_notification" ("dedupe_key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_notification_invoicebox_order_id" ON "invoicebox_notification" ("invoicebox_order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_invoicebox_notification_payment_session_id" ON "invoicebox_notification" ("payment_session_id") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "invoicebox_notification" cascade;`);
  }

}
