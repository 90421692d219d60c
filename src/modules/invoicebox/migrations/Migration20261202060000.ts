import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Moves the bookkeeping that 0.1 kept in `payment.data` / fulfillment metadata into this module's
 * tables: refunds (`data.refunds`), shipments (`metadata.invoicebox_shipment`) and one invoice row
 * per Invoicebox payment session. Reads Medusa's own tables, so every statement is guarded by the
 * table's existence (a fresh database has none yet) and keyed so that it can run again.
 */
export class Migration20261202060000 extends Migration {
  override async up(): Promise<void> {
    const raw = (expr: string) => `json_build_object('value', (${expr})::text, 'precision', 20)`

    this.addSql(`DO $$ BEGIN IF to_regclass('public.payment') IS NOT NULL THEN
      INSERT INTO "invoicebox_refund" ("id", "provider_id", "payment_id", "invoicebox_order_id", "merchant_order_id",
        "invoicebox_refund_id", "medusa_refund_id", "amount_kopecks", "raw_amount_kopecks", "status", "source",
        "invoicebox_created_at", "created_at", "updated_at")
      SELECT 'ibxrfd_' || upper(substr(md5(p.id || ':' || (r->>'id')), 1, 26)), p.provider_id, p.id,
        p.data->>'invoicebox_order_id',
        COALESCE(NULLIF(r->>'merchant_order_id', ''), 'cabinet:' || (r->>'id')),
        r->>'id', NULLIF(r->>'medusa_refund_id', ''),
        (r->>'amount_kopecks')::numeric, ${raw("r->>'amount_kopecks'")},
        COALESCE(r->>'status', 'created'),
        CASE WHEN r->>'source' = 'cabinet' THEN 'cabinet' ELSE 'medusa' END,
        NULLIF(r->>'created_at', '')::timestamptz, now(), now()
      FROM "payment" p, jsonb_array_elements(p.data->'refunds') r
      WHERE p.provider_id LIKE 'pp_invoicebox_%' AND p.deleted_at IS NULL
        AND jsonb_typeof(p.data->'refunds') = 'array' AND r ? 'id' AND r ? 'amount_kopecks'
      ON CONFLICT DO NOTHING;
    END IF; END $$;`)

    this.addSql(`DO $$ BEGIN IF to_regclass('public.payment_session') IS NOT NULL AND to_regclass('public.payment') IS NOT NULL THEN
      INSERT INTO "invoicebox_invoice" ("id", "provider_id", "invoicebox_order_id", "payment_session_id", "status",
        "amount_kopecks", "raw_amount_kopecks", "currency", "paid_at", "refunded_kopecks", "raw_refunded_kopecks",
        "created_at", "updated_at")
      SELECT 'ibxinv_' || upper(substr(md5(s.id), 1, 26)), s.provider_id, s.data->>'invoicebox_order_id', s.id,
        COALESCE(s.data->>'invoice_status', 'created'),
        COALESCE((s.data->>'amount_kopecks')::numeric, 0), ${raw("COALESCE(s.data->>'amount_kopecks', '0')")},
        upper(COALESCE(s.data->>'currency', s.currency_code)),
        p.captured_at,
        COALESCE(rf.total, 0), ${raw("COALESCE(rf.total, 0)")},
        s.created_at, now()
      FROM "payment_session" s
      LEFT JOIN "payment" p ON p.payment_session_id = s.id AND p.deleted_at IS NULL
      LEFT JOIN (SELECT payment_id, sum(amount_kopecks) AS total FROM "invoicebox_refund"
                 WHERE status <> 'canceled' GROUP BY payment_id) rf ON rf.payment_id = p.id
      WHERE s.provider_id LIKE 'pp_invoicebox_%' AND s.deleted_at IS NULL AND s.data ? 'invoicebox_order_id'
      ON CONFLICT DO NOTHING;
    END IF; END $$;`)

    this.addSql(`DO $$ BEGIN IF to_regclass('public.fulfillment') IS NOT NULL AND to_regclass('public.order_fulfillment') IS NOT NULL THEN
      INSERT INTO "invoicebox_shipment" ("id", "provider_id", "order_id", "fulfillment_id", "invoicebox_order_id",
        "document_number", "invoicebox_shipment_id", "status", "error", "attempts", "shipped_at", "registered_at",
        "created_at", "updated_at")
      SELECT 'ibxshp_' || upper(substr(md5(f.id), 1, 26)), 'pp_invoicebox_invoicebox', ofl.order_id, f.id, NULL,
        COALESCE(f.metadata->'invoicebox_shipment'->>'document_number', left(f.id, 36)),
        NULLIF(f.metadata->'invoicebox_shipment'->>'id', ''),
        CASE WHEN f.metadata->'invoicebox_shipment'->>'status' = 'failed' THEN 'failed' ELSE 'registered' END,
        f.metadata->'invoicebox_shipment'->>'error', 1, f.shipped_at,
        CASE WHEN f.metadata->'invoicebox_shipment'->>'status' = 'failed' THEN NULL ELSE f.shipped_at END,
        now(), now()
      FROM "fulfillment" f JOIN "order_fulfillment" ofl ON ofl.fulfillment_id = f.id AND ofl.deleted_at IS NULL
      WHERE f.metadata ? 'invoicebox_shipment' AND f.deleted_at IS NULL
      ON CONFLICT DO NOTHING;
    END IF; END $$;`)
  }

  override async down(): Promise<void> {
    // The rows stay correct for 0.1 too (it reads payment.data, which this migration never changed).
  }
}
