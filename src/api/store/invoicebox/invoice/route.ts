import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { isInvoiceboxProviderId } from "../../../../core/provider-id"
import { toInvoiceView, type InvoiceLookup } from "../../../../storefront/view"

type Query = { graph: (q: { entity: string; fields: string[]; filters: Record<string, unknown> }) => Promise<{ data: any[] }> }

/** Medusa ids are a prefix and a ULID; anything else is answered without a query. */
const ID_PATTERNS = { cart_id: /^cart_[0-9A-Z]{26}$/, session_id: /^payses_[0-9A-Z]{26}$/, order_id: /^order_[0-9A-Z]{26}$/ } as const
type Ref = { key: keyof typeof ID_PATTERNS; id: string }

export function parseRef(query: Record<string, unknown> | undefined): Ref | { error: string } {
  const given = (Object.keys(ID_PATTERNS) as (keyof typeof ID_PATTERNS)[]).filter((k) => query?.[k] !== undefined)
  if (given.length !== 1) {
    return { error: "Укажите ровно один параметр: cart_id, session_id или order_id / Pass exactly one of cart_id, session_id, order_id" }
  }
  const key = given[0]
  const id = query?.[key]
  if (typeof id !== "string" || !ID_PATTERNS[key].test(id)) {
    return { error: `Параметр ${key} имеет неверный формат / The ${key} parameter is malformed` }
  }
  return { key, id }
}

/** The payment collection and the order (if any) behind a cart, session or order id. */
async function locate(query: Query, ref: Ref): Promise<{ collectionIds: string[]; orderId?: string } | null> {
  if (ref.key === "order_id") {
    const { data } = await query.graph({ entity: "order_payment_collection", fields: ["payment_collection_id"], filters: { order_id: ref.id } })
    return data.length ? { collectionIds: data.map((l) => l.payment_collection_id), orderId: ref.id } : null
  }
  let collectionIds: string[]
  let orderId: string | undefined
  if (ref.key === "session_id") {
    const { data } = await query.graph({ entity: "payment_session", fields: ["id", "payment_collection_id"], filters: { id: ref.id } })
    if (!data[0]) return null
    collectionIds = [data[0].payment_collection_id]
  } else {
    const { data } = await query.graph({ entity: "cart_payment_collection", fields: ["payment_collection_id"], filters: { cart_id: ref.id } })
    if (!data.length) return null
    collectionIds = data.map((l) => l.payment_collection_id)
    const { data: orders } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: ref.id } })
    orderId = orders[0]?.order_id
  }
  if (!orderId) {
    const { data } = await query.graph({ entity: "order_payment_collection", fields: ["order_id"], filters: { payment_collection_id: collectionIds } })
    orderId = data[0]?.order_id
  }
  return { collectionIds, orderId }
}

// Medusa's amounts may carry more decimals than kopecks; a display status needs no exactness beyond that.
const sum = (xs: any[] | undefined): number => (xs ?? []).reduce((s, r) => s + Math.round(Number(r?.amount ?? 0) * 100), 0)

/** The newest Invoicebox session of the collections that has an invoice; the one that became a payment wins. */
function pickInvoice(collections: any[]): InvoiceLookup["invoice"] {
  const candidates: { session: any; payment: any }[] = []
  for (const pc of collections) {
    for (const s of pc?.payment_sessions ?? []) {
      if (!isInvoiceboxProviderId(s?.provider_id) || !s.data?.invoicebox_order_id) continue
      candidates.push({ session: s, payment: (pc.payments ?? []).find((p: any) => p?.payment_session_id === s.id) })
    }
  }
  candidates.sort((a, b) => Number(!!b.payment) - Number(!!a.payment) || String(b.session.created_at).localeCompare(String(a.session.created_at)))
  const best = candidates[0]
  if (!best) return null
  const data = best.payment?.data?.invoicebox_order_id ? best.payment.data : best.session.data
  return toInvoiceView({
    provider_id: best.session.provider_id,
    data,
    captured: !!best.payment?.captured_at,
    canceled: !!best.payment?.canceled_at,
    refunded_kopecks: sum(best.payment?.refunds),
  })
}

/**
 * GET /store/invoicebox/invoice?cart_id= | session_id= | order_id= — the order a cart became and
 * its invoice as the buyer sees it, with no customer login: Invoicebox sends a guest back to the
 * return URL, maybe in another browser, and Medusa's own routes neither tell a guest the order of
 * a cart nor list a guest's orders. Ids are unguessable ULIDs; the answer carries no requisites
 * beyond the payer's name (the buyer typed them; whoever holds a link only learns the status).
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const ref = parseRef(req.query as Record<string, unknown>)
  if ("error" in ref) {
    res.status(400).json({ type: "invalid_data", message: ref.error })
    return
  }
  const query = req.scope.resolve<Query>(ContainerRegistrationKeys.QUERY)
  const found = await locate(query, ref)
  if (!found) {
    res.status(404).json({ type: "not_found", message: "Счёт не найден / Invoice not found" })
    return
  }
  const { data: collections } = await query.graph({
    entity: "payment_collection",
    fields: [
      "id",
      "payment_sessions.id",
      "payment_sessions.provider_id",
      "payment_sessions.data",
      "payment_sessions.created_at",
      "payments.id",
      "payments.payment_session_id",
      "payments.data",
      "payments.captured_at",
      "payments.canceled_at",
      "payments.refunds.amount",
    ],
    filters: { id: found.collectionIds },
  })
  let order: InvoiceLookup["order"] = null
  if (found.orderId) {
    const { data } = await query.graph({ entity: "order", fields: ["id", "display_id"], filters: { id: found.orderId } })
    if (data[0]) order = { id: data[0].id, display_id: data[0].display_id ?? null }
  }
  res.setHeader("Cache-Control", "no-store")
  const answer: InvoiceLookup = { order, invoice: pickInvoice(collections) }
  res.status(200).json(answer)
}
