import type { CartLike } from "../../core"

/** Everything buildBasket and the invoice need, loaded through the payment session. */
const LINE_FIELDS = [
  "id",
  "title",
  "product_title",
  "variant_title",
  "variant_sku",
  "variant_id",
  "quantity",
  "unit_price",
  "is_tax_inclusive",
  "total",
  "subtotal",
  "tax_total",
  "discount_total",
  "metadata",
  "tax_lines.rate",
  "tax_lines.code",
  "adjustments.amount",
  "product.metadata",
  "variant.metadata",
]

const SHIPPING_FIELDS = ["id", "name", "amount", "total", "tax_total", "is_tax_inclusive", "tax_lines.rate", "tax_lines.code"]

export const CART_FIELDS = [
  "id",
  "email",
  "currency_code",
  "total",
  "subtotal",
  "tax_total",
  "discount_total",
  "shipping_total",
  "credit_line_total",
  "customer_id",
  ...LINE_FIELDS.map((f) => `items.${f}`),
  ...SHIPPING_FIELDS.map((f) => `shipping_methods.${f}`),
  "credit_lines.amount",
]

export const SESSION_CART_FIELDS = [
  "id",
  "amount",
  "currency_code",
  "payment_collection.id",
  "payment_collection.amount",
  ...CART_FIELDS.map((f) => `payment_collection.cart.${f}`),
]

/** Two more queries (customer, groups), so only read for stores with per-group payment terms. */
const CUSTOMER_GROUP_FIELDS = ["payment_collection.cart.customer.groups.id"]

export interface LoadedCart extends CartLike {
  id: string
  email?: string | null
  customer?: { groups?: Array<{ id: string }> | null } | null
}

type Query = {
  graph: (q: { entity: string; fields: string[]; filters: Record<string, unknown> }) => Promise<{ data: any[] }>
}

/**
 * The provider is never given the cart (Medusa passes only amount and session data), so it
 * follows the server-set session id to the cart; lines sent by a browser are never trusted.
 */
export async function loadCartForSession(
  query: Query,
  sessionId: string,
  { customerGroups = false }: { customerGroups?: boolean } = {}
): Promise<LoadedCart | null> {
  const { data } = await query.graph({
    entity: "payment_session",
    fields: customerGroups ? [...SESSION_CART_FIELDS, ...CUSTOMER_GROUP_FIELDS] : SESSION_CART_FIELDS,
    filters: { id: sessionId },
  })
  const cart = data[0]?.payment_collection?.cart
  return cart ?? null
}
