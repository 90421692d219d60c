import { redirect } from "next/navigation"
import { sdk } from "@lib/config"
import { getCartId } from "@lib/cart"
import Checkout from "@components/checkout"

export default async function CheckoutPage({ params }: { params: { countryCode: string } }) {
  const cartId = await getCartId()
  if (!cartId) redirect(`/${params.countryCode}`)
  const { cart } = await sdk.store.cart.retrieve(cartId, { fields: "+total,*items,*payment_collection.payment_sessions" })
  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id })
  const { payment_providers } = await sdk.store.payment.listPaymentProviders({ region_id: cart.region_id! })
  return (
    <Checkout
      cart={cart}
      countryCode={params.countryCode}
      shippingOptions={shipping_options.map((o) => ({ id: o.id, name: o.name }))}
      providerIds={payment_providers.map((p) => p.id)}
    />
  )
}
