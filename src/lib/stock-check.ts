import { ContainerRegistrationKeys, QueryContext, getVariantAvailability } from "@medusajs/framework/utils"
import type { Logger, MedusaContainer } from "@medusajs/framework/types"
import { InvoiceboxValidationError, allocateRefund, kopecksToRubles, refundableKopecks, rublesToKopecks } from "../core"
import type InvoiceboxProviderService from "../providers/invoicebox/service"
import { bilingual } from "./invoicebox-verdict"

/** Why a paid cart cannot become an order (stored in the ledger row's message and logged). */
export interface Undeliverable {
  reason: "variant_removed" | "sold_out" | "price_changed"
  /** Bilingual; what the ledger row and the reply's `message` carry. */
  message: string
}

interface CartLine {
  title?: string
  variant_id?: string | null
  quantity: unknown
  unit_price: unknown
  is_custom_price?: boolean | null
  variant?: { id: string; manage_inventory?: boolean | null; allow_backorder?: boolean | null } | null
}

/**
 * Whether a pay-first cart can still be completed now that the money arrived (docs
 * merchant/notification/shipping-unavailable.md:17-23: confirm the stock when the payment comes).
 * Checked before any workflow runs, so that a refusal leaves no half-made order, reservation or
 * capture behind. A price counts as changed only when the variant now costs more than the cart
 * line: a price list that lowers the buyer's price never refuses a payment.
 */
export async function findUndeliverable(container: MedusaContainer, cartId: string): Promise<Undeliverable | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: carts } = await query.graph({
    entity: "cart",
    fields: [
      "id",
      "region_id",
      "currency_code",
      "customer_id",
      "sales_channel_id",
      "items.title",
      "items.variant_id",
      "items.quantity",
      "items.unit_price",
      "items.is_custom_price",
      "items.variant.id",
      "items.variant.manage_inventory",
      "items.variant.allow_backorder",
    ],
    filters: { id: cartId },
  })
  const cart = carts[0] as any
  if (!cart) return null
  const lines = (cart.items ?? []) as CartLine[]

  const removed = lines.find((l) => !l.variant_id || !l.variant?.id)
  if (removed) {
    return {
      reason: "variant_removed",
      message: bilingual(`Товар «${removed.title ?? "?"}» больше не продаётся`, `The item "${removed.title ?? "?"}" is no longer sold`),
    }
  }

  const needed = new Map<string, { quantity: number; title?: string }>()
  for (const l of lines) {
    if (!l.variant?.manage_inventory || l.variant.allow_backorder) continue
    const seen = needed.get(l.variant_id!) ?? { quantity: 0, title: l.title }
    seen.quantity += Number(l.quantity)
    needed.set(l.variant_id!, seen)
  }
  if (needed.size && cart.sales_channel_id) {
    const availability = await getVariantAvailability(query as never, { variant_ids: [...needed.keys()], sales_channel_id: cart.sales_channel_id })
    for (const [variantId, want] of needed) {
      const have = Number(availability[variantId]?.availability ?? 0)
      if (have < want.quantity) {
        return {
          reason: "sold_out",
          message: bilingual(
            `Товара «${want.title ?? variantId}» нет в нужном количестве: нужно ${want.quantity}, на складе ${have}`,
            `"${want.title ?? variantId}" is out of stock: ${want.quantity} needed, ${have} available`
          ),
        }
      }
    }
  }
  return priceRaised(container, cart, lines)
}

