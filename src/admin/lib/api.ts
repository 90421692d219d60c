// Types mirror src/api/admin/invoicebox/*: the admin bundle must not import server code.
export interface InvoiceView {
  session_id: string
  session_status: string
  payment_id: string | null
  captured_at: string | null
  canceled_at: string | null
  invoice: {
    id: string
    status: string
    recorded_status: string
    live: boolean
    amount_kopecks: number
    vat_amount_kopecks: number | null
    currency: string
    payment_url: string
    expires_at: string | null
    paid_at: string | null
  }
  payer: {
    type: "legal" | "sole_proprietor"
    name: string
    inn: string
    kpp?: string
    address?: string
    email?: string
    phone?: string
    ogrn?: string
  } | null
  refunds: Array<{
    id: string
    amount_kopecks: number
    status: string
    source: "medusa" | "cabinet" | "invoicebox"
    medusa_refund_id: string | null
    note: string | null
    reason: string | null
    created_at: string | null
    /** A refund with a fee: the fee line and its correction order (see src/api/admin/invoicebox/order-view.ts). */
    fee?: {
      gross_kopecks: number
      fee_kopecks: number
      fee_vat_kopecks: number | null
      name: string
      vat_code: string
      type: string
      correction_order_id: string | null
    } | null
  }>
  shipments: Array<{
    id: string
    status: string
    document_number: string | null
    document_date: string | null
    amount_kopecks: number | null
    final: boolean
    created_at: string | null
    fulfillment_id: string | null
  }>
  live_error: string | null
}

export interface OrderView {
  order: { id: string; display_id: number | null; currency_code: string; total: number | null }
  invoices: InvoiceView[]
  fulfillments: Array<{ fulfillment_id: string; shipped_at: string | null; record: Record<string, unknown> | null }>
  timeline: Array<{
    id: string
    invoicebox_order_id: string
    status: string
    verdict: string
    source: string
    message: string | null
    received_at: string
    processed_at: string | null
  }>
  read_at: string
}

export interface CheckStatusResponse {
  results: Array<{ invoicebox_order_id: string; status: string | null; verdict: string; effect: string; message: string | null }>
  view: OrderView | null
}

export interface HealthView {
  ok: boolean
  configured: boolean
  problem?: string
  merchant_id?: string
  api_url?: string
  api_prefix?: string
  sandbox?: boolean
  credentials?: { ok: boolean; latency_ms: number; user_id?: string; error?: string; kind?: "auth" | "network" }
  secrets?: { api_token: string | null; notification_key: string | null }
  signature_algorithm?: string
  notification_url?: string
  notification_url_configured?: boolean
  last_notification?: { received_at: string; invoicebox_order_id: string; status: string; verdict: string } | null
  last_activity?: { received_at: string; source: string; verdict: string } | null
  checked_at?: string
}

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

/** Same-origin admin routes with the dashboard's session cookie. */
export async function adminFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    credentials: "include",
    ...init,
    headers: { accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
  })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new AdminApiError(res.status, (body as { message?: string }).message || `HTTP ${res.status}`)
  return body as T
}
