"use server"

import { cookies } from "next/headers"
import { redirect } from "next/navigation"
import { startInvoiceboxSession } from "medusa-payment-invoicebox/storefront/next"
import { sdk } from "./config"

const CART_COOKIE = "_medusa_cart_id"

export async function getCartId(): Promise<string | undefined> {
  return cookies().get(CART_COOKIE)?.value
}

export async function addToCart(formData: FormData) {
  const variantId = String(formData.get("variant_id"))
  const countryCode = String(formData.get("country_code"))
  let cartId = await getCartId()
  if (!cartId) {
    const { regions } = await sdk.store.region.list()
    const { cart } = await sdk.store.cart.create({ region_id: regions[0].id })
    cartId = cart.id
    cookies().set(CART_COOKIE, cartId, { httpOnly: true, sameSite: "lax", path: "/" })
  }
  await sdk.store.cart.createLineItem(cartId, { variant_id: variantId, quantity: 1 })
  redirect(`/${countryCode}/checkout`)
}

/** The address and shipping steps of the starter, in one action. */
export async function setAddressAndShipping(input: { cartId: string; email: string; city: string; address: string; contact: string; shippingOptionId: string }) {
  const [first_name, ...rest] = input.contact.split(/\s+/)
  const address = { first_name, last_name: rest.join(" "), address_1: input.address, city: input.city, country_code: "ru" }
  await sdk.store.cart.update(input.cartId, { email: input.email, shipping_address: address, billing_address: address })
  await sdk.store.cart.addShippingMethod(input.cartId, { option_id: input.shippingOptionId })
}

// The README's step 2: the session with the payer, errors returned instead of thrown.
export const initiateInvoicebox = async (cartId: string, payer: unknown, countryCode: string) =>
  startInvoiceboxSession(sdk, { cartId, payer, returnPath: `/${countryCode}/checkout/invoicebox-return` })

export async function placeOrder(cartId: string, countryCode: string) {
  const result = await sdk.store.cart.complete(cartId)
  if (result.type !== "order") return result.error?.message ?? "Cart not completed"
  cookies().delete(CART_COOKIE)
  redirect(`/${countryCode}/order/${result.order.id}/confirmed`)
}
