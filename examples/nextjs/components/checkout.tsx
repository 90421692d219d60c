"use client"

import { useRouter } from "next/navigation"
import { useState } from "react"
import type { HttpTypes } from "@medusajs/types"
import { isInvoicebox, type Payer } from "medusa-payment-invoicebox/storefront"
import { PayerForm, PayerSummary, usePayerForm } from "medusa-payment-invoicebox/storefront/react"
import { initiateInvoicebox, placeOrder, setAddressAndShipping } from "@lib/cart"

type Props = {
  cart: HttpTypes.StoreCart
  countryCode: string
  shippingOptions: { id: string; name: string }[]
  providerIds: string[]
}

/** The starter's address, delivery, payment and review steps, condensed into one component. */
export default function Checkout({ cart, countryCode, shippingOptions, providerIds }: Props) {
  const router = useRouter()
  const payerForm = usePayerForm()
  const [selected, setSelected] = useState(providerIds.find((id) => isInvoicebox(id)) ?? "")
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [delivery, setDelivery] = useState({ email: "", city: "", address: "", contact: "" })
  const activeSession = cart.payment_collection?.payment_sessions?.find((s) => s.status === "pending")
  const onReview = !!activeSession && isInvoicebox(activeSession.provider_id)

  const handleSubmit = async () => {
    setBusy(true)
    setError(null)
    try {
      await setAddressAndShipping({ cartId: cart.id, ...delivery, shippingOptionId: shippingOptions[0].id })
      if (isInvoicebox(selected)) {
        const r = await initiateInvoicebox(cart.id, payerForm.draft(), countryCode)
        if (!r.ok) return setError(payerForm.showError(r.error).ru)
      }
      router.refresh()
    } finally {
      setBusy(false)
    }
  }

  const handlePlace = async () => {
    setBusy(true)
    const message = await placeOrder(cart.id, countryCode)
    if (message) setError(message)
    setBusy(false)
  }

  const text = (name: keyof typeof delivery, label: string) => (
    <label style={{ display: "block", margin: ".5rem 0" }}>
      {label} <input name={`delivery_${name}`} value={delivery[name]} onChange={(e) => setDelivery({ ...delivery, [name]: e.target.value })} />
    </label>
  )

  return (
    <main>
      <h1>Оформление заказа</h1>
      <p data-testid="cart-total">Итого: {cart.total} ₽</p>
      <section>
        <h2>Доставка</h2>
        {text("email", "Эл. почта")}
        {text("contact", "Контактное лицо")}
        {text("city", "Город")}
        {text("address", "Адрес")}
      </section>
      <section>
        <h2>Оплата</h2>
        {providerIds.map((id) => (
          <label key={id} style={{ display: "block" }}>
            <input type="radio" name="provider" value={id} checked={selected === id} onChange={() => setSelected(id)} />{" "}
            {isInvoicebox(id) ? "Оплата по счёту для организаций и ИП" : id}
          </label>
        ))}
        {isInvoicebox(selected) && (
          <PayerForm
            form={payerForm}
            backendUrl={process.env.NEXT_PUBLIC_MEDUSA_BACKEND_URL!}
            publishableKey={process.env.NEXT_PUBLIC_MEDUSA_PUBLISHABLE_KEY!}
          />
        )}
        {error && (
          <p role="alert" data-testid="checkout-error" style={{ color: "#b00020" }}>
            {error}
          </p>
        )}
        <button type="button" onClick={handleSubmit} disabled={busy} data-testid="submit-payment-button">
          Продолжить
        </button>
      </section>
      {onReview && (
        <section data-testid="review">
          <h2>Проверка заказа</h2>
          <PayerSummary payer={activeSession!.data!.payer as Payer} />
          <button type="button" onClick={handlePlace} disabled={busy} data-testid="place-order">
            Разместить заказ
          </button>
        </section>
      )}
    </main>
  )
}