async function priceRaised(container: MedusaContainer, cart: any, lines: CartLine[]): Promise<Undeliverable | null> {
  const priced = lines.filter((l) => !l.is_custom_price)
  if (!priced.length || !cart.region_id) return null
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: variants } = await query.graph({
    entity: "product_variant",
    fields: ["id", "calculated_price.calculated_amount"],
    filters: { id: [...new Set(priced.map((l) => l.variant_id!))] },
    context: {
      calculated_price: QueryContext({
        region_id: cart.region_id,
        currency_code: cart.currency_code,
        ...(cart.customer_id ? { customer_id: cart.customer_id } : {}),
      }),
    },
  })
  const now = new Map((variants as any[]).map((v) => [v.id, v.calculated_price?.calculated_amount]))
  for (const l of priced) {
    const current = now.get(l.variant_id)
    if (current === null || current === undefined) continue
    if (Number(current) > Number(l.unit_price)) {
      return {
        reason: "price_changed",
        message: bilingual(
          `Цена «${l.title ?? l.variant_id}» изменилась: в счёте ${Number(l.unit_price)}, сейчас ${Number(current)}`,
          `The price of "${l.title ?? l.variant_id}" changed: ${Number(l.unit_price)} on the invoice, ${Number(current)} now`
        ),
      }
    }
  }
  return null
}

/**
 * Delays of the reversal attempts after a `shipping_unavailable` reply. Invoicebox accepts the
 * cancellation only once it has recorded that reply (docs merchant/order/delete.md:91-93), which
 * happens after our HTTP answer or JSON-RPC result has left, so the first attempt waits a little.
 */
export const REVERSAL_DELAYS_MS = [500, 2_000, 5_000, 15_000, 60_000]

/**
 * Gives an undeliverable payment back (docs merchant/notification/shipping-unavailable.md:56-68:
 * the negative reply starts no refund by itself). A guarantee payment is reversed by cancelling
 * the invoice (DELETE, docs merchant/order/delete.md:51-54); Invoicebox refuses that for any other
 * instrument, which is then refunded in full. Runs after the reply, off the request; the
 * Invoicebox `canceled` notification that follows a reversal cancels the Medusa session through
 * the ordinary path. When every attempt fails the log says what to do by hand.
 */
export function scheduleReversal(
  container: MedusaContainer,
  provider: InvoiceboxProviderService,
  invoiceId: string,
  why: Undeliverable,
  delays: number[] = REVERSAL_DELAYS_MS
): void {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const attempt = (n: number) => {
    const timer = setTimeout(() => {
      reverse(provider, invoiceId, why)
        .then((how) => logger.info(`Invoicebox: invoice ${invoiceId} could not be delivered (${why.reason}); payment ${how}`))
        .catch((e) => {
          if (n + 1 < delays.length) return attempt(n + 1)
          logger.error(
            `Invoicebox: invoice ${invoiceId} was paid but cannot be delivered (${why.reason}) and reversing it failed ${delays.length} times ` +
              `(${(e as Error)?.message ?? e}); cancel or refund it in the Invoicebox cabinet`
          )
        })
    }, delays[n])
    timer.unref?.()
  }
  attempt(0)
}

async function reverse(provider: InvoiceboxProviderService, invoiceId: string, why: Undeliverable): Promise<string> {
  const client = provider.client
  const current = await client.getOrder(invoiceId)
  if (!current) throw new Error(`invoice ${invoiceId} not found`)
  if (current.status === "canceled" || current.status === "cancelled") return "already reversed"
  try {
    await client.cancelOrder(invoiceId)
    return "reversed (guarantee payment cancelled)"
  } catch (e) {
    // Not a guarantee payment (or the reply is not recorded yet): only a refund gives the money back.
    if (!(e instanceof InvoiceboxValidationError)) throw e
  }
  const available = await client.getRefundableBasket(invoiceId)
  const total = available.reduce((s, i) => s + refundableKopecks(i), 0)
  if (total <= 0) return "already refunded"
  const basketItems = allocateRefund(available, total)
  const vat = basketItems.reduce((s, l) => s + rublesToKopecks(l.totalVatAmount), 0)
  const description = `Возврат: ${why.message}`.slice(0, 1000)
  const { refund } = await client.createOrRecoverRefund({
    parentId: invoiceId,
    merchantOrderId: `undeliverable:${invoiceId}`,
    amount: kopecksToRubles(total),
    vatAmount: kopecksToRubles(vat),
    basketItems,
    description,
  })
  return `refunded in full (refund ${refund.id})`
}
