import type { AxiosInstance } from "axios"
import type { SeedResult } from "../../demo/seed"

export const LEGAL_PAYER = {
  type: "legal",
  name: "ПАО Сбербанк",
  inn: "7707083893",
  kpp: "773601001",
  address: "117312, г. Москва, ул. Вавилова, д. 19",
  email: "buyer@example.com",
  phone: "+7 (900) 111-22-33",
}

export const SOLE_PROPRIETOR_PAYER = {
  type: "sole_proprietor",
  name: "ИП Иванов Иван Иванович",
  inn: "500100732259",
  address: "г. Москва, ул. Ленина, д. 1",
  email: "ip@example.com",
}

/** The Store API calls a storefront makes, in the order it makes them. */
export class StoreClient {
  constructor(private api: AxiosInstance, private seed: SeedResult) {}

  get headers() {
    return { headers: { "x-publishable-api-key": this.seed.publishableKey } }
  }

  variant(handle: string, index = 0): string {
    const p = this.seed.products.find((x) => x.handle === handle)
    if (!p) throw new Error(`no product ${handle}`)
    return p.variantIds[index]
  }

  async createCart(items: Array<{ handle: string; index?: number; quantity: number }>, extra: Record<string, unknown> = {}) {
    const { data } = await this.api.post(
      "/store/carts",
      {
        region_id: this.seed.regionId,
        email: "buyer@example.com",
        items: items.map((i) => ({ variant_id: this.variant(i.handle, i.index), quantity: i.quantity })),
        shipping_address: { first_name: "Иван", last_name: "Петров", address_1: "ул. Тверская, 1", city: "Москва", country_code: "ru", postal_code: "125009" },
        ...extra,
      },
      this.headers
    )
    return data.cart
  }

  async addItem(cartId: string, handle: string, quantity: number, index = 0) {
    const { data } = await this.api.post(`/store/carts/${cartId}/line-items`, { variant_id: this.variant(handle, index), quantity }, this.headers)
    return data.cart
  }

  async addShipping(cartId: string, optionId = this.seed.shippingOptionId) {
    const { data } = await this.api.post(`/store/carts/${cartId}/shipping-methods`, { option_id: optionId }, this.headers)
    return data.cart
  }

  async addPromotions(cartId: string, codes: string[]) {
    const { data } = await this.api.post(`/store/carts/${cartId}/promotions`, { promo_codes: codes }, this.headers)
    return data.cart
  }

  async getCart(cartId: string) {
    const { data } = await this.api.get(`/store/carts/${cartId}?fields=*items,+total,+tax_total,*payment_collection.payment_sessions`, this.headers)
    return data.cart
  }

  async createPaymentCollection(cartId: string) {
    const { data } = await this.api.post(`/store/payment-collections`, { cart_id: cartId }, this.headers)
    return data.payment_collection
  }

  async initiateSession(cartId: string, payer: unknown = LEGAL_PAYER, extra: Record<string, unknown> = {}, providerId = "pp_invoicebox_invoicebox") {
    const cart = await this.getCart(cartId)
    const collectionId = cart.payment_collection?.id ?? (await this.createPaymentCollection(cartId)).id
    const { data } = await this.api.post(
      `/store/payment-collections/${collectionId}/payment-sessions`,
      { provider_id: providerId, data: { payer, ...extra } },
      this.headers
    )
    return data.payment_collection
  }

  async complete(cartId: string) {
    const { data } = await this.api.post(`/store/carts/${cartId}/complete`, {}, this.headers)
    return data
  }
}

/** Polls until `check` returns a truthy value (notifications and subscribers are asynchronous). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, stepMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
}
